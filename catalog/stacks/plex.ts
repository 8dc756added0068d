import { appdata, curl, data, internalRoute, lsio } from "../builders";
import type { ServiceEntry } from "../types";

export const plex: readonly ServiceEntry[] = [
    {
        name: "plex",
        title: "Plex Media Server",
        stack: "plex",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "linuxserver/docker-plex Dockerfile (VOLUME /config; PLEX_MEDIA_SERVER_APPLICATION_SUPPORT_DIR under /config), root/etc/s6-overlay/s6-rc.d/svc-plex/run @ 1.43.3.10828-00f62d37d-ls315",
        },
        host: "nas-prod-01",
        image: lsio("plex", "1.43.3.10828-00f62d37d-ls315"),
        port: 32400,
        route: internalRoute("plex", false),
        user: { kind: "puid" },
        mounts: [
            appdata("/config"),
            data("media", true),
            { from: "scratch", sub: "plex-transcode", target: "/transcode" },
        ],
        env: { VERSION: "docker" },
        health: curl(32400, "/identity"),
        // Host networking for local discovery (GDM) and direct play on the LAN; 32400 is also the router's forward.
        networking: { mode: "host" },
        portForward: {
            port: 32400,
            reason: "remote streaming stays outside the tunnel: Cloudflare's terms forbid video",
        },
        devices: [{ path: "/dev/dri", optional: true, reason: "Intel Quick Sync hardware transcoding" }],
    },
];
