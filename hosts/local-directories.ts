import * as pulumi from "@pulumi/pulumi";
import type { OwnedDirectory } from "../components/spec";

interface LocalDirectoriesInputs {
    directories: OwnedDirectory[];
    /** The NAS share's sentinel files this host makes (hosts/nas-sentinel.ts): created once, never changed. */
    sentinels?: { path: string; uid: number; gid: number }[];
}

/** What the NAS's sentinel file says to whoever finds it (also the hosts' script's, hosts/directories.ts). */
export const sentinelText =
    "homelab: this directory is on the NAS's share. Containers whose data mount lacks this file refuse to start\n" +
    "in the labs (hosts/nas-sentinel.ts); the program made it here, on the NAS. Do not delete it.\n";

/**
 * Creates directories on the machine running Pulumi with the same rules as the hosts' script
 * (hosts/directories.ts): a missing one is created with its owner and mode; an existing one gets
 * its owner only where `enforceOwner` says so. Never removes anything: appdata outlives the stack.
 * Functions are serialised by Pulumi, so they require their modules inside.
 */
function ensureDirectories(inputs: LocalDirectoriesInputs): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
    const fs = require("node:fs") as typeof import("node:fs");
    for (const directory of inputs.directories) {
        const exists = fs.existsSync(directory.path);
        if (!exists) fs.mkdirSync(directory.path, { recursive: true });
        if (exists && !directory.enforceOwner) continue;
        const stat = fs.statSync(directory.path);
        if (stat.uid !== directory.uid || stat.gid !== directory.gid) {
            try {
                fs.chownSync(directory.path, directory.uid, directory.gid);
            } catch (error) {
                const code = (error as { code?: string }).code;
                throw new Error(
                    `${directory.path}: cannot give it owner ${directory.uid}:${directory.gid} (${code ?? String(error)}); ` +
                        `run the lab as root, or create it once with: sudo install -d -o ${directory.uid} -g ${directory.gid} ${directory.path}`,
                );
            }
        }
        if (!exists) fs.chmodSync(directory.path, parseInt(directory.mode, 8));
    }
    for (const sentinel of inputs.sentinels ?? []) {
        if (fs.existsSync(sentinel.path)) continue;
        const temporary = `${sentinel.path}.tmp`;
        fs.writeFileSync(temporary, sentinelText, { mode: 0o644 });
        fs.chownSync(temporary, sentinel.uid, sentinel.gid);
        fs.chmodSync(temporary, 0o644);
        fs.renameSync(temporary, sentinel.path);
    }
}

// Create and update share a module-level function: a method calling the provider object by name
// finds it undefined once Pulumi has serialised the provider.
export const localDirectoriesProvider: pulumi.dynamic.ResourceProvider<LocalDirectoriesInputs, LocalDirectoriesInputs> =
    {
        create(inputs) {
            ensureDirectories(inputs);
            return Promise.resolve({ id: "directories", outs: inputs });
        },
        update(_id, _olds, news) {
            ensureDirectories(news);
            return Promise.resolve({ outs: news });
        },
        diff(_id, olds, news) {
            return Promise.resolve({
                changes:
                    JSON.stringify(olds.directories) !== JSON.stringify(news.directories) ||
                    JSON.stringify(olds.sentinels ?? []) !== JSON.stringify(news.sentinels ?? []),
            });
        },
        delete() {
            return Promise.resolve();
        },
    };

export class LocalDirectories extends pulumi.dynamic.Resource {
    constructor(name: string, args: LocalDirectoriesInputs, opts?: pulumi.CustomResourceOptions) {
        super(localDirectoriesProvider, name, args, opts, "homelab", "LocalDirectories");
    }
}
