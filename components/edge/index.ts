import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { isPlaceholder } from "../../config/cloudflare";
import { show } from "../../config/errors";
import { secretOf, type SecretRequest, type Secrets } from "../../config/load";
import type { Settings } from "../../config/schema";
import { type ServiceEntry } from "../../catalog/types";
import { edgeHost, type Roles } from "../../topology";
import { DynamicProvider } from "../dynamic-provider";
import { AdguardRewrite } from "./adguard/provider";
import { UnifiGateway, unifiProblems, unifiSecretRequests } from "./unifi";
import { connectorToken } from "./token";
import { externalHosts, externalProblems, externalUrls, tunnelIngress } from "./tunnel";
import { targetOf } from "../../catalog/targets";
import { hostnameFor } from "../../catalog/urls";
import { clusterIngressAddress } from "../../hosts/k3s-config";

/**
 * The split-horizon answers for services on k3s: their exact hostname → the cluster's ingress.
 * AdGuard Home prefers an exact rewrite to the wildcard one, so every other name still answers
 * with Traefik on the edge host.
 */
export function clusterRewrites(
    services: readonly ServiceEntry[],
    settings: Settings,
): { service: string; domain: string; answer: string }[] {
    const answer = clusterIngressAddress(settings);
    if (answer === undefined) return [];
    return services.flatMap((entry) => {
        const domain = hostnameFor(entry, settings);
        return domain !== undefined && targetOf(entry, settings) === "k3s"
            ? [{ service: entry.name, domain, answer }]
            : [];
    });
}

/** Problems with the edge config (zone, external hostnames, certificates), checked before anything is registered. */
export function edgeProblems(settings: Settings, services: readonly ServiceEntry[]): string[] {
    const problems: string[] = [];
    if (settings.traefik.certificates === "letsencrypt" && !settings.edge) {
        problems.push(
            `homelab:traefik.certificates: ${show("letsencrypt")} is not allowed where homelab:edge is false; ` +
                "expected letsencrypt-staging or self-signed (only the real homelab may use the production CA)",
        );
    }
    // The gateway's own check also refuses homelab:unifi where the edge is off.
    problems.push(...unifiProblems(settings, services));
    if (!settings.edge) return problems;
    if (settings.cloudflare === undefined) {
        problems.push(
            "homelab:cloudflare: (missing) is not allowed where homelab:edge is true; expected " +
                "{ accountId, zoneId, zoneName } of the Cloudflare zone the tunnel publishes into",
        );
    }
    if (settings.hosts[edgeHost] === undefined) {
        problems.push(
            `homelab:hosts.${edgeHost}: (missing) is not allowed where homelab:edge is true; ` +
                "the split-horizon rewrite points at its address",
        );
    }
    return [...problems, ...externalProblems(services, settings)];
}

/** Secret config keys the edge needs. */
export function edgeSecretRequests(settings: Settings): SecretRequest[] {
    if (!settings.edge) return [];
    return [
        { key: "cloudflareApiToken", usedBy: ["edge (Cloudflare tunnel and DNS records)"] },
        { key: "adguardUsername", usedBy: ["edge (AdGuard Home rewrite)"] },
        { key: "adguardPassword", usedBy: ["edge (AdGuard Home rewrite)"] },
        ...unifiSecretRequests(settings),
    ];
}

/** Secret keys the edge supplies from its resources instead of config (the tunnel token). */
export function edgeProvidedSecrets(settings: Settings): string[] {
    return settings.edge ? ["tunnelToken"] : [];
}

export interface EdgeArgs {
    settings: Settings;
    secrets: Secrets;
    services: readonly ServiceEntry[];
    /** The tunnel's ingress rules point at `roles.ingress`. */
    roles: Pick<Roles, "ingress">;
}

/**
 * The Cloudflare tunnel with its ingress and DNS records, the AdGuard split-horizon rewrite and,
 * where homelab:unifi is set, the UniFi gateway's port forward and WireGuard server. Only the
 * catalog's external services are published; everything else answers 404 at the connector. Where
 * homelab:edge is false (the lab) nothing is registered.
 */
