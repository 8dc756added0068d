import { createHash } from "node:crypto";
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
    const image = standInWithVolumes(offline.images[entry.name] ?? offline.standInImage, entry.storage.declaredVolumes);
    // Authentik's stand-in also lets every forward-auth check through, so guarded routes answer.
    const extra: Record<string, string> =
        entry.name === roles.identityProvider ? { STANDIN_EXTRA_PATHS: `${outpostPath}auth/traefik` } : {};
    return {
        image,
        env: { STANDIN_PORT: String(port), STANDIN_PATH: path, ...extra, ...standInChecks(entry, settings) },
    };
}

/**
 * The stand-in image that declares `volumes` as the real image does (`VOLUME`): `<stand-in>-vol-<hash>`
 * of the set, the stand-in itself when the set is empty. Docker gives a declared volume no mount
 * covers an anonymous volume, in the lab as on a real host, so an entry that forgets one shows.
 * offline-toolchain/standin/build.sh builds one per set the catalog declares (standInVariants).
 */
export function standInWithVolumes(standIn: string, volumes: readonly string[]): string {
    if (volumes.length === 0) return standIn;
    const set = [...new Set(volumes)].sort();
    const hash = createHash("sha256").update(set.join("\n")).digest("hex").slice(0, 12);
    const at = standIn.indexOf("@");
    const name = at >= 0 ? standIn.slice(0, at) : standIn;
    const colon = name.lastIndexOf(":");
    const tagged = colon > name.lastIndexOf("/");
    const repository = tagged ? name.slice(0, colon) : name;
    const tag = tagged ? name.slice(colon + 1) : "latest";
    // A tag is at most 128 characters: a long base tag is cut, the hash kept.
    return `${repository}:${tag.slice(0, 128 - 17)}-vol-${hash}`;
}

/** Every volume-declaring stand-in the entries need from the stand-in `standIn`: its tag and its VOLUMEs. */
export function standInVariants(
    standIn: string,
    entries: readonly Pick<ServiceEntry, "storage">[],
): { image: string; volumes: string[] }[] {
    const byImage = new Map<string, string[]>();
    for (const entry of entries) {
        const volumes = [...new Set(entry.storage.declaredVolumes)].sort();
        if (volumes.length > 0) byImage.set(standInWithVolumes(standIn, volumes), volumes);
    }
    return [...byImage.entries()]
        .map(([image, volumes]) => ({ image, volumes }))
        .sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
}

/** The file the NAS's share carries in every data directory a container mounts (hosts/nas-sentinel.ts). */
export const nasSentinel = ".homelab-nas";

/**
 * What the stand-in proves at start, as the real service would find it: every data mount is the
 * NAS's share (its sentinel is there; otherwise it refuses to start and writes nothing), it can
 * write every writable mount as the user it runs as (a marker per service), and an importer can
 * hardlink from downloads into the library. A failed check keeps the health path unanswered: unhealthy.
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
    // Every data mount must be the NAS's share: where its sentinel is missing, the stand-in writes nothing.
    const sentinels = entry.mounts.flatMap((mount) =>
        mount.from === "data" ? [`${mount.target}/${nasSentinel}`] : [],
    );
    if (sentinels.length > 0) checks.STANDIN_SENTINEL = sentinels.join(" ");
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
