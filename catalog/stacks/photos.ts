import { appdata, databaseOwnsItsData, internalOnly, internalRoute, proxyAndInternal } from "../builders";
import type { ServiceEntry } from "../types";

const immichVersion = "v3.2.0";
const database = "immich-postgres";
const cache = "immich-redis";

const databaseEnv = { DB_USERNAME: "postgres", DB_DATABASE_NAME: "immich" };

export const photos: readonly ServiceEntry[] = [
    {
        name: "immich-server",
        title: "Immich server",
        stack: "photos",
        host: "immich-prod-01",
        image: { repository: "ghcr.io/immich-app/immich-server", tag: immichVersion },
        port: 2283,
        route: internalRoute("photos", false),
        user: { kind: "user" },
        // The library lives on the NAS (ZFS mirror), mounted where Immich expects uploads.
        mounts: [{ from: "data", sub: "photos", target: "/data" }],
        env: { ...databaseEnv, DB_HOSTNAME: database, REDIS_HOSTNAME: cache },
        secretEnv: { DB_PASSWORD: "immichDbPassword" },
        health: { kind: "image", port: 2283, path: "/api/server/ping" },
        networking: proxyAndInternal,
        dependsOn: [
            { service: database, healthy: true },
            { service: cache, healthy: false },
        ],
    },
    {
        name: "immich-machine-learning",
        title: "Immich machine learning",
        stack: "photos",
        host: "immich-prod-01",
        image: { repository: "ghcr.io/immich-app/immich-machine-learning", tag: immichVersion },
        port: 3003,
        user: { kind: "user" },
        mounts: [appdata("/cache", "model-cache")],
        health: { kind: "image", port: 3003, path: "/ping" },
        // Downloads its models, so it needs more than the internal network.
        networking: proxyAndInternal,
    },
    {
        name: database,
        title: "Immich PostgreSQL (VectorChord)",
        stack: "photos",
        host: "immich-prod-01",
        image: { repository: "ghcr.io/immich-app/postgres", tag: "14-vectorchord0.4.3-pgvectors0.2.0" },
        port: 5432,
        user: databaseOwnsItsData,
        // Local disk only: Immich's database must not sit on a network share.
        mounts: [appdata("/var/lib/postgresql/data")],
        env: { POSTGRES_USER: "postgres", POSTGRES_DB: "immich", POSTGRES_INITDB_ARGS: "--data-checksums" },
        secretEnv: { POSTGRES_PASSWORD: "immichDbPassword" },
        health: { kind: "command", test: ["pg_isready", "-U", "postgres", "-d", "immich"] },
        networking: internalOnly,
        shmSizeMb: 128,
        stateful: true,
        dump: { tool: "pg_dumpall", user: "postgres" },
    },
    {
        name: cache,
        title: "Immich cache (Valkey)",
        stack: "photos",
        host: "immich-prod-01",
        image: { repository: "docker.io/valkey/valkey", tag: "9" },
        port: 6379,
        user: {
            kind: "exception",
            runsAs: "the image's valkey user",
            reason: "ephemeral cache with no host files",
        },
        mounts: [],
        health: { kind: "command", test: ["valkey-cli", "ping"] },
        networking: internalOnly,
    },
];
