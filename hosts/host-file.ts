import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { InProcessProvider } from "../components/dynamic-provider";
import type { DockerHost } from "./docker";
import { LocalFile } from "./local-file";
import { sha256, shellQuote, sudoFor } from "./remote";

export interface HostFileArgs {
    /** The host whose service watches the directory. */
    host: DockerHost;
    /** The watched directory on that host. */
    directory: string;
    fileName: string;
    content: string;
    /** SSH to the host (prod); absent when the engine is local (the lab). */
    ssh?: { user: string; privateKey: pulumi.Output<string> };
    /** The program's in-process provider, for the local write (no `ssh`). */
    inProcess: InProcessProvider;
    after?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Where the file is staged: beside the watched directory, never in it, so a watcher sees one
 * complete file arrive (a rename into the directory) instead of a temporary one.
 */
export function stagingPath(directory: string, fileName: string): string {
    const cut = directory.lastIndexOf("/");
    return `${directory.slice(0, cut)}/.${directory.slice(cut + 1)}-${fileName}.tmp`;
}

/** The remote side: stage, rename into place, touch (a "modified" event: Authentik's worker applies on it). */
export function writeCommand(user: string, directory: string, fileName: string): string {
    const sudo = sudoFor(user);
    const path = `${directory}/${fileName}`;
    const staging = stagingPath(directory, fileName);
    return [
        `${sudo}mkdir -p ${shellQuote(directory)}`,
        `${sudo}tee ${shellQuote(staging)} >/dev/null`,
        `${sudo}chmod 0644 ${shellQuote(staging)}`,
        `${sudo}mv -f ${shellQuote(staging)} ${shellQuote(path)}`,
        `${sudo}touch ${shellQuote(path)}`,
    ].join(" && ");
}

/**
 * A generated file in a directory a service watches (Traefik's route document, Authentik's
 * blueprint): over SSH in prod, re-run exactly when the content hash changes; in-process in the
 * lab. The service picks a changed file up by itself: no container is replaced.
 */
export class HostFile extends pulumi.ComponentResource {
    public readonly path: string;
    public readonly contentHash: string;

    constructor(name: string, args: HostFileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:HostFile", name, {}, opts);
        this.path = `${args.directory}/${args.fileName}`;
        this.contentHash = sha256(args.content);
        if (args.ssh) {
            new command.remote.Command(
                `${name}-write`,
                {
                    create: writeCommand(args.ssh.user, args.directory, args.fileName),
                    delete: `${sudoFor(args.ssh.user)}rm -f ${shellQuote(this.path)}`,
                    stdin: args.content,
                    triggers: [this.contentHash],
                    connection: {
                        host: args.host.settings.address,
                        user: args.ssh.user,
                        privateKey: args.ssh.privateKey,
                    },
                },
                { parent: this, dependsOn: args.after, additionalSecretOutputs: ["stdout", "stderr"] },
            );
        } else {
            new LocalFile(
                `${name}-write`,
                { path: this.path, staging: stagingPath(args.directory, args.fileName), content: args.content },
                {
                    parent: this,
                    provider: args.inProcess(),
                    dependsOn: args.after,
                    aliases: [{ type: "pulumi-nodejs:dynamic/homelab:LocalWatchedFile" }],
                },
            );
        }
        this.registerOutputs({ path: this.path, contentHash: this.contentHash });
    }
}
