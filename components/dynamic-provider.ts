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

/**
 * The program's one provider for in-process resources, made on first use. The engine starts each
 * provider resource as a plugin process of its own (a Node.js that loads the SDK) and starts them
 * one after another while it walks the program: one for every in-process resource, not one per
 * component. A stack with no in-process resource registers none.
 */
export type InProcessProvider = () => DynamicProvider;

export function inProcessProvider(name: string): InProcessProvider {
    let provider: DynamicProvider | undefined;
    return () => (provider ??= new DynamicProvider(name));
}
