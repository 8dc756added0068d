import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { DockerHost } from "../../hosts/docker";
import { DynamicProvider } from "../dynamic-provider";
import { LocalFile } from "./local-file";

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
        if (args.ssh) {
            // Written to a temporary name and renamed, so Traefik never reads half a file.
            const create =
                `sudo -n mkdir -p '${args.directory}' && sudo -n tee '${this.path}.tmp' >/dev/null && ` +
                `sudo -n mv '${this.path}.tmp' '${this.path}'`;
            new command.remote.Command(
                `${name}-write`,
                {
                    create,
                    delete: `sudo -n rm -f '${this.path}'`,
                    stdin: args.content,
                    triggers: [this.contentHash],
                    connection: {
                        host: args.host.settings.address,
                        user: args.ssh.user,
                        privateKey: args.ssh.privateKey,
                    },
                },
                { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
            );
        } else {
            // A local engine: write the file in-process, no command plugin needed on lab machines.
            const provider = new DynamicProvider(`${name}-dynamic`, { parent: this });
            new LocalFile(`${name}-write`, { path: this.path, content: args.content }, { parent: this, provider });
        }
        this.registerOutputs({ path: this.path, contentHash: this.contentHash });
    }
}
