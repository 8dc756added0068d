import type { Settings } from "../config/schema";
import { imageRef, type ServiceEntry } from "../catalog/types";

/**
 * The image a container runs. With `homelab:offline` set (offline tests only), a local stand-in
 * replaces the catalog image and is told which port and health path to serve.
 */
export function runtimeImage(entry: ServiceEntry, settings: Settings): { image: string; env: Record<string, string> } {
    const offline = settings.offline;
    if (offline === undefined || offline.keep.includes(entry.name)) return { image: imageRef(entry.image), env: {} };
    const health = entry.health;
    const port = health.kind === "http" || health.kind === "image" ? health.port : (entry.port ?? 8080);
    const path = health.kind === "http" || health.kind === "image" ? health.path : "/";
    const image = offline.images[entry.name] ?? offline.standInImage;
    return { image, env: { STANDIN_PORT: String(port), STANDIN_PATH: path } };
}
