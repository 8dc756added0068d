import { appdata, curl, data, externalRoute, internalRoute, lsio, onProxy, wget } from "../builders";
import type { ServiceEntry } from "../types";

/** Sonarr and Radarr instances: each its own appdata and subdomain, all seeing one `/data` tree. */
function arrInstance(name: string, title: string, app: "sonarr" | "radarr", tag: string, port: number): ServiceEntry {
    return {
        name,
        title,
        stack: "arr",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "linuxserver/docker-sonarr and docker-radarr Dockerfile (VOLUME /config), root/etc/s6-overlay/s6-rc.d/svc-*/run (-data=/config) @ 4.0.19.2979-ls316 / 6.2.1.10461-ls308",
        },
        host: "docker-prod-01",
        image: lsio(app, tag),
        port,
        route: internalRoute(name, true),
        user: { kind: "puid" },
        mounts: [appdata("/config"), data("")],
        // Imports hardlink from downloads into the library: one /data mount, one filesystem.
        hardlinks: { from: "downloads", to: "media" },
        health: curl(port, "/ping"),
        networking: onProxy,
    };
}

const sonarrTag = "4.0.19.2979-ls316";
const radarrTag = "6.2.1.10461-ls308";

export const arr: readonly ServiceEntry[] = [
    arrInstance("sonarr", "Sonarr (TV)", "sonarr", sonarrTag, 8989),
    arrInstance("sonarr-anime", "Sonarr (Anime)", "sonarr", sonarrTag, 8989),
    arrInstance("radarr", "Radarr (1080p)", "radarr", radarrTag, 7878),
    arrInstance("radarr-4k", "Radarr (4K)", "radarr", radarrTag, 7878),
    {
        name: "prowlarr",
        title: "Prowlarr",
        stack: "arr",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "linuxserver/docker-prowlarr Dockerfile (VOLUME /config), root/etc/s6-overlay/s6-rc.d/svc-prowlarr/run @ 2.5.2.5491-ls155",
        },
        host: "docker-prod-01",
        image: lsio("prowlarr", "2.5.2.5491-ls155"),
        port: 9696,
        route: internalRoute("prowlarr", true),
        user: { kind: "puid" },
        mounts: [appdata("/config")],
        health: curl(9696, "/ping"),
        networking: onProxy,
    },
    {
        name: "bazarr",
        title: "Bazarr",
        stack: "arr",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "linuxserver/docker-bazarr Dockerfile (VOLUME /config), root/etc/s6-overlay/s6-rc.d/svc-bazarr/run (--config /config) @ v1.6.0-ls360",
        },
        host: "docker-prod-01",
        image: lsio("bazarr", "v1.6.0-ls360"),
        port: 6767,
        route: internalRoute("bazarr", true),
        user: { kind: "puid" },
        mounts: [appdata("/config"), data("media")],
        // Unauthenticated since v1.5.2 (morpheus65535/bazarr bazarr/api/system/ping.py); curl is in the image.
        health: curl(6767, "/api/system/ping"),
        networking: onProxy,
    },
    {
        name: "profilarr",
        title: "Profilarr",
        stack: "arr",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "Dictionarry-Hub/profilarr Dockerfile (VOLUME /config, APP_BASE_PATH=/config), src/lib/server/utils/config/config.ts @ 1a3f4c83 (v2 line; v2.0.9 itself not readable here)",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/dictionarry-hub/profilarr", tag: "v2.0.9" },
        port: 6868,
        route: internalRoute("profilarr", true),
        user: { kind: "puid" },
        mounts: [appdata("/config")],
        env: { UMASK: "002" },
        // The image's own HEALTHCHECK curls /api/v1/health (Dockerfile; issue Dictionarry-Hub/profilarr#244).
        health: { kind: "image", port: 6868, path: "/api/v1/health" },
        networking: onProxy,
    },
    {
        name: "maintainerr",
        title: "Maintainerr",
        stack: "arr",
        storage: {
            declaredVolumes: ["/opt/data"],
            statePaths: ["/opt/data"],
            source: 'Maintainerr/Maintainerr Dockerfile (VOLUME ["/opt/data"], DATA_DIR=/opt/data), apps/server/src/app/config/dataDir.ts @ v3.24.0',
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/maintainerr/maintainerr", tag: "v3.24.0" },
        port: 6246,
        route: internalRoute("maintainerr", true),
        user: { kind: "user" },
        // Media at the path the arr apps report, for leftover-folder cleanup.
        mounts: [appdata("/opt/data"), data("media")],
        health: { kind: "image", port: 6246, path: "/api/health/ready" },
        networking: onProxy,
    },
    {
        name: "seerr",
        title: "Seerr",
        stack: "arr",
        storage: {
            declaredVolumes: [],
            statePaths: ["/app/config"],
            source: "seerr-team/seerr Dockerfile (no VOLUME, USER node), server/lib/settings/index.ts and server/datasource.ts (CONFIG_DIRECTORY=/app/config) @ v3.1.0",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/seerr-team/seerr", tag: "v3.1.0" },
        port: 5055,
        route: externalRoute("request", false),
        user: {
            kind: "exception",
            runsAs: "1000:1000 (the image's node user)",
            reason: "upstream requires the image's node user and a config dir owned by 1000:1000",
            appdataOwner: { uid: 1000, gid: 1000 },
        },
        mounts: [appdata("/app/config")],
        env: { LOG_LEVEL: "info" },
        health: wget(5055, "/api/v1/status"),
        networking: onProxy,
        init: true,
    },
    {
        name: "tautulli",
        title: "Tautulli",
        stack: "arr",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "linuxserver/docker-tautulli Dockerfile (VOLUME /config, as every linuxserver image); not re-read at v2.17.1-ls230 in this audit",
        },
        host: "docker-prod-01",
        image: lsio("tautulli", "v2.17.1-ls230"),
        port: 8181,
        route: internalRoute("tautulli", true),
        user: { kind: "puid" },
        mounts: [appdata("/config")],
        health: curl(8181, "/status"),
        networking: onProxy,
    },
    {
        name: "flaresolverr",
        title: "FlareSolverr",
        stack: "arr",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: [],
            source: "FlareSolverr/FlareSolverr Dockerfile (VOLUME /config for an optional LOG_FILE, USER flaresolverr, curl installed), src/flaresolverr.py (/health) @ v3.5.0",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/flaresolverr/flaresolverr", tag: "v3.5.0" },
        // An API for Prowlarr on the proxy network, not a UI: no route.
        port: 8191,
        user: {
            kind: "exception",
            runsAs: "the image's flaresolverr user",
            reason:
                "at start it patches /app/chromedriver, owned by that user, and writes under its home " +
                "(FlareSolverr/FlareSolverr#718, #1430); it keeps no files",
        },
        mounts: [],
        // The declared /config only takes an optional log file (LOG_FILE, unset): RAM, not an anonymous volume.
        tmpfs: [{ target: "/config", reason: "the image's VOLUME for an optional log file; nothing to keep" }],
        env: { LOG_LEVEL: "info" },
        health: curl(8191, "/health"),
        networking: onProxy,
    },
];
