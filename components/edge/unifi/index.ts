import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../../config/errors";
import { secretOf, type SecretRequest, type Secrets } from "../../../config/load";
import type { Settings } from "../../../config/schema";
import type { UnifiSettings } from "../../../config/unifi";
import type { ServiceEntry } from "../../../catalog/types";
import type { DynamicProvider } from "../../dynamic-provider";
import { catalogForwards, forwardTargetProblems } from "./forwards";
import { UnifiPortForward, UnifiWireguardServer } from "./provider";

export { catalogForwards, forwardTargetProblems, unifiProblems, type CatalogForward } from "./forwards";

/** Secret config keys of the gateway. */
export const unifiApiKeySecret = "unifiApiKey";
export const unifiWireguardKeySecret = "unifiWireguardPrivateKey";

/** Secret config keys the gateway needs. */
export function unifiSecretRequests(settings: Settings): SecretRequest[] {
    if (settings.unifi === undefined || !settings.edge) return [];
    return [
        { key: unifiApiKeySecret, usedBy: ["edge (UniFi port forward and WireGuard server)"] },
        { key: unifiWireguardKeySecret, usedBy: ["edge (UniFi WireGuard server)"] },
    ];
}

export interface UnifiGatewayArgs {
    unifi: UnifiSettings;
    settings: Settings;
    services: readonly ServiceEntry[];
    secrets: Secrets;
    /** The edge's provider for in-process resources. */
    provider: DynamicProvider;
}

/**
 * What the UniFi gateway (the UDM-SE) does for the homelab: the catalog's port forwards (Plex's
 * 32400 to the NAS, outside the tunnel) and the WireGuard server for remote LAN access.
 */
export class UnifiGateway extends pulumi.ComponentResource {
    /** The WireGuard server's public key, for client configs; known once UniFi has made the server. */
    public readonly wireguardPublicKey: pulumi.Output<string | undefined>;

    constructor(name: string, args: UnifiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        const { unifi, settings, services, secrets, provider } = args;
        const forwards = catalogForwards(services, settings);
        const problems = forwardTargetProblems(forwards, settings);
        // checkInput reports these first; a caller that skipped it still registers nothing.
        if (problems.length > 0) throw new ConfigError(problems);
        super("homelab:edge:UnifiGateway", name, {}, opts);

        const controller = {
            url: unifi.controllerUrl,
            site: unifi.site,
            insecure: unifi.insecure,
            apiKey: secretOf(secrets, unifiApiKeySecret, "edge"),
        };
        for (const forward of forwards) {
            if (forward.address === undefined) continue;
            new UnifiPortForward(
                `${name}-forward-${forward.service}`,
                {
                    ...controller,
                    name: `homelab-${forward.service}`,
                    address: forward.address,
                    port: forward.port,
                    forwardPort: forward.port,
                    protocol: forward.protocol,
                    source: "any",
                    wanInterface: unifi.wanInterface,
                    enabled: true,
                    log: false,
                },
                { parent: this, provider },
            );
        }
        const server = new UnifiWireguardServer(
            `${name}-wireguard`,
            {
                ...controller,
                name: unifi.wireguard.name,
                subnet: unifi.wireguard.subnet,
                port: unifi.wireguard.port,
                wanInterface: unifi.wanInterface,
                enabled: true,
                privateKey: secretOf(secrets, unifiWireguardKeySecret, "edge"),
            },
            { parent: this, provider },
        );
        this.wireguardPublicKey = server.publicKey;
        this.registerOutputs({ wireguardPublicKey: this.wireguardPublicKey });
    }
}
