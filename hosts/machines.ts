import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { secretOf, type SecretRequest, type Secrets } from "../config/load";
import type { Settings } from "../config/schema";
import type { ServiceEntry } from "../catalog/types";
import type { HostName } from "../topology";
import { AppdataBackup, PlexBackup, ZfsSnapshots } from "./backups";
import { appdataBackupPlan, plexBackupPlan, snapshotPlan } from "./backups/scripts";
import { HostBootstrap } from "./bootstrap";
import { dockerEndpoint } from "./endpoint";
import { machineConfigProblems, vmHosts } from "./problems";
import { clusterVms } from "./k3s-config";
import { ProxmoxVms } from "./proxmox";
import type { SshConnection } from "./remote";
import { sshAccess } from "./ssh";

export const proxmoxTokenSecret = "proxmoxApiToken";
export const plexPingSecret = "plexBackupPingUrl";
export const snapshotPingSecret = "zfsSnapshotPingUrl";

/** Each VM's Tier 1 backup is its own Healthchecks check: docker-prod-01 → appdataBackupPingUrlDockerProd01. */
export function appdataPingSecret(host: string): string {
    const camel = host
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((part) => `${part.charAt(0).toUpperCase()}${part.slice(1)}`)
        .join("");
    return `appdataBackupPingUrl${camel}`;
}

/** Problems with the VM, bootstrap and backup config, checked before anything is registered. */
export function machineProblems(settings: Settings, entries?: readonly ServiceEntry[]): string[] {
    return machineConfigProblems(settings, entries);
}

/** Secret config keys the VMs, the bootstrap and the backups need. */
export function machineSecretRequests(settings: Settings): SecretRequest[] {
    const vms = vmHosts(settings);
    const requests: SecretRequest[] = [];
    const machines = [...vms, ...clusterVms(settings)];
    if (machines.length > 0 && settings.proxmox !== undefined) {
        requests.push({ key: proxmoxTokenSecret, usedBy: [`Proxmox VMs (${machines.map((v) => v.name).join(", ")})`] });
    }
    if (settings.backups?.appdata) {
        for (const { name } of vms) {
            requests.push({ key: appdataPingSecret(name), usedBy: [`${name} Tier 1 backup (Healthchecks)`] });
        }
    }
    if (settings.backups?.plex) requests.push({ key: plexPingSecret, usedBy: ["Plex database backup (Healthchecks)"] });
    if (settings.backups?.snapshots) {
        requests.push({ key: snapshotPingSecret, usedBy: ["ZFS snapshots (Healthchecks)"] });
    }
    return requests;
}

export interface MachinesArgs {
    settings: Settings;
    secrets: Secrets;
}

/**
 * The machines under the Docker engines: the Proxmox VMs (prod), their bootstrap over SSH and the
 * Tier 1 and Tier 2 backups. Remote commands take the `command` provider this component is given;
 * the VMs take the one explicit Proxmox provider created here. In the lab (no vm blocks, no
 * Proxmox, no backups) nothing but this component is registered.
 */
export class Machines extends pulumi.ComponentResource {
    /** What a host's Docker provider must wait for: its VM, and the bootstrap that lets the deploy user use Docker. */
    public readonly dockerDependencies: Partial<Record<HostName, pulumi.Resource[]>> = {};
    /** What a host's containers must wait for (its bootstrap). */
    public readonly readiness: Partial<Record<HostName, pulumi.Resource[]>> = {};
    /** The k3s server VMs by node name (homelab:cluster.nodes with a vm). */
    public readonly clusterVms: Readonly<Record<string, pulumi.Resource>> = {};

    constructor(name: string, args: MachinesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:Machines", name, {}, opts);
        const { settings, secrets } = args;
        const ssh = sshAccess(settings);
        const connectionTo = (host: string): SshConnection => {
            const hostSettings = settings.hosts[host];
            if (hostSettings === undefined) throw new Error(`machines: homelab:hosts.${host} is not defined`);
            const access = ssh.forHost(dockerEndpoint(host, hostSettings), secrets);
            if (access === undefined) throw new Error(`machines: homelab:hosts.${host} is not reached over SSH`);
            return { host: hostSettings.address, ...access };
        };

        const vms = vmHosts(settings);
        const k3sVms = clusterVms(settings).map(({ name: node, address, deployUser, vm }) => ({
            name: node,
            host: { address, deployUser },
            vm,
        }));
        const config = settings.proxmox;
        if (vms.length + k3sVms.length > 0 && config !== undefined) {
            const provider = new proxmox.Provider(
                `${name}-proxmox`,
                {
                    endpoint: config.endpoint,
                    apiToken: secretOf(secrets, proxmoxTokenSecret, "machines"),
                    insecure: config.insecure,
                },
                { parent: this },
            );
            const machines = new ProxmoxVms(
                `${name}-vms`,
                { settings, proxmox: config, vms, ...(k3sVms.length > 0 ? { clusterVms: k3sVms } : {}) },
                { parent: this, providers: [provider] },
            );
            this.clusterVms = machines.clusterVms;
            for (const vmHost of vms) {
                const vm = machines.vms[vmHost.name];
                const bootstrap = new HostBootstrap(
                    `${name}-${vmHost.name}`,
                    { vmHost, settings, connection: connectionTo(vmHost.name), after: vm ? [vm] : [] },
                    { parent: this },
                );
                this.dockerDependencies[vmHost.name] = [...(vm ? [vm] : []), ...bootstrap.steps];
                this.readiness[vmHost.name] = [...bootstrap.steps];
            }
        }

        const appdata = settings.backups?.appdata;
        if (appdata !== undefined) {
            for (const { name: host } of vms) {
                new AppdataBackup(
                    `${name}-${host}-appdata-backup`,
                    {
                        plan: appdataBackupPlan(settings, host, appdata.onCalendar),
                        connection: connectionTo(host),
                        pingUrl: secretOf(secrets, appdataPingSecret(host), "machines"),
                        after: this.readiness[host] ?? [],
                    },
                    { parent: this },
                );
            }
        }
        const plex = settings.backups?.plex;
        if (plex !== undefined) {
            new PlexBackup(
                `${name}-plex-backup`,
                {
                    plan: plexBackupPlan(settings, plex),
                    connection: connectionTo(plex.host),
                    pingUrl: secretOf(secrets, plexPingSecret, "machines"),
                },
                { parent: this },
            );
        }
        const snapshots = settings.backups?.snapshots;
        if (snapshots !== undefined) {
            new ZfsSnapshots(
                `${name}-zfs-snapshots`,
                {
                    plan: snapshotPlan(snapshots),
                    connection: connectionTo(snapshots.host),
                    pingUrl: secretOf(secrets, snapshotPingSecret, "machines"),
                },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
