import { catalog } from "../catalog";
import { type ServiceEntry } from "../catalog/types";
import { everyHost, hostNames, nasHost, type HostName } from "../topology";
import { ipv4Number, ipv4Range } from "../topology/ipv4";
import { show } from "../config/errors";
import { exportLocation } from "../config/proxmox";
import type { Settings } from "../config/schema";
import { isUnder, mountOf, nfsMounts, type NfsMount } from "./bootstrap-scripts";
import type { VmHost } from "./proxmox";

/** The hosts declared as Proxmox VMs, in catalog order. */
export function vmHosts(settings: Settings): VmHost[] {
    return hostNames.flatMap((name) => {
        const host = settings.hosts[name];
        return host?.vm === undefined ? [] : [{ name, host, vm: host.vm }];
    });
}

/** Where an address sits in a CIDR: outside, the network or broadcast address, or a usable host. */
function placeIn(address: string, cidr: string): "outside" | "network" | "broadcast" | "host" {
    const [network, broadcast] = ipv4Range(cidr);
    const value = ipv4Number(address);
    if (value < network || value > broadcast) return "outside";
    if (broadcast - network > 1 && value === network) return "network";
    if (broadcast - network > 1 && value === broadcast) return "broadcast";
    return "host";
}

/** The export Tier 1 writes to: <its mount>/<host>/. */
export const backupsExport = "backups";

function vmProblems(settings: Settings): string[] {
    const problems: string[] = [];
    const vms = vmHosts(settings);
    if (vms.length === 0) return problems;
    const proxmox = settings.proxmox;
    if (proxmox === undefined) {
        problems.push(
            `homelab:proxmox: (missing) is not allowed where hosts declare a vm (${vms.map((v) => v.name).join(", ")}); ` +
                "expected { endpoint, images, nfs } of the Proxmox VE the VMs run on",
        );
    }
    const nfsExports = proxmox?.nfs?.exports ?? {};
    for (const { name, host, vm } of vms) {
        const key = `homelab:hosts.${name}`;
        const subnet = vm.network.subnet;
        const place = placeIn(host.address, subnet);
        if (place !== "host") {
            const why = place === "outside" ? "outside" : `the ${place} address of`;
            problems.push(
                `${key}.address: ${show(host.address)} is not allowed; it is ${why} the VM's subnet ${subnet} ` +
                    `(${key}.vm.network.subnet); expected a host address inside it`,
            );
        }
        if (placeIn(vm.network.gateway, subnet) !== "host" || vm.network.gateway === host.address) {
            problems.push(
                `${key}.vm.network.gateway: ${show(vm.network.gateway)} is not allowed; ` +
                    `expected another host address inside ${subnet}`,
            );
        }
        if (host.dockerHost !== undefined) {
            problems.push(
                `${key}.dockerHost: ${show(host.dockerHost)} is not allowed on a VM; expected no dockerHost ` +
                    `(a VM's engine is reached as ssh://<deployUser>@<address>)`,
            );
        }
        if (host.deployUser === undefined || host.deployUser === "root") {
            problems.push(
                `${key}.deployUser: ${show(host.deployUser)} is not allowed on a VM; expected the non-root user ` +
                    "cloud-init creates with the SSH keys (e.g. deploy)",
            );
        }
        if (vm.image !== undefined && proxmox !== undefined && proxmox.images[vm.image] === undefined) {
            problems.push(
                `${key}.vm.image: ${show(vm.image)} is not allowed; expected a key of homelab:proxmox.images ` +
                    `(${Object.keys(proxmox.images).join(", ") || "none defined"})`,
            );
        }
        for (const mount of vm.mounts ?? []) {
            if (nfsExports[mount] === undefined) {
                problems.push(
                    `${key}.vm.mounts: ${show(mount)} is not allowed; expected a key of homelab:proxmox.nfs.exports ` +
                        `(${Object.keys(nfsExports).join(", ") || "none defined"})`,
                );
            }
        }
        const others = Object.entries(settings.hosts).filter(
            ([other, o]) => other !== name && o.address === host.address,
        );
        for (const [other] of others) {
            // Reported once per pair.
            if (vms.some((v) => v.name === other) && hostNames.indexOf(other as HostName) < hostNames.indexOf(name))
                continue;
            problems.push(
                `${key}.address: ${show(host.address)} is not allowed; homelab:hosts.${other} has the same address; ` +
                    "expected one address per machine",
            );
        }
        const sameId = vms.filter((other) => other.name !== name && other.vm.vmId === vm.vmId);
        if (sameId.some((other) => hostNames.indexOf(other.name) > hostNames.indexOf(name))) {
            problems.push(
                `${key}.vm.vmId: ${show(vm.vmId)} is not allowed; ${sameId.map((o) => `homelab:hosts.${o.name}`).join(", ")} ` +
                    "has the same id; expected one Proxmox VM id per VM",
            );
        }
    }
    if (proxmox?.nfs !== undefined && settings.hosts[nasHost] === undefined) {
        problems.push(`homelab:hosts.${nasHost}: (missing) is not allowed; the VMs mount its NFS exports`);
    }
    return problems;
}

