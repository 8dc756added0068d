import * as pulumi from "@pulumi/pulumi";

/**
 * A file written on the machine running Pulumi where a watcher notices it: the lab's side of
 * HostFile (prod writes over SSH with @pulumi/command). Functions are serialised by Pulumi, so
 * they require their modules inside.
 */

interface LocalFileInputs {
    path: string;
    /** Written first, outside the watched directory, then renamed onto `path`. */
    staging: string;
    content: string;
}

function writeStaged(inputs: LocalFileInputs): void {
    /* eslint-disable @typescript-eslint/no-require-imports -- dynamic providers are serialised; imports must be inside */
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    /* eslint-enable @typescript-eslint/no-require-imports */
    fs.mkdirSync(path.dirname(inputs.path), { recursive: true });
    fs.mkdirSync(path.dirname(inputs.staging), { recursive: true });
    fs.writeFileSync(inputs.staging, inputs.content, { mode: 0o644 });
    // A rename from outside the watched tree is a "created" event to Authentik's watcher (discovery),
    // and the touch after it a "modified" one (apply): the worker never reads half a file.
    fs.renameSync(inputs.staging, inputs.path);
    const now = new Date();
    fs.utimesSync(inputs.path, now, now);
}

const localFileProvider: pulumi.dynamic.ResourceProvider<LocalFileInputs, LocalFileInputs> = {
    create(inputs) {
        writeStaged(inputs);
        return Promise.resolve({ id: inputs.path, outs: inputs });
    },
    update(_id, olds, news) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
        const fs = require("node:fs") as typeof import("node:fs");
        if (olds.path !== news.path) fs.rmSync(olds.path, { force: true });
        writeStaged(news);
        return Promise.resolve({ outs: news });
    },
    diff(_id, olds, news) {
        const changes = olds.content !== news.content || olds.path !== news.path || olds.staging !== news.staging;
        return Promise.resolve({ changes, replaces: [] });
    },
    delete(_id, props) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
        const fs = require("node:fs") as typeof import("node:fs");
        fs.rmSync(props.path, { force: true });
        return Promise.resolve();
    },
};

export class LocalFile extends pulumi.dynamic.Resource {
    constructor(name: string, args: LocalFileInputs, opts?: pulumi.CustomResourceOptions) {
        super(localFileProvider, name, args, opts, "homelab", "LocalFile");
    }
}
