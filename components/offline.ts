import type { Settings } from "../config/schema";
import { dataMountFor, imageRef, type ServiceEntry } from "../catalog/types";
import { roles } from "../topology";
import { outpostPath } from "./edge/routes";

/**
 * The image a container runs. With `homelab:offline` set (offline tests only), a local stand-in
 * replaces the catalog image and is told which port and health path to serve.
 */
export function runtimeImage(entry: ServiceEntry, settings: Settings): { image: string; env: Record<string, string> } {
    const offline = settings.offline;
    if (offline === undefined || offline.keep.includes(entry.name)) return { image: imageRef(entry.image), env: {} };
    const { port, path } = standInEndpoint(entry);
    const image = offline.images[entry.name] ?? offline.standInImage;
    // Authentik's stand-in also lets every forward-auth check through, so guarded routes answer.
    const extra: Record<string, string> =
        entry.name === roles.identityProvider ? { STANDIN_EXTRA_PATHS: `${outpostPath}auth/traefik` } : {};
    return {
        image,
        env: { STANDIN_PORT: String(port), STANDIN_PATH: path, ...extra, ...standInChecks(entry, settings) },
    };
}

/**
 * What the stand-in proves at start, as the real service would find it: it can write every
 * writable mount as the user it runs as (a marker per service), and an importer can hardlink from
 * downloads into the library. A failed check keeps the health path unanswered: unhealthy.
 */
function standInChecks(entry: ServiceEntry, settings: Settings): Record<string, string> {
    const writable = entry.mounts.flatMap((mount): string[] => {
        switch (mount.from) {
            case "appdata":
            case "scratch":
                return [mount.target];
            case "data":
                return mount.readOnly === true ? [] : [mount.target];
            case "stacks":
                return [settings.storage.stacks];
            case "docker-socket":
                return [];
        }
    });
    const checks: Record<string, string> = { STANDIN_SERVICE: entry.name };
    if (entry.user.kind === "puid") checks.STANDIN_WRITE_AS = `${settings.identity.uid}:${settings.identity.gid}`;
    if (writable.length > 0) checks.STANDIN_WRITABLE = writable.join(" ");
    if (entry.hardlinks !== undefined) {
        const from = dataMountFor(entry, entry.hardlinks.from)?.containerPath;
        const to = dataMountFor(entry, entry.hardlinks.to)?.containerPath;
        if (from !== undefined && to !== undefined) checks.STANDIN_HARDLINK = `${from} ${to}`;
    }
    return checks;
}

/** Where a service's stand-in answers: its health endpoint, else its port's root. */
export function standInEndpoint(entry: ServiceEntry): { port: number; path: string } {
    const health = entry.health;
    if (health.kind === "http" || health.kind === "image") return { port: health.port, path: health.path };
    return { port: entry.port ?? 8080, path: "/" };
}
