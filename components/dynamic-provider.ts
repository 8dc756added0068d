import * as pulumi from "@pulumi/pulumi";

/**
 * The engine's provider for dynamic resources (`pulumi-nodejs`), made explicit because default
 * providers are disabled for every package.
 */
export class DynamicProvider extends pulumi.ProviderResource {
    constructor(name: string, opts?: pulumi.ResourceOptions) {
        super("pulumi-nodejs", name, {}, opts);
    }
}
