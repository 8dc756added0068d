import * as pulumi from "@pulumi/pulumi";

interface LocalFileSetInputs {
    directory: string;
    /** File name → content. */
    files: Record<string, string>;
    /** Files in the directory that end like this and are not in `files` are removed. */
    ownedSuffix: string;
}

/**
 * Keeps a directory on the machine running Pulumi holding exactly a set of generated files (the
 * lab's side of HostFileSet): each written atomically, the stale ones of the same kind removed.
 * Functions are serialised by Pulumi, so they require their modules inside.
 */
function writeSet(inputs: LocalFileSetInputs): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
    const fs = require("node:fs") as typeof import("node:fs");
    fs.mkdirSync(inputs.directory, { recursive: true });
    for (const [name, content] of Object.entries(inputs.files)) {
        const path = `${inputs.directory}/${name}`;
        fs.writeFileSync(`${path}.tmp`, content, { mode: 0o644 });
        fs.renameSync(`${path}.tmp`, path);
    }
    for (const name of fs.readdirSync(inputs.directory)) {
        if (name.endsWith(inputs.ownedSuffix) && !(name in inputs.files)) {
            fs.rmSync(`${inputs.directory}/${name}`, { force: true });
        }
    }
}

// Create and update share a module-level function: a method calling the provider object by name
// finds it undefined once Pulumi has serialised the provider.
export const localFileSetProvider: pulumi.dynamic.ResourceProvider<LocalFileSetInputs, LocalFileSetInputs> = {
    create(inputs) {
        writeSet(inputs);
        return Promise.resolve({ id: inputs.directory, outs: inputs });
    },
    update(_id, _olds, news) {
        writeSet(news);
        return Promise.resolve({ outs: news });
    },
    diff(_id, olds, news) {
        // Only the data: the olds also carry the serialised provider (`__provider`), whose text
        // changes with the transpiler, and that alone must not rewrite the files.
        const data = (props: LocalFileSetInputs) => JSON.stringify([props.directory, props.files, props.ownedSuffix]);
        return Promise.resolve({ changes: data(olds) !== data(news) });
    },
    delete(_id, props) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
        const fs = require("node:fs") as typeof import("node:fs");
        for (const name of Object.keys(props.files)) fs.rmSync(`${props.directory}/${name}`, { force: true });
        return Promise.resolve();
    },
};

export class LocalFileSet extends pulumi.dynamic.Resource {
    constructor(name: string, args: LocalFileSetInputs, opts?: pulumi.CustomResourceOptions) {
        super(localFileSetProvider, name, args, opts, "homelab", "LocalFileSet");
    }
}