/**
 * The NAS runs services on the tree locally (Plex): its storage.data must be the directory the VMs
 * mount, or Plex on the NAS and the arr apps on a VM mean different directories by one /data path.
 * Checked for the export at the data root and for exports inside the NAS's data tree; others (a ZFS
 * pool's share elsewhere) are only mounted by the VMs.
 */
function nasLayoutProblems(settings: Settings): string[] {
    const nfsExports = settings.proxmox?.nfs?.exports ?? {};
    const nas = settings.hosts[nasHost];
    if (nas === undefined) return [];
    const nasData = nas.storage?.data ?? settings.storage.data;
    return Object.entries(nfsExports).flatMap(([key, value]) => {
        const { path, at } = exportLocation(key, value);
        const expected = at === "" ? nasData : `${nasData}/${at}`;
        if ((at !== "" && !isUnder(path, nasData)) || path === expected) return [];
        const where = at === "" ? settings.storage.data : `${settings.storage.data}/${at}`;
        return [
            `homelab:proxmox.nfs.exports.${key}: ${show(value)} is not allowed with ` +
                `homelab:hosts.${nasHost}.storage.data ${show(nasData)}; the VMs see ${path} at ${where}, ` +
                `but services on the NAS see ${expected} there; expected the path ${expected}, or the NAS's ` +
                `storage.data set to the directory the VMs mount at ${settings.storage.data}`,
        ];
    });
}

const placedOn = (entry: ServiceEntry, host: HostName): boolean => entry.host === host || entry.host === everyHost;

interface SplitTree {
    host: HostName;
    from: string;
    to: string;
    /** The mount that holds one end, and where the other end is. */
    split: NfsMount;
    splitPath: string;
    otherPath: string;
    other: NfsMount | undefined;
    services: string[];
}

/**
 * Services that hardlink or atomically move inside the data tree need both ends on one mount of the
 * VM they run on: two NFS mounts are two filesystems to the kernel (EXDEV), and the apps fall back
 * to copy + delete. The mount holding a path is the one with the longest mount point containing it.
 */
function hardlinkProblems(settings: Settings, entries: readonly ServiceEntry[]): string[] {
    const nfsExports = settings.proxmox?.nfs?.exports ?? {};
    const splits = new Map<string, SplitTree>();
    for (const { name, host } of vmHosts(settings)) {
        const mounts = nfsMounts(host, settings);
        const data = host.storage?.data ?? settings.storage.data;
        const pathOf = (sub: string): string => (sub === "" ? data : `${data}/${sub}`);
        for (const entry of entries) {
            if (entry.hardlinks === undefined || entry.enabled === false || !placedOn(entry, name)) continue;
            const { from, to } = entry.hardlinks;
            const fromMount = mountOf(mounts, pathOf(from));
            const toMount = mountOf(mounts, pathOf(to));
            if (fromMount?.key === toMount?.key) continue;
            const split = fromMount ?? toMount;
            if (split === undefined) continue;
            const group = `${name}|${split.key}|${from}|${to}`;
            const known = splits.get(group);
            if (known !== undefined) {
                known.services.push(entry.name);
                continue;
            }
            const fromIsSplit = split === fromMount;
            splits.set(group, {
                host: name,
                from,
                to,
                split,
                splitPath: pathOf(fromIsSplit ? from : to),
                otherPath: pathOf(fromIsSplit ? to : from),
                other: fromIsSplit ? toMount : fromMount,
                services: [entry.name],
            });
        }
    }
    return [...splits.values()].map(
        ({ host, from, to, split, splitPath, otherPath, other, services }) =>
            `homelab:proxmox.nfs.exports.${split.key}: ${show(nfsExports[split.key])} is not allowed on ${host} with ` +
            `${services.join(", ")}; it mounts at ${split.where}, so ${splitPath} is on it and ${otherPath} ` +
            `${other === undefined ? "on the VM's own disk" : `on export ${show(other.key)} at ${other.where}`}: ` +
            `two filesystems, and their imports from ${from} to ${to} cannot hardlink or move atomically (EXDEV); ` +
            "expected one export whose mount holds both, such as the data share at the data root " +
            '({ path: /mnt/user/data, at: "" })',
    );
}

