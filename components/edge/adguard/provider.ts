import * as pulumi from "@pulumi/pulumi";
import {
    addRewrite,
    deleteRewrite,
    findRewrite,
    listRewrites,
    updateRewrite,
    type Endpoint,
    type Rewrite,
} from "./client";

/**
 * The AdGuard Home rewrite as a dynamic resource. Pulumi serializes these functions into the state,
 * so they capture nothing but the client module: the instance and its credentials arrive as
 * (secret) inputs, and the credentials are kept in the outputs, secret, because delete only sees those.
 */

export interface RewriteState {
    url: string;
    username: string;
    password: string;
    domain: string;
    answer: string;
}

const endpointOf = (state: RewriteState): Endpoint => ({
    url: state.url,
    username: state.username,
    password: state.password,
});
const rewriteOf = (state: RewriteState): Rewrite => ({ domain: state.domain, answer: state.answer });
const stateOf = (state: RewriteState): RewriteState => ({ ...endpointOf(state), ...rewriteOf(state) });
const keys = ["url", "username", "password", "domain", "answer"] as const;

export const rewriteProvider: pulumi.dynamic.ResourceProvider<RewriteState, RewriteState> = {
    async create(inputs) {
        // Throws before anything exists when AdGuard Home refuses: the engine then records no resource.
        await addRewrite(endpointOf(inputs), rewriteOf(inputs));
        // A label only: the rewrite is found by its props, which survive an in-place update.
        return { id: `rewrite:${inputs.domain}`, outs: stateOf(inputs) };
    },

    async read(id, props) {
        if (props === undefined) throw new Error("adguard rewrite: import is not supported; let pulumi up create it");
        const live = await findRewrite(endpointOf(props), props.domain);
        // A blank id tells the engine the rewrite is gone; a different answer shows as drift.
        return live === undefined ? { id: "" } : { id, props: { ...stateOf(props), answer: live.answer } };
    },

    diff(_id, olds, news) {
        const changed = keys.filter((key) => olds[key] !== news[key]);
        // Another instance is another resource: add it there, then delete it from the old one.
        return Promise.resolve({ changes: changed.length > 0, replaces: changed.includes("url") ? ["url"] : [] });
    },

    async update(_id, olds, news) {
        if (olds.domain !== news.domain || olds.answer !== news.answer) {
            await updateRewrite(endpointOf(news), rewriteOf(olds), rewriteOf(news));
        } else {
            // New credentials only: prove they work before the state keeps them.
            await listRewrites(endpointOf(news));
        }
        return { outs: stateOf(news) };
    },

    async delete(_id, props) {
        await deleteRewrite(endpointOf(props), rewriteOf(props));
    },
};

export interface AdguardRewriteArgs {
    /** The primary instance (homelab:adguard.originUrl); adguardhome-sync copies the rewrite to the replicas. */
    url: pulumi.Input<string>;
    username: pulumi.Input<string>;
    password: pulumi.Input<string>;
    domain: pulumi.Input<string>;
    answer: pulumi.Input<string>;
}

/** One DNS rewrite on an AdGuard Home instance. */
export class AdguardRewrite extends pulumi.dynamic.Resource {
    constructor(name: string, args: AdguardRewriteArgs, opts: pulumi.CustomResourceOptions) {
        super(
            rewriteProvider,
            name,
            { ...args, username: pulumi.secret(args.username), password: pulumi.secret(args.password) },
            { ...opts, additionalSecretOutputs: ["username", "password"] },
            "adguard",
            "Rewrite",
        );
    }
}
