import * as pulumi from "@pulumi/pulumi";
import type { SecretRequest } from "../config/load";
import type { Settings } from "../config/schema";
import type { HostName } from "../catalog/types";

/** Problems with the VM, bootstrap and backup config, checked before anything is registered. */
export function machineProblems(_settings: Settings): string[] {
    return [];
}

/** Secret config keys the VMs, the bootstrap and the backups need. */
export function machineSecretRequests(_settings: Settings): SecretRequest[] {
    return [];
}

export interface MachinesArgs {
    settings: Settings;
    secrets: Readonly<Record<string, pulumi.Output<string>>>;
}

/**
 * The machines under the Docker engines: Proxmox VMs, their bootstrap and the Tier 1 backups.
 * Placeholder until the hosts issue lands: no VMs, nothing to wait for.
 */
export class Machines extends pulumi.ComponentResource {
    /** What a host's Docker provider must wait for (its VM). */
    public readonly dockerDependencies: Partial<Record<HostName, pulumi.Resource[]>> = {};
    /** What a host's containers must wait for (its bootstrap). */
    public readonly readiness: Partial<Record<HostName, pulumi.Resource[]>> = {};

    constructor(name: string, _args: MachinesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:Machines", name, {}, opts);
        this.registerOutputs({});
    }
}
