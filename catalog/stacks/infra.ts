import { appdata, internalRoute, onProxy, wget } from "../builders";
import { roles } from "../../topology";
import type { ServiceEntry } from "../types";
import { traefikDynamicDir, traefikPorts, traefikStaticArgs } from "./traefik";

export const infra: readonly ServiceEntry[] = [
    {
        name: roles.ingress,
        title: "Traefik",
        stack: "infra",
        storage: {
            declaredVolumes: [],
            statePaths: ["/letsencrypt"],
            source: "traefik/traefik-library-image v3.7/alpine/Dockerfile, entrypoint.sh @ b458e31 (v3.7.9): no VOLUME; acme.json is where our static args put it",
        },
        host: "docker-prod-01",
        image: { repository: "docker.io/library/traefik", tag: "v3.7.9" },
        port: 8080,
        // The dashboard is Traefik's own api@internal service, behind forward-auth.
        route: { ...internalRoute("traefik", true), traefikService: "api@internal" },
        user: {
            kind: "exception",
            runsAs: "root",
            reason: "binds 80/443 and reads the Docker socket; the official image has no non-root user",
        },
        mounts: [
            appdata("/letsencrypt", "letsencrypt"),
            appdata(traefikDynamicDir, "dynamic"),
            { from: "docker-socket", readOnly: true },
        ],
        secretEnv: (settings): Record<string, string> =>
            settings.traefik.certificates === "self-signed" ? {} : { CF_DNS_API_TOKEN: "cloudflareDnsApiToken" },
        command: traefikStaticArgs,
        publish: traefikPorts,
        health: { kind: "command", test: ["traefik", "healthcheck", "--ping"] },
        // `proxy` first (its network mode, where the published ports land); `tunnel` is where the
        // connector reaches it, from the one address its static args trust (traefik.ts tunnelNetwork).
        networking: { mode: "bridge", proxy: true, internal: false, tunnel: "ingress" },
    },
    {
        name: "dockman",
        title: "Dockman",
        stack: "infra",
        storage: {
            declaredVolumes: [],
            statePaths: ["/config"],
            source: "RA341/dockman pkg/docker/Dockerfile (ENV DOCKMAN_CONFIG=/config), core/internal/database/service.go (dockman.db) @ v3.2.0: no VOLUME",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/ra341/dockman", tag: "v3.2.0" },
        port: 8866,
        route: internalRoute("dockman", true),
        user: { kind: "puid" },
        mounts: [appdata("/config"), { from: "stacks" }, { from: "docker-socket", readOnly: false }],
        env: (settings) => ({
            // The owner's own compose stacks only: the program writes no compose file there, and its
            // containers carry components/spec.ts dockmanLabels (README "Who owns which container").
            DOCKMAN_COMPOSE_ROOT: settings.storage.stacks,
            DOCKMAN_AUTH_ENABLE: "true",
            DOCKMAN_AUTH_USERNAME: "admin",
        }),
        secretEnv: { DOCKMAN_AUTH_PASSWORD: "dockmanPassword" },
        health: wget(8866, "/"),
        networking: onProxy,
    },
    {
        name: "homarr",
        title: "Homarr",
        stack: "infra",
        storage: {
            declaredVolumes: ["/appdata"],
            statePaths: ["/appdata"],
            source: "homarr-labs/homarr Dockerfile (VOLUME /appdata, DB_URL=/appdata/db/db.sqlite) @ v1.74.0",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/homarr-labs/homarr", tag: "v1.74.0" },
        port: 7575,
        // Signs in with Authentik itself (OIDC), so no forward-auth in front of it.
        route: internalRoute("home", false),
        user: { kind: "puid" },
        mounts: [appdata("/appdata")],
        // Homarr's Auth.js settings; catalog/sso.ts adds the issuer, client id and client secret.
        env: { AUTH_PROVIDERS: "oidc", AUTH_OIDC_CLIENT_NAME: "Authentik", AUTH_OIDC_AUTO_LOGIN: "true" },
        secretEnv: { SECRET_ENCRYPTION_KEY: "homarrEncryptionKey" },
        sso: {
            oidc: {
                clientId: "homarr",
                // Auth.js's callback for Homarr's provider id "oidc".
                redirects: [{ path: "/api/auth/callback/oidc" }],
                delivery: {
                    kind: "env",
                    issuerVar: "AUTH_OIDC_ISSUER",
                    clientIdVar: "AUTH_OIDC_CLIENT_ID",
                    clientSecretVar: "AUTH_OIDC_CLIENT_SECRET",
                },
            },
        },
        health: wget(7575, "/api/health/live"),
        networking: onProxy,
    },
];
