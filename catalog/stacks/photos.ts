import { appdata, databaseOwnsItsData, internalOnly, internalRoute, proxyAndInternal } from "../builders";
import type { OidcSettings, ServiceEntry } from "../types";

const immichVersion = "v3.2.0";
const database = "immich-postgres";
const cache = "immich-redis";

/**
 * Immich reads its settings from IMMICH_CONFIG_FILE. That document holds the OIDC client secret,
 * so it never exists as a file on the host: it arrives as a secret variable and the start command
 * writes it into a RAM-backed tmpfs (mode 0600), then starts Immich as the image would.
 */
const settingsDir = "/run/homelab";
const settingsFile = `${settingsDir}/immich.json`;
const settingsVar = "HOMELAB_SECRET_IMMICH_CONFIG";

/**
 * Immich's settings document, merged over Immich's defaults. While IMMICH_CONFIG_FILE is set the
 * admin UI shows its settings read-only and ignores the ones saved there before: a setting you
 * changed in the UI belongs here.
 */
export function immichSettings(oidc: OidcSettings): Record<string, unknown> {
    return {
        oauth: {
            enabled: true,
            issuerUrl: oidc.issuer,
            clientId: oidc.clientId,
            clientSecret: oidc.clientSecret,
            scope: "openid email profile",
            // Authentik signs ID tokens with its certificate (the provider's signing key).
            signingAlgorithm: "RS256",
            tokenEndpointAuthMethod: "client_secret_post",
            buttonText: "Sign in with Authentik",
            autoRegister: true,
            autoLaunch: false,
            mobileOverrideEnabled: false,
        },
        passwordLogin: { enabled: true },
    };
}

const databaseEnv = { DB_USERNAME: "postgres", DB_DATABASE_NAME: "immich" };

export const photos: readonly ServiceEntry[] = [
    {
        name: "immich-server",
        title: "Immich server",
        stack: "photos",
        storage: {
            declaredVolumes: ["/data"],
            statePaths: ["/data"],
            source: "immich-app/immich server/Dockerfile (VOLUME /data; read at a fork's copy of July 2026, v3.2.0 itself not readable here), docker/docker-compose.yml (${UPLOAD_LOCATION}:/data)",
        },
        host: "immich-prod-01",
        image: { repository: "ghcr.io/immich-app/immich-server", tag: immichVersion },
        port: 2283,
        route: internalRoute("photos", false),
        user: { kind: "user" },
        // The library lives on the NAS (ZFS mirror), mounted where Immich expects uploads.
        mounts: [{ from: "data", sub: "photos", target: "/data" }],
        tmpfs: [
            {
                target: settingsDir,
                reason: "Immich's settings file holds the OIDC client secret: in RAM only, never on the host's disk",
            },
        ],
        // The image runs `tini -- /bin/bash start.sh`; these are bash's arguments instead of start.sh.
        command: [
            "-c",
            `umask 077 && printf '%s' "$${settingsVar}" >${settingsFile} && unset ${settingsVar} && exec start.sh`,
        ],
        env: { ...databaseEnv, DB_HOSTNAME: database, REDIS_HOSTNAME: cache, IMMICH_CONFIG_FILE: settingsFile },
        secretEnv: { DB_PASSWORD: "immichDbPassword" },
        sso: {
            oidc: {
                clientId: "immich",
                // The web login, the web's account linking, and the mobile apps.
                redirects: [
                    { path: "/auth/login" },
                    { path: "/user-settings" },
                    { uri: "app.immich:///oauth-callback" },
                ],
                delivery: {
                    kind: "document",
                    secretVar: settingsVar,
                    document: (oidc) => JSON.stringify(immichSettings(oidc)),
                },
            },
        },
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
        storage: {
            declaredVolumes: [],
            statePaths: ["/cache"],
            source: "immich-app/immich machine-learning/Dockerfile (ENV MACHINE_LEARNING_CACHE_FOLDER=/cache, no VOLUME; fork's copy of July 2026), immich_ml/config.py",
        },
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
        storage: {
            declaredVolumes: ["/var/lib/postgresql/data"],
            statePaths: ["/var/lib/postgresql/data"],
            source: "immich-app/base-images postgres/Dockerfile @ ff4be937, FROM postgres:14 (docker-library/postgres 14/bookworm/Dockerfile: VOLUME /var/lib/postgresql/data)",
        },
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
        storage: {
            declaredVolumes: [],
            statePaths: [],
            source: "valkey-io/valkey-container Dockerfile.template: VOLUME /data removed by PR #84 (9.1 on; the 9.0.0 copy @ 01966293 still declares it); a cache, nothing to keep",
        },
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
