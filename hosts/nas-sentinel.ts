import type { ServiceEntry } from "../catalog/types";
import { exportLocation } from "../config/proxmox";
import type { HostSettings, Settings } from "../config/schema";
import { nasSentinel } from "../components/offline";
import type { OwnedDirectory } from "../components/spec";
import { nasHost, type HostName } from "../topology";
import { mountOf, nfsMounts } from "./bootstrap-scripts";

/**
 * The NAS's share carries a sentinel file (`.homelab-nas`) in every data directory a container
 * mounts. It is made on the NAS side only: by the NAS host's directories step (prod: a script over
 * SSH on the Unraid; the labs: in-process), never on a VM, so a VM whose NFS mount is missing has
 * an empty local directory without it. Where no NAS host runs containers, a host that holds the
 * data tree itself (`createDataDirectories`, the lab's one machine) makes it, because there the
 * local tree is the data tree. The stand-in refuses to start where it is missing
 * (offline-toolchain/standin/standin.sh, STANDIN_SENTINEL); on a real VM the docker.service
 * drop-in (hosts/bootstrap-scripts.ts, dockerMountsUnit) keeps the engine from starting before the mounts.
 */
export interface SentinelFile {
    path: string;
    uid: number;
    gid: number;
}

export interface NasShareFiles {
    /** The directories the sentinels go in, from the share's root down, parents first. */
    directories: OwnedDirectory[];
    sentinels: SentinelFile[];
}

/** One container's data directory as the NAS holds it: the share (or export) root and the path below it. */
interface OnTheNas {
    root: string;
    path: string;
}

const join = (base: string, sub: string): string => (sub === "" ? base : `${base}/${sub}`);

/**
 * Where `<data>/<sub>` of a container on `host` lies on the NAS. A VM sees the NAS's exports at its
 * data path (homelab:proxmox.nfs): the export covering the path, at its export path. The NAS's own
 * containers, and hosts without NFS mounts (the labs), see the NAS's data share itself. Undefined:
 * the VM has the path on its own disk (no export covers it), where no sentinel belongs.
 */
export function nasLocation(host: HostName, sub: string, settings: Settings): OnTheNas | undefined {
    const nas = settings.hosts[nasHost];
    if (nas === undefined) return undefined;
    const nasData = nas.storage?.data ?? settings.storage.data;
    const own = settings.hosts[host];
    const mounts = host === nasHost || own === undefined ? [] : nfsMounts(own, settings);
    if (mounts.length === 0) return { root: nasData, path: join(nasData, sub) };
    const where = join(own?.storage?.data ?? settings.storage.data, sub);
    const mount = mountOf(mounts, where);
    const exported = mount && settings.proxmox?.nfs?.exports[mount.key];
    if (mount === undefined || exported === undefined) return undefined;
    const root = exportLocation(mount.key, exported).path;
    return { root, path: `${root}${where.slice(mount.where.length)}` };
}

/** The directories from `root` down to `path` (root included), parents first. */
function chain(root: string, path: string): string[] {
    const rest = path.slice(root.length).split("/").filter(Boolean);
    return rest.reduce((paths, part) => [...paths, `${paths[paths.length - 1] ?? root}/${part}`], [root]);
}

/** The files a set of data directories needs on the host that holds them: each directory, parents first, and its sentinel. */
function shareFiles(locations: readonly OnTheNas[], settings: Settings, holder: HostSettings): NasShareFiles {
    const { uid, gid } = settings.identity;
    // On the NAS of the labs the program made the tree; on a real NAS an existing directory keeps its owner.
    const how = { uid, gid, mode: "0775", enforceOwner: holder.createDataDirectories };
    const directories = new Map<string, OwnedDirectory>();
    const sentinels = new Map<string, SentinelFile>();
    for (const { root, path } of locations) {
        for (const directory of chain(root, path)) directories.set(directory, { path: directory, ...how });
        sentinels.set(path, { path: `${path}/${nasSentinel}`, uid, gid });
    }
    const sorted = <T extends { path: string }>(items: Iterable<T>): T[] =>
        [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { directories: sorted(directories.values()), sentinels: sorted(sentinels.values()) };
}

/** The data directories (relative to the data path) an entry mounts. */
const dataSubs = (entry: ServiceEntry): string[] =>
    entry.mounts.flatMap((mount) => (mount.from === "data" ? [mount.sub] : []));

/**
 * Which host makes which sentinels: the NAS host all of them, for every container of every host,
 * when it is one of the program's Docker hosts; otherwise each host that holds the data tree
 * (`createDataDirectories`) those of its own containers, in its own data path. A VM of prod
 * (no `createDataDirectories`) makes none.
 */
export function nasShareFilesByHost(
    placements: readonly { host: HostName; entry: ServiceEntry }[],
    settings: Settings,
    dockerHosts: readonly HostName[],
): Partial<Record<HostName, NasShareFiles>> {
    const nas = settings.hosts[nasHost];
    if (nas !== undefined && dockerHosts.includes(nasHost)) {
        const locations = placements.flatMap(({ host, entry }) =>
            dataSubs(entry).flatMap((sub) => nasLocation(host, sub, settings) ?? []),
        );
        return locations.length === 0 ? {} : { [nasHost]: shareFiles(locations, settings, nas) };
    }
    const byHost: Partial<Record<HostName, NasShareFiles>> = {};
    for (const host of dockerHosts) {
        const own = settings.hosts[host];
        if (own === undefined || !own.createDataDirectories) continue;
        const data = own.storage?.data ?? settings.storage.data;
        const locations = placements
            .filter((placement) => placement.host === host)
            .flatMap(({ entry }) => dataSubs(entry).map((sub) => ({ root: data, path: join(data, sub) })));
        if (locations.length > 0) byHost[host] = shareFiles(locations, settings, own);
    }
    return byHost;
}
