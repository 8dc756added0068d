import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config/schema";
import { baseScript, mountsScript, nfsMounts } from "./bootstrap-scripts";
import type { VmHost } from "./proxmox";
import { remoteScript, type SshConnection } from "./remote";

export interface HostBootstrapArgs {
    vmHost: VmHost;
    settings: Settings;
    connection: SshConnection;
    /** What the first step waits for (the VM). */
    after: pulumi.Resource[];
}

/**
 * Makes a Docker VM ready for its containers: packages, the service identity, the deploy user's
 * Docker access, the stack directories and the NAS mounts. Each step is an idempotent script that
 * re-runs only when its text changes; none of them has a delete step, so removing the bootstrap
 * never takes data or mounts away from running containers.
 */
export class HostBootstrap extends pulumi.ComponentResource {
    /** What a container on this host waits for. */
    public readonly steps: command.remote.Command[];

    constructor(name: string, args: HostBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:HostBootstrap", name, {}, opts);
        const { vmHost, settings, connection } = args;
        // A VM created in the same run answers SSH only after cloud-init: keep dialling for about ten minutes.
        const dialErrorLimit = 40;
        const base = remoteScript(
            `${name}-base`,
            { connection, script: baseScript(vmHost.name, connection.user, settings), dialErrorLimit },
            { parent: this, dependsOn: args.after },
        );
        this.steps = [base];
        const mounts = nfsMounts(vmHost.host, settings);
        if (mounts.length > 0) {
            this.steps.push(
                remoteScript(
                    `${name}-mounts`,
                    { connection, script: mountsScript(vmHost.name, mounts), dialErrorLimit },
                    { parent: this, dependsOn: [base] },
                ),
            );
        }
        this.registerOutputs({});
    }
}
