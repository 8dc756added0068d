import { appdata, appdataOf, databaseOwnsItsData, externalRoute, internalOnly, proxyAndInternal } from "../builders";
import { roles } from "../../topology";
import type { ServiceEntry } from "../types";

export const authentikVersion = "2026.8.3";

/** Authentik moved its cache, sessions and tasks to PostgreSQL in 2025.10; older pins still need Redis. */
export function authentikNeedsRedis(version: string): boolean {
    const [year = 0, minor = 0] = version.split(".").map(Number);
    return year < 2025 || (year === 2025 && minor < 10);
}

/** The server answers every login and hosts the embedded outpost that forward-auth asks. */
export const authentikServer = roles.identityProvider;
/** The worker applies blueprints: the program's single sign-on blueprint among them (components/sso). */
export const authentikWorker = roles.blueprintReader;
/**
 * Where the worker reads the program's blueprint: a directory of its own under Authentik's
 * blueprints directory (AUTHENTIK_BLUEPRINTS_DIR and the shipped default/system blueprints stay as
 * they are), bind-mounted from `<appdata>/authentik-worker/blueprints`.
 */
export const blueprintsTarget = "/blueprints/homelab";

const database = "authentik-postgresql";
const redis = "authentik-redis";
const needsRedis = authentikNeedsRedis(authentikVersion);

const authentikEnv = {
    AUTHENTIK_POSTGRESQL__HOST: database,
    AUTHENTIK_POSTGRESQL__USER: "authentik",
    AUTHENTIK_POSTGRESQL__NAME: "authentik",
    ...(needsRedis ? { AUTHENTIK_REDIS__HOST: redis } : {}),
};
const authentikSecrets = {
    AUTHENTIK_SECRET_KEY: "authentikSecretKey",
    AUTHENTIK_POSTGRESQL__PASSWORD: "authentikDbPassword",
};
const startsAfter = [{ service: database, healthy: true }, ...(needsRedis ? [{ service: redis, healthy: false }] : [])];

export const auth: readonly ServiceEntry[] = [
    {
        name: authentikServer,
        title: "Authentik server",
        stack: "auth",
        storage: {
            declaredVolumes: [],
            statePaths: ["/data"],
            source: "goauthentik/authentik Dockerfile @ 0027813e (2025.12; 2026.8.3 not readable here): no VOLUME, USER 1000, /data is the file storage root (media at /data/media); docker-compose.yml shares ./data with the worker",
        },
        host: "auth-prod-01",
        image: { repository: "ghcr.io/goauthentik/server", tag: authentikVersion },
        port: 9000,
        route: externalRoute("auth", false),
        user: { kind: "user" },
        mounts: [appdata("/data", "data"), appdata("/templates", "custom-templates")],
        command: ["server"],
        env: authentikEnv,
        secretEnv: authentikSecrets,
        health: { kind: "command", test: ["ak", "healthcheck"] },
        networking: proxyAndInternal,
        dependsOn: startsAfter,
        // On k3s, the identity provider's high availability: every sign-in and forward-auth check
        // is answered by one of two servers. Their /data (uploaded media: icons, which can be URLs
        // instead) and /templates (custom email templates: the worker sends mail) need not outlive
        // a pod, as in Authentik's own Helm chart, which mounts no volume on the server.
        replicas: 2,
    },
    {
        name: authentikWorker,
        title: "Authentik worker",
        stack: "auth",
        storage: {
            declaredVolumes: [],
            statePaths: ["/data", "/certs"],
            source: "goauthentik/authentik Dockerfile @ 0027813e (2025.12; 2026.8.3 not readable here): no VOLUME; /data shared with the server, /certs for certificate discovery (docker-compose.yml)",
        },
        host: "auth-prod-01",
        image: { repository: "ghcr.io/goauthentik/server", tag: authentikVersion },
        user: { kind: "user" },
        // One /data and one /templates with the server, as upstream's compose shares ./data and
        // ./custom-templates: media uploaded through the server, certificates the worker discovers.
        mounts: [
            appdataOf(authentikServer, "/data", "data"),
            appdataOf(authentikServer, "/templates", "custom-templates"),
            appdata("/certs", "certs"),
            appdata(blueprintsTarget, "blueprints"),
        ],
        command: ["worker"],
        env: authentikEnv,
        secretEnv: authentikSecrets,
        health: { kind: "command", test: ["ak", "healthcheck"] },
        // The worker fetches blueprints and sends mail, so it needs a routed network too.
        networking: proxyAndInternal,
        dependsOn: startsAfter,
    },
    {
        name: database,
        title: "Authentik PostgreSQL",
        stack: "auth",
        storage: {
            declaredVolumes: ["/var/lib/postgresql/data"],
            statePaths: ["/var/lib/postgresql/data"],
            source: "docker-library/postgres 16/alpine3.23/Dockerfile (ENV PGDATA, VOLUME /var/lib/postgresql/data) @ 6edb0a8",
        },
        host: "auth-prod-01",
        image: { repository: "docker.io/library/postgres", tag: "16-alpine" },
        port: 5432,
        user: databaseOwnsItsData,
        mounts: [appdata("/var/lib/postgresql/data")],
        env: { POSTGRES_USER: "authentik", POSTGRES_DB: "authentik" },
        secretEnv: { POSTGRES_PASSWORD: "authentikDbPassword" },
        health: { kind: "command", test: ["pg_isready", "-U", "authentik", "-d", "authentik"] },
        networking: internalOnly,
        stateful: true,
        dump: { tool: "pg_dump", user: "authentik", database: "authentik" },
    },
    {
        name: redis,
        title: "Authentik Redis",
        stack: "auth",
        storage: {
            declaredVolumes: ["/data"],
            statePaths: [],
            source: "redis/docker-library-redis 7.4/alpine/Dockerfile (WORKDIR /data, VOLUME /data) @ 7.4.3",
        },
        host: "auth-prod-01",
        image: { repository: "docker.io/library/redis", tag: "7.4-alpine" },
        port: 6379,
        user: {
            kind: "exception",
            runsAs: "the image's redis user",
            reason: "its entrypoint starts as root, takes ownership of /data and drops to the redis user; only for Authentik pins before 2025.10",
        },
        // The image declares /data a VOLUME: a directory of its own instead of an anonymous volume.
        mounts: [appdata("/data")],
        health: { kind: "command", test: ["redis-cli", "ping"] },
        networking: internalOnly,
        enabled: needsRedis,
    },
];
