import type { Settings } from "../config/schema";
import { imageRef, type ServiceEntry } from "../catalog/types";
import { authentikServer, outpostPath } from "./edge/routes";

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
        entry.name === authentikServer ? { STANDIN_EXTRA_PATHS: `${outpostPath}auth/traefik` } : {};
    return { image, env: { STANDIN_PORT: String(port), STANDIN_PATH: path, ...extra } };
}

/** Where a service's stand-in answers: its health endpoint, else its port's root. */
export function standInEndpoint(entry: ServiceEntry): { port: number; path: string } {
    const health = entry.health;
    if (health.kind === "http" || health.kind === "image") return { port: health.port, path: health.path };
    return { port: entry.port ?? 8080, path: "/" };
}
