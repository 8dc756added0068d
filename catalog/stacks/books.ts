import { appdata, data, externalRoute, internalRoute, onProxy, wget } from "../builders";
import type { Mount, ServiceEntry } from "../types";

/** Shelfmark writes here and Calibre-Web-Automated imports (and deletes) from here. */
const ingestSub = "downloads/books-ingest";
const ingest = (target: string): Mount => ({ from: "data", sub: ingestSub, target });
/** Calibre's library: `<data>/media/books`, where the image keeps it. */
const library: Mount = { from: "data", sub: "media/books", target: "/calibre-library" };

export const books: readonly ServiceEntry[] = [
    {
        name: "audiobookshelf",
        title: "Audiobookshelf",
        stack: "books",
        storage: {
            declaredVolumes: [],
            statePaths: ["/config", "/metadata"],
            source: "advplyr/audiobookshelf Dockerfile, index.js (CONFIG_PATH=/config, METADATA_PATH=/metadata) @ v2.36.0 (96d4021): no VOLUME",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/advplyr/audiobookshelf", tag: "2.36.0" },
        port: 80,
        route: externalRoute("audiobooks", false),
        user: { kind: "user" },
        // /config holds a SQLite database: local disk, never the NAS.
        mounts: [
            appdata("/config", "config"),
            appdata("/metadata", "metadata"),
            data("media/audiobooks"),
            data("media/podcasts"),
        ],
        health: wget(80, "/healthcheck"),
        networking: onProxy,
    },
    {
        name: "calibre-web-automated",
        title: "Calibre-Web-Automated",
        stack: "books",
        storage: {
            declaredVolumes: ["/config", "/cwa-book-ingest", "/calibre-library"],
            statePaths: ["/config", "/calibre-library"],
            source: "crocodilestick/Calibre-Web-Automated Dockerfile (VOLUME /config /cwa-book-ingest /calibre-library), dirs.json, scripts/auto_library.py (library_dir=/calibre-library) @ v4.0.6 (1b80f9a)",
        },
        host: "docker-prod-01",
        image: { repository: "docker.io/crocodilestick/calibre-web-automated", tag: "v4.0.6" },
        port: 8083,
        route: internalRoute("calibre", false),
        user: { kind: "puid" },
        // The library (metadata.db and the book files) on the NAS's books tree, at the path the
        // image declares as its VOLUME: in appdata or an anonymous volume it would be off the NAS's
        // backups; NETWORK_SHARE_MODE below is what makes it safe on NFS.
        mounts: [appdata("/config"), ingest("/cwa-book-ingest"), library],
        // The library is on NFS: no SQLite WAL, no chown, polling instead of inotify.
        env: { NETWORK_SHARE_MODE: "true", CWA_WATCH_MODE: "poll" },
        health: { kind: "image", port: 8083, path: "/" },
        networking: onProxy,
    },
    {
        name: "shelfmark",
        title: "Shelfmark",
        stack: "books",
        storage: {
            declaredVolumes: [],
            statePaths: ["/config"],
            source: "calibrain/shelfmark Dockerfile, shelfmark/config/env.py (CONFIG_DIR=/config, INGEST_DIR=/books) @ v1.3.11 (5b3df2a): no VOLUME",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/calibrain/shelfmark", tag: "v1.3.11" },
        port: 8084,
        // Public, and without a login of its own: Authentik guards it.
        route: externalRoute("books", true),
        user: { kind: "puid" },
        mounts: [appdata("/config"), ingest("/books")],
        health: { kind: "image", port: 8084, path: "/api/health" },
        networking: onProxy,
    },
];
