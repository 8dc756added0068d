import * as pulumi from "@pulumi/pulumi";
import type { SecretRequest } from "../../config/load";
import type { Settings } from "../../config/schema";
import type { ServiceEntry } from "../../catalog/types";

/** Problems with the edge config (zone, external hostnames), checked before anything is registered. */
export function edgeProblems(_settings: Settings, _services: readonly ServiceEntry[]): string[] {
    return [];
}

/** Secret config keys the edge needs. */
export function edgeSecretRequests(_settings: Settings): SecretRequest[] {
    return [];
}

/** Secret keys the edge supplies from its resources instead of config (the tunnel token). */
export function edgeProvidedSecrets(_settings: Settings): string[] {
    return [];
}

export interface EdgeArgs {
    settings: Settings;
    secrets: Readonly<Record<string, pulumi.Output<string>>>;
    services: readonly ServiceEntry[];
}

/**
 * The Cloudflare tunnel, its DNS records and the AdGuard split-horizon rewrite.
 * Placeholder until the edge issue lands.
 */
export class Edge extends pulumi.ComponentResource {
    public readonly providedSecrets: Readonly<Record<string, pulumi.Output<string>>> = {};
    public readonly externalUrls: pulumi.Output<Record<string, string>> = pulumi.output<Record<string, string>>({});
    public readonly tunnelId: pulumi.Output<string | undefined> = pulumi.output(undefined);

    constructor(name: string, _args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:edge:Edge", name, {}, opts);
        this.registerOutputs({});
    }
}
