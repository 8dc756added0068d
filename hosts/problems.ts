import { show } from "../config/errors";
import type { Settings } from "../config/schema";
import { hostNames, type HostName } from "../catalog/types";
import { nasHost } from "./bootstrap-scripts";
import type { VmHost } from "./proxmox";

/** The hosts declared as Proxmox VMs, in catalog order. */
export function vmHosts(settings: Settings): VmHost[] {
    return hostNames.flatMap((name) => {
        const host = settings.hosts[name];
        return host?.vm === undefined ? [] : [{ name, host, vm: host.vm }];
    });
}

function toNumber(address: string): number {
    return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Where an address sits in a CIDR: outside, the network or broadcast address, or a usable host. */
function placeIn(address: string, cidr: string): "outside" | "network" | "broadcast" | "host" {
    const [base = "", bits = "32"] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const network = toNumber(base) - (toNumber(base) % size);
    const value = toNumber(address);
    if (value < network || value >= network + size) return "outside";
    if (size > 2 && value === network) return "network";
    if (size > 2 && value === network + size - 1) return "broadcast";
    return "host";
}

const backupsExport = "backups";

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
    const exports = proxmox?.nfs?.exports ?? {};
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
            if (exports[mount] === undefined) {
                problems.push(
                    `${key}.vm.mounts: ${show(mount)} is not allowed; expected a key of homelab:proxmox.nfs.exports ` +
                        `(${Object.keys(exports).join(", ") || "none defined"})`,
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

function backupProblems(settings: Settings): string[] {
    const problems: string[] = [];
    const backups = settings.backups;
    const vms = vmHosts(settings);
    if (backups?.vms !== undefined && settings.proxmox === undefined) {
        problems.push(
            "homelab:backups.vms: a Proxmox backup job is not allowed without homelab:proxmox; " +
                "expected no vms key, or the Proxmox the VMs run on",
        );
    }
    const appdata = backups?.appdata;
    if (appdata !== undefined) {
        const vm = vms.find((v) => v.name === appdata.host);
        const exports = settings.proxmox?.nfs?.exports ?? {};
        if (vm === undefined) {
            problems.push(
                `homelab:backups.appdata.host: ${show(appdata.host)} is not allowed; expected a host with a vm block ` +
                    `(systemd, the NAS mounts): ${vms.map((v) => v.name).join(", ") || "none defined"}`,
            );
        } else if (exports[backupsExport] === undefined || !(vm.vm.mounts ?? [backupsExport]).includes(backupsExport)) {
            problems.push(
                `homelab:backups.appdata.host: ${show(appdata.host)} is not allowed; it does not mount the NAS ` +
                    `export ${show(backupsExport)}; expected homelab:proxmox.nfs.exports.${backupsExport} mounted there`,
            );
        }
    }
    const plex = backups?.plex;
    if (plex !== undefined) {
        const host = settings.hosts[plex.host];
        if (host === undefined || host.dockerHost !== undefined || host.deployUser === undefined) {
            problems.push(
                `homelab:backups.plex.host: ${show(plex.host)} is not allowed; expected a host in homelab:hosts ` +
                    "reached over SSH (a deployUser and no dockerHost), Plex's NAS",
            );
        }
    }
    return problems;
}

/** Cross-key problems of the VM, bootstrap and backup config; schema-level ones fail earlier. */
export function machineConfigProblems(settings: Settings): string[] {
    return [...vmProblems(settings), ...backupProblems(settings)];
}
