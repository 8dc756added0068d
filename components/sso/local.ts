import * as pulumi from "@pulumi/pulumi";

/**
 * The lab's in-process side of single sign-on (its engine has neither the command nor the random
 * plugin): a file written where a watcher notices it, and a generated secret. Functions are
 * serialised by Pulumi, so they require their modules inside.
 */

interface WatchedFileInputs {
    path: string;
    /** Written first, outside the watched directory, then renamed onto `path`. */
    staging: string;
    content: string;
}

function writeWatched(inputs: WatchedFileInputs): void {
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

export const watchedFileProvider: pulumi.dynamic.ResourceProvider<WatchedFileInputs, WatchedFileInputs> = {
    create(inputs) {
        writeWatched(inputs);
        return Promise.resolve({ id: inputs.path, outs: inputs });
    },
    update(_id, olds, news) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
        const fs = require("node:fs") as typeof import("node:fs");
        if (olds.path !== news.path) fs.rmSync(olds.path, { force: true });
        writeWatched(news);
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

export class LocalWatchedFile extends pulumi.dynamic.Resource {
    constructor(name: string, args: WatchedFileInputs, opts?: pulumi.CustomResourceOptions) {
        super(watchedFileProvider, name, args, opts, "homelab", "LocalWatchedFile");
    }
}

interface LocalSecretInputs {
    /** Random bytes; the result is their hex, so twice as many characters. */
    bytes: number;
}

interface LocalSecretOutputs extends LocalSecretInputs {
    result: string;
}

/** A random secret made once and kept in the state (encrypted: `result` is a secret output). */
export const localSecretProvider: pulumi.dynamic.ResourceProvider<LocalSecretInputs, LocalSecretOutputs> = {
    create(inputs) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- dynamic providers are serialised
        const crypto = require("node:crypto") as typeof import("node:crypto");
        const result = crypto.randomBytes(inputs.bytes).toString("hex");
        return Promise.resolve({ id: crypto.randomUUID(), outs: { bytes: inputs.bytes, result } });
    },
    diff(_id, olds, news) {
        const changes = olds.bytes !== news.bytes;
        return Promise.resolve({ changes, replaces: changes ? ["bytes"] : [] });
    },
};

export class LocalSecret extends pulumi.dynamic.Resource {
    declare public readonly result: pulumi.Output<string>;

    constructor(name: string, args: LocalSecretInputs, opts?: pulumi.CustomResourceOptions) {
        super(
            localSecretProvider,
            name,
            { ...args, result: undefined },
            { ...opts, additionalSecretOutputs: ["result"] },
            "homelab",
            "LocalSecret",
        );
    }
}