/** Two exports on one mount point: the second one hides the first. */
function mountPointProblems(settings: Settings): string[] {
    const seen = new Map<string, string>();
    return Object.entries(settings.proxmox?.nfs?.exports ?? {}).flatMap(([key, value]) => {
        const { at } = exportLocation(key, value);
        const first = seen.get(at);
        if (first === undefined) {
            seen.set(at, key);
            return [];
        }
        const where = at === "" ? settings.storage.data : `${settings.storage.data}/${at}`;
        return [
            `homelab:proxmox.nfs.exports.${key}: ${show(value)} is not allowed; it mounts at ${where} like ` +
                `export ${show(first)}; expected one export per mount point`,
        ];
    });
}

/** A host reached over SSH as itself (Unraid's root): where the Unraid cron jobs are installed. */
function sshHostProblem(key: string, hostName: string, settings: Settings, what: string): string[] {
    const host = settings.hosts[hostName];
    if (host !== undefined && host.dockerHost === undefined && host.deployUser !== undefined) return [];
    return [
        `${key}: ${show(hostName)} is not allowed; expected a host in homelab:hosts ` +
            `reached over SSH (a deployUser and no dockerHost), ${what}`,
    ];
}

function backupProblems(settings: Settings): string[] {
    const problems: string[] = [];
    const backups = settings.backups;
    if (backups?.vms !== undefined && settings.proxmox === undefined) {
        problems.push(
            "homelab:backups.vms: a Proxmox backup job is not allowed without homelab:proxmox; " +
                "expected no vms key, or the Proxmox the VMs run on",
        );
    }
    if (backups?.appdata !== undefined) {
        const nfsExports = settings.proxmox?.nfs?.exports ?? {};
        if (nfsExports[backupsExport] === undefined) {
            problems.push(
                `homelab:proxmox.nfs.exports: ${show(Object.keys(nfsExports))} is not allowed with ` +
                    `homelab:backups.appdata; it has no ${show(backupsExport)} export; expected ` +
                    `homelab:proxmox.nfs.exports.${backupsExport}, the NAS share every VM's Tier 1 backup writes to`,
            );
        } else {
            for (const { name, vm } of vmHosts(settings)) {
                if ((vm.mounts ?? [backupsExport]).includes(backupsExport)) continue;
                problems.push(
                    `homelab:hosts.${name}.vm.mounts: ${show(vm.mounts)} is not allowed with homelab:backups.appdata ` +
                        `(Tier 1 runs on every VM); it leaves out the NAS export ${show(backupsExport)}; ` +
                        `expected ${show(backupsExport)} among them, or no mounts key (every export)`,
                );
            }
        }
    }
    if (backups?.plex !== undefined) {
        problems.push(...sshHostProblem("homelab:backups.plex.host", backups.plex.host, settings, "Plex's NAS"));
    }
    if (backups?.snapshots !== undefined) {
        problems.push(
            ...sshHostProblem("homelab:backups.snapshots.host", backups.snapshots.host, settings, "the ZFS NAS"),
        );
    }
    return problems;
}

/** Cross-key problems of the VM, bootstrap and backup config; schema-level ones fail earlier. */
export function machineConfigProblems(settings: Settings, entries: readonly ServiceEntry[] = catalog): string[] {
    return [
        ...vmProblems(settings),
        ...mountPointProblems(settings),
        ...nasLayoutProblems(settings),
        ...hardlinkProblems(settings, entries),
        ...backupProblems(settings),
        ...hostFilesProblems(settings),
    ];
}

/** The VMs' bootstrap and the backups run over SSH: they cannot be written in-process. */
function hostFilesProblems(settings: Settings): string[] {
    if (settings.hostFiles !== "local") return [];
    const needSsh = [
        ...vmHosts(settings).map((vm) => `homelab:hosts.${vm.name}.vm`),
        ...(settings.backups === undefined ? [] : ["homelab:backups"]),
    ];
    return needSsh.length === 0
        ? []
        : [
              `homelab:hostFiles: ${show("local")} is not allowed with ${needSsh.join(", ")}; ` +
                  "expected ssh: the bootstrap and the backups run on the hosts over SSH",
          ];
}