export class Edge extends pulumi.ComponentResource {
    /** The tunnel token for the cloudflared container; secret, and never an output. */
    public readonly providedSecrets: Secrets;
    public readonly externalUrls: pulumi.Output<Record<string, string>>;
    /** null where the edge is off (the lab): a stack output, unlike undefined, shows as such. */
    public readonly tunnelId: pulumi.Output<string | null>;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:edge:Edge", name, {}, opts);
        const { settings, services, secrets } = args;
        const zone = settings.cloudflare;
        const edge = settings.hosts[edgeHost];
        if (!settings.edge || zone === undefined || edge === undefined) {
            void pulumi.log.info(
                "edge: homelab:edge is false, so no Cloudflare tunnel, DNS records or AdGuard rewrite; " +
                    "service URLs resolve to the local Traefik",
                this,
            );
            this.providedSecrets = {};
            this.externalUrls = pulumi.output<Record<string, string>>({});
            this.tunnelId = pulumi.output(null);
            this.registerOutputs({});
            return;
        }
        const placeholders = (["accountId", "zoneId"] as const).filter((key) => isPlaceholder(zone[key]));
        if (placeholders.length > 0) {
            void pulumi.log.warn(
                `${placeholders.map((key) => `homelab:cloudflare.${key}`).join(", ")}: still the placeholder from ` +
                    "Pulumi.prod.yaml, which Cloudflare refuses; set your account and zone IDs there",
                this,
            );
        }

        const cf = new cloudflare.Provider(
            `${name}-cloudflare`,
            { apiToken: secretOf(secrets, "cloudflareApiToken", "edge") },
            { parent: this },
        );
        const randomness = new random.Provider(`${name}-random`, {}, { parent: this });
        const dynamic = new DynamicProvider(`${name}-dynamic`, { parent: this });

        const tunnelSecret = new random.RandomBytes(
            `${name}-tunnel-secret`,
            { length: 32 },
            { parent: this, provider: randomness },
        );
        const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
            `${name}-tunnel`,
            { accountId: zone.accountId, name: "homelab", configSrc: "cloudflare", tunnelSecret: tunnelSecret.base64 },
            { parent: this, provider: cf, protect: settings.protectStateful },
        );
        new cloudflare.ZeroTrustTunnelCloudflaredConfig(
            `${name}-tunnel-config`,
            {
                accountId: zone.accountId,
                tunnelId: tunnel.id,
                config: { ingresses: tunnelIngress(services, settings, args.roles.ingress) },
            },
            { parent: this, provider: cf },
        );
        for (const host of externalHosts(services, settings)) {
            new cloudflare.DnsRecord(
                `${name}-cname-${host.subdomain}`,
                {
                    zoneId: zone.zoneId,
                    name: host.hostname,
                    type: "CNAME",
                    content: pulumi.interpolate`${tunnel.id}.cfargotunnel.com`,
                    proxied: true,
                    // 1 is "automatic", the only TTL a proxied record has.
                    ttl: 1,
                    comment: `homelab: ${host.service} through the Cloudflare tunnel`,
                },
                { parent: this, provider: cf },
            );
        }

        new AdguardRewrite(
            `${name}-split-horizon`,
            {
                url: settings.adguard.originUrl,
                username: secretOf(secrets, "adguardUsername", "edge"),
                password: secretOf(secrets, "adguardPassword", "edge"),
                domain: `*.${settings.domain}`,
                answer: edge.address,
            },
            { parent: this, provider: dynamic },
        );
        for (const rewrite of clusterRewrites(services, settings)) {
            new AdguardRewrite(
                `${name}-k3s-${rewrite.service}`,
                {
                    url: settings.adguard.originUrl,
                    username: secretOf(secrets, "adguardUsername", "edge"),
                    password: secretOf(secrets, "adguardPassword", "edge"),
                    domain: rewrite.domain,
                    answer: rewrite.answer,
                },
                { parent: this, provider: dynamic },
            );
        }
        if (settings.unifi !== undefined) {
            new UnifiGateway(
                `${name}-unifi`,
                { unifi: settings.unifi, settings, services, secrets, provider: dynamic },
                { parent: this },
            );
        }

        this.providedSecrets = {
            tunnelToken: connectorToken(tunnel, zone.accountId, { parent: this, provider: cf }),
        };
        this.externalUrls = pulumi.output(externalUrls(services, settings));
        this.tunnelId = tunnel.id;
        this.registerOutputs({ externalUrls: this.externalUrls, tunnelId: this.tunnelId });
    }
}
