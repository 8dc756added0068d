import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { DockerHost } from "../../hosts/docker";

export interface TraefikRouteFileArgs {
    /** The host Traefik runs on. */
    host: DockerHost;
    /** Traefik's dynamic directory on that host. */
    directory: string;
    content: string;
    /** Where the host is reached over SSH; absent when the engine is local (the lab). */
    ssh?: { user: string; privateKey: pulumi.Output<string> };
}

export const routeFileName = "homelab.yml";

/**
 * Writes the generated file-provider document into Traefik's watched directory. Traefik reloads
 * it on change, so no container restart; the content hash in `triggers` re-runs it exactly when
 * the document changes.
 */
export class TraefikRouteFile extends pulumi.ComponentResource {
    public readonly path: string;
    public readonly contentHash: string;

    constructor(name: string, args: TraefikRouteFileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:edge:TraefikRouteFile", name, {}, opts);
        this.path = `${args.directory}/${routeFileName}`;
        this.contentHash = createHash("sha256").update(args.content).digest("hex");
        const sudo = args.ssh ? "sudo -n " : "";
        // Written to a temporary name and renamed, so Traefik never reads half a file.
        const create =
            `${sudo}mkdir -p '${args.directory}' && ${sudo}tee '${this.path}.tmp' >/dev/null && ` +
            `${sudo}mv '${this.path}.tmp' '${this.path}'`;
        const remove = `${sudo}rm -f '${this.path}'`;
        const common = { create, delete: remove, stdin: args.content, triggers: [this.contentHash] };
        if (args.ssh) {
            new command.remote.Command(
                `${name}-write`,
                {
                    ...common,
                    connection: {
                        host: args.host.settings.address,
                        user: args.ssh.user,
                        privateKey: args.ssh.privateKey,
                    },
                },
                { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
            );
        } else {
            new command.local.Command(`${name}-write`, common, { parent: this });
        }
        this.registerOutputs({ path: this.path, contentHash: this.contentHash });
    }
}
