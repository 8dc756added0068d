import { show } from "../config/errors";
import type { Settings } from "../config/schema";
import type { ServiceEntry } from "./types";

/** Whether `path` is `target` or below it. */
const isUnder = (path: string, target: string): boolean =>
    path === target || path.startsWith(target.endsWith("/") ? target : `${target}/`);

/** The container paths an entry's host mounts put on the host's disk or the NAS (not the socket). */
export function hostMountTargets(entry: ServiceEntry, settings: Settings): string[] {
    return entry.mounts.flatMap((mount): string[] => {
        switch (mount.from) {
            case "appdata":
            case "data":
            case "scratch":
                return [mount.target];
            case "stacks":
                return [settings.storage.stacks];
            case "docker-socket":
                return [];
        }
    });
}

/**
 * The image's declared volumes that no mount of the entry is exactly at: Docker makes each an
 * anonymous volume, even below a bind of a parent directory (a bind at /var/lib/postgresql leaves
 * VOLUME /var/lib/postgresql/data an anonymous volume that hides the bind there; checked on the
 * engine). `declared` is the catalog's record, or what `docker image inspect` shows on a real host.
 */
export function uncoveredVolumes(entry: ServiceEntry, settings: Settings, declared: readonly string[]): string[] {
    const mounted = [...hostMountTargets(entry, settings), ...(entry.tmpfs ?? []).map((tmpfs) => tmpfs.target)];
    return declared.filter((path) => !mounted.includes(path));
}

/** The entry's state paths that no host mount covers (a tmpfs keeps nothing). */
export function uncoveredState(entry: ServiceEntry, settings: Settings): string[] {
    const covering = hostMountTargets(entry, settings);
    return entry.storage.statePaths.filter((path) => !covering.some((target) => isUnder(path, target)));
}

const absolute = /^\/[^\0]*[^/]$|^\/$/;

/** Every path of an entry's storage record under a mount, each uncovered one a problem naming the fix. */
export function storageProblems(entry: ServiceEntry, settings: Settings): string[] {
    const where = `catalog: ${entry.name}.storage`;
    const problems: string[] = [];
    if (entry.storage.source.trim() === "") {
        problems.push(`${where}.source: (empty) is not allowed; expected the upstream files the paths were read from`);
    }
    for (const path of [...entry.storage.declaredVolumes, ...entry.storage.statePaths]) {
        if (!absolute.test(path)) {
            problems.push(`${where}: ${show(path)} is not allowed; expected an absolute container path`);
        }
    }
    const uncoveredDeclared = uncoveredVolumes(entry, settings, entry.storage.declaredVolumes);
    for (const path of uncoveredDeclared) {
        problems.push(
            `${where}.declaredVolumes: ${show(path)} (a VOLUME of ${entry.image.repository}) is not covered by a mount; ` +
                "Docker would keep it in an anonymous volume on the host's disk, outside the backups and lost when " +
                `the container is replaced; expected a mount at exactly ${show(path)} in ${entry.name}.mounts ` +
                "(appdata or data; a tmpfs if it holds nothing to keep)",
        );
    }
    for (const path of uncoveredState(entry, settings).filter((path) => !uncoveredDeclared.includes(path))) {
        problems.push(
            `${where}.statePaths: ${show(path)} is not covered by a host mount; ${entry.name} writes state there, ` +
                `which would be lost when the container is replaced; expected an appdata or data mount at or above ${show(path)} ` +
                `in ${entry.name}.mounts`,
        );
    }
    return problems;
}
