import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { DockerHost } from "../../hosts/docker";
import { sha256, shellQuote, sudoFor } from "../../hosts/remote";
import { DynamicProvider } from "../dynamic-provider";
import { blueprintFileName } from "./blueprint";
import { LocalWatchedFile } from "./local";

export interface BlueprintFileArgs {
    /** The host the Authentik worker runs on. */
    host: DockerHost;
    /** The host directory mounted at the worker's blueprint directory. */
    directory: string;
    content: string;
    /** SSH to the host (prod); absent when the engine is local (the lab). */
    ssh?: { user: string; privateKey: pulumi.Output<string> };
    after?: pulumi.Resource[];
}

/**
 * Where the file is staged: beside the watched directory, never in it, so Authentik's watcher sees
 * one complete file arrive (a rename into the directory) instead of a temporary one.
 */
export function stagingPath(directory: string): string {
    const cut = directory.lastIndexOf("/");
    return `${directory.slice(0, cut)}/.${directory.slice(cut + 1)}-${blueprintFileName}.tmp`;
}

/** The remote side: stage, rename into place, touch (the watcher's "modified" event makes the worker apply it). */
export function writeCommand(user: string, directory: string): string {
    const sudo = sudoFor(user);
    const path = `${directory}/${blueprintFileName}`;
    const staging = stagingPath(directory);
    return [
        `${sudo}mkdir -p ${shellQuote(directory)}`,
        `${sudo}tee ${shellQuote(staging)} >/dev/null`,
        `${sudo}chmod 0644 ${shellQuote(staging)}`,
        `${sudo}mv -f ${shellQuote(staging)} ${shellQuote(path)}`,
        `${sudo}touch ${shellQuote(path)}`,
    ].join(" && ");
}

/**
 * The generated blueprint in the Authentik worker's blueprint directory, like the Traefik route
 * document: over SSH in prod, re-run exactly when the content hash changes; in-process in the lab.
 * The worker applies a changed file by itself: no container is replaced.
 */
export class BlueprintFile extends pulumi.ComponentResource {
    public readonly path: string;
    public readonly contentHash: string;

    constructor(name: string, args: BlueprintFileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:sso:BlueprintFile", name, {}, opts);
        this.path = `${args.directory}/${blueprintFileName}`;
        this.contentHash = sha256(args.content);
        if (args.ssh) {
            new command.remote.Command(
                `${name}-write`,
                {
                    create: writeCommand(args.ssh.user, args.directory),
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
            const provider = new DynamicProvider(`${name}-dynamic`, { parent: this });
            new LocalWatchedFile(
                `${name}-write`,
                { path: this.path, staging: stagingPath(args.directory), content: args.content },
                { parent: this, provider, dependsOn: args.after },
            );
        }
        this.registerOutputs({ path: this.path, contentHash: this.contentHash });
    }
}
