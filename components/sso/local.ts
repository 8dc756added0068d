import * as pulumi from "@pulumi/pulumi";

/**
 * The lab's generated secret, made in-process (its engine has no random plugin). Functions are
 * serialised by Pulumi, so they require their modules inside.
 */

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
