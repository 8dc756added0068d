import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { remoteScript, shellQuote, sudoFor, writeSecretFileCommand, type SshConnection } from "../remote";
import {
    appdataBackup,
    appdataBackupInstaller,
    appdataBackupRemoval,
    pingEnvFile,
    plexBackupInstaller,
    plexBackupRemoval,
    snapshotInstaller,
    snapshotRemoval,
    type AppdataBackupPlan,
    type PlexBackupPlan,
    type SnapshotPlan,
} from "./scripts";

/**
 * The ping URL reaches the host only on stdin, as a secret, into a root-only env file: never in a
 * command line, a script text or a log. Stdout and stderr are secret in case a shell echoes it.
 */
function pingUrlFile(
    name: string,
    connection: SshConnection,
    path: string,
    pingUrl: pulumi.Output<string>,
    opts: pulumi.CustomResourceOptions,
): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection,
            create: writeSecretFileCommand(connection.user, path),
            delete: `${sudoFor(connection.user)}rm -f ${shellQuote(path)}`,
            stdin: pulumi.secret(pingUrl.apply(pingEnvFile)),
        },
        { ...opts, additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
    );
}

export interface AppdataBackupArgs {
    plan: AppdataBackupPlan;
    connection: SshConnection;
    pingUrl: pulumi.Output<string>;
    /** The host's bootstrap: rsync, curl and the NAS backups mount. */
    after: pulumi.Resource[];
}

/**
 * Tier 1 on one Docker VM: a systemd service + timer that dumps the host's databases and rsyncs
 * appdata and stacks to the NAS, with the host's own Healthchecks check.
 */
export class AppdataBackup extends pulumi.ComponentResource {
    constructor(name: string, args: AppdataBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:backups:AppdataBackup", name, {}, opts);
        const env = pingUrlFile(`${name}-ping-url`, args.connection, appdataBackup.envFile, args.pingUrl, {
            parent: this,
            dependsOn: args.after,
        });
        remoteScript(
            `${name}-install`,
            {
                connection: args.connection,
                script: appdataBackupInstaller(args.plan),
                delete: appdataBackupRemoval(args.connection.user),
            },
            { parent: this, dependsOn: [env, ...args.after] },
        );
        this.registerOutputs({});
    }
}

export interface PlexBackupArgs {
    plan: PlexBackupPlan;
    connection: SshConnection;
    pingUrl: pulumi.Output<string>;
}

/** Tier 1 on the NAS (Unraid, no systemd): the Plex database script and its cron entry. */
export class PlexBackup extends pulumi.ComponentResource {
    constructor(name: string, args: PlexBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:backups:PlexBackup", name, {}, opts);
        const env = pingUrlFile(`${name}-ping-url`, args.connection, args.plan.envFile, args.pingUrl, {
            parent: this,
        });
        remoteScript(
            `${name}-install`,
            {
                connection: args.connection,
                script: plexBackupInstaller(args.plan),
                delete: plexBackupRemoval(args.plan),
            },
            { parent: this, dependsOn: [env] },
        );
        this.registerOutputs({});
    }
}

export interface ZfsSnapshotsArgs {
    plan: SnapshotPlan;
    connection: SshConnection;
    pingUrl: pulumi.Output<string>;
}

/** Tier 2 on the NAS (Unraid, no systemd): the ZFS snapshot script and its cron entry. */
export class ZfsSnapshots extends pulumi.ComponentResource {
    constructor(name: string, args: ZfsSnapshotsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:backups:ZfsSnapshots", name, {}, opts);
        const env = pingUrlFile(`${name}-ping-url`, args.connection, args.plan.envFile, args.pingUrl, {
            parent: this,
        });
        remoteScript(
            `${name}-install`,
            {
                connection: args.connection,
                script: snapshotInstaller(args.plan),
                delete: snapshotRemoval(args.plan),
            },
            { parent: this, dependsOn: [env] },
        );
        this.registerOutputs({});
    }
}
