/**
 * The fleet lab's paths for one work dir (fleet.sh builds them there), the stack config that points
 * the fleet stack at them, and the NAS's exports as production splits them.
 *
 * The split is production's, read from Pulumi.prod.yaml through the program (`nfsMounts`): each
 * export is a directory below the fleet's NAS directory at its export path (WORK/nas/mnt/user/data,
 * …), bind-mounted where a VM mounts it, relative to the VMs' data path (WORK/data,
 * WORK/data/backups, WORK/data/photos). The NAS's own services see the share itself, as on Unraid.
 */
import * as path from "node:path";
import { settingsOfStackFile } from "../../config/load";
import { exportLocation } from "../../config/proxmox";
import type { Settings } from "../../config/schema";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { isUnder, nfsMounts } from "../../hosts/bootstrap-scripts";
import { vmHosts } from "../../hosts/problems";
import { hostNames, nasHost, type HostName } from "../../topology";

const repoRoot = path.resolve(__dirname, "../..");

/** One NAS export in the fleet: its directory on the NAS, and where the VMs see it. */
export interface FleetExport {
    key: string;
    source: string;
    target: string;
}

export interface FleetHostPaths {
    appdata: string;
    /** The host's data path: the VMs' mount of the data export, or the NAS's share itself. */
    data: string;
    dockerSocket: string;
    scratch: string;
}

export interface FleetLayout {
    work: string;
    /** The NAS's disks: every export path lies below it. */
    nas: string;
    storage: { appdata: string; stacks: string; data: string };
    hosts: Record<HostName, FleetHostPaths>;
    /** Parents first: mounted in this order. */
    exports: FleetExport[];
}

function prodSettings(): Settings {
    return settingsOfStackFile(readStackFile(stackFilePath(repoRoot, "prod")));
}

/** The exports every production VM mounts, relative to its data path ("" = the data path itself). */
export function prodSplit(settings: Settings = prodSettings()): { key: string; path: string; at: string }[] {
    const exports = settings.proxmox?.nfs?.exports ?? {};
    const perVm = vmHosts(settings).map(({ name, host }) => {
        const data = host.storage?.data ?? settings.storage.data;
        return nfsMounts(host, settings).map((mount) => {
            const exported = exports[mount.key];
            if (exported === undefined || !isUnder(mount.where, data)) {
                throw new Error(`${name}: the NAS export ${mount.key} mounts outside its data path ${data}`);
            }
            const relative = mount.where === data ? "" : mount.where.slice(data.length + 1);
            return { key: mount.key, path: exportLocation(mount.key, exported).path, at: relative };
        });
    });
    const first = perVm[0];
    if (first === undefined) throw new Error("Pulumi.prod.yaml has no VM that mounts the NAS's exports");
    // The fleet's hosts share one mount namespace: one set of bind mounts serves every VM.
    if (perVm.some((mounts) => JSON.stringify(mounts) !== JSON.stringify(first))) {
        throw new Error("the production VMs mount different NAS exports; the fleet mounts one set for all of them");
    }
    return first;
}

export function fleetLayout(work: string, settings: Settings = prodSettings()): FleetLayout {
    const nas = `${work}/nas`;
    const vmData = `${work}/data`;
    const prodNas = settings.hosts[nasHost];
    const nasData = `${nas}${prodNas?.storage?.data ?? settings.storage.data}`;
    const hostDir = (host: HostName): string => `${work}/hosts/${host}`;
    const hosts = Object.fromEntries(
        hostNames.map((host) => [
            host,
            {
                appdata: `${hostDir(host)}/appdata`,
                data: host === nasHost ? nasData : vmData,
                dockerSocket: `${hostDir(host)}/docker.sock`,
                scratch: `${hostDir(host)}/scratch`,
            },
        ]),
    ) as Record<HostName, FleetHostPaths>;
    const exports = prodSplit(settings).map(({ key, path: exported, at }) => ({
        key,
        source: `${nas}${exported}`,
        target: at === "" ? vmData : `${vmData}/${at}`,
    }));
    return {
        work,
        nas,
        storage: { appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: vmData },
        hosts,
        exports,
    };
}

/** The fleet stack's config for a work dir: Pulumi.fleet.yaml's hosts with their paths there. */
export function fleetStackConfig(layout: FleetLayout): Record<string, unknown> {
    const committed = readStackFile(stackFilePath(repoRoot, "fleet")).config;
    const hosts = committed["homelab:hosts"] as Record<string, Record<string, unknown>>;
    return {
        "homelab:hosts": Object.fromEntries(
            hostNames.map((name) => {
                const { appdata, data, dockerSocket, scratch } = layout.hosts[name];
                const storage = name === nasHost ? { appdata, data } : { appdata };
                return [name, { ...hosts[name], storage, dockerSocket, scratch }];
            }),
        ),
        "homelab:storage": layout.storage,
    };
}

/** The fleet stack's settings for a work dir, as the program parses them. */
export function fleetSettings(layout: FleetLayout): Settings {
    const committed = readStackFile(stackFilePath(repoRoot, "fleet"));
    return settingsOfStackFile({ config: { ...committed.config, ...fleetStackConfig(layout) } });
}
