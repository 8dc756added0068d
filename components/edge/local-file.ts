import * as pulumi from "@pulumi/pulumi";

interface LocalFileInputs {
    path: string;
    content: string;
}

/**
 * Writes a file on the machine running Pulumi, atomically (temp file + rename). Used where the
 * edge host's engine is local (the lab); prod writes over SSH with @pulumi/command. Functions are
 * serialised by Pulumi, so they require their modules inside.
 */
const localFileProvider: pulumi.dynamic.ResourceProvider<LocalFileInputs, LocalFileInputs> = {
    create(inputs) {
        /* eslint-disable @typescript-eslint/no-require-imports -- dynamic providers are serialised; imports must be inside */
        const fs = require("node:fs") as typeof import("node:fs");
        const path = require("node:path") as typeof import("node:path");
        /* eslint-enable @typescript-eslint/no-require-imports */
        fs.mkdirSync(path.dirname(inputs.path), { recursive: true });
        fs.writeFileSync(`${inputs.path}.tmp`, inputs.content);
        fs.renameSync(`${inputs.path}.tmp`, inputs.path);
        return Promise.resolve({ id: inputs.path, outs: inputs });
    },
    update(_id, olds, news) {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const fs = require("node:fs") as typeof import("node:fs");
        const path = require("node:path") as typeof import("node:path");
        /* eslint-enable @typescript-eslint/no-require-imports */
        if (olds.path !== news.path) fs.rmSync(olds.path, { force: true });
        fs.mkdirSync(path.dirname(news.path), { recursive: true });
        fs.writeFileSync(`${news.path}.tmp`, news.content);
        fs.renameSync(`${news.path}.tmp`, news.path);
        return Promise.resolve({ outs: news });
    },
    diff(_id, olds, news) {
        const changes = olds.content !== news.content || olds.path !== news.path;
        return Promise.resolve({ changes, replaces: [] });
    },
    delete(_id, props) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs = require("node:fs") as typeof import("node:fs");
        fs.rmSync(props.path, { force: true });
        return Promise.resolve();
    },
};

export class LocalFile extends pulumi.dynamic.Resource {
    constructor(name: string, args: { path: string; content: string }, opts?: pulumi.CustomResourceOptions) {
        super(localFileProvider, name, args, opts, "homelab", "LocalFile");
    }
}
