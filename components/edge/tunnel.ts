import { show } from "../../config/errors";
import type { Settings } from "../../config/schema";
import type { ServiceEntry } from "../../catalog/types";
import { targetOf } from "../../catalog/targets";
import { clusterIngressAddress } from "../../hosts/k3s-config";
import { websecurePort } from "../../topology";

/**
 * Pure functions from the catalog to what the tunnel publishes: no Outputs, no resources, so the
 * ingress list and the DNS records are tested directly against any catalog.
 */

/**
 * cloudflared reaches the ingress (Traefik) by container name on the shared `proxy` network, over
 * HTTPS, so the request enters through the same websecure entrypoint (and forward-auth) as a LAN
 * request.
 */
export function ingressOrigin(ingress: string): string {
    return `https://${ingress}:${websecurePort}`;
}

/**
 * Where the tunnel sends a service on k3s: the cluster's ingress (its Traefik, behind k3s's
 * ServiceLB on the first node's address), on the HTTPS port the stack publishes.
 */
export function clusterOrigin(settings: Settings): string {
    const address = clusterIngressAddress(settings);
    if (address === undefined) throw new Error("edge: a service is on k3s, but homelab:cluster has no node address");
    return `https://${address}:${settings.traefik.httpsPort}`;
}

/** The last rule: anything the catalog does not publish gets a 404 at the connector. */
export const catchAll = "http_status:404";

export interface ExternalHost {
    /** The catalog entry's name. */
    service: string;
    subdomain: string;
    hostname: string;
}

export interface IngressRule {
    hostname?: string;
    service: string;
    originRequest?: { originServerName: string; noTlsVerify?: boolean };
}

/** The catalog entries marked external, in catalog order. */
export function externalHosts(entries: readonly ServiceEntry[], settings: Settings): ExternalHost[] {
    return entries.flatMap((entry) =>
        entry.route?.exposure === "external"
            ? [
                  {
                      service: entry.name,
                      subdomain: entry.route.subdomain,
                      hostname: `${entry.route.subdomain}.${settings.domain}`,
                  },
              ]
            : [],
    );
}

/**
 * One rule per external host to Traefik, then the 404 rule. The origin server name is the public
 * hostname, so Traefik's SNI picks the wildcard certificate and cloudflared can verify it; only the
 * production CA is one cloudflared trusts, so other certificate modes skip the check on this
 * in-host hop.
 */
export function tunnelIngress(entries: readonly ServiceEntry[], settings: Settings, ingress: string): IngressRule[] {
    const verify = settings.traefik.certificates === "letsencrypt";
    const onK3s = new Set(entries.filter((entry) => targetOf(entry, settings) === "k3s").map((entry) => entry.name));
    return [
        ...externalHosts(entries, settings).map((host): IngressRule => ({
            hostname: host.hostname,
            service: onK3s.has(host.service) ? clusterOrigin(settings) : ingressOrigin(ingress),
            originRequest: verify
                ? { originServerName: host.hostname }
                : { originServerName: host.hostname, noTlsVerify: true },
        })),
        { service: catchAll },
    ];
}

/** `https://<subdomain>.<domain>` per external service: Cloudflare serves them on 443 whatever Traefik publishes. */
export function externalUrls(entries: readonly ServiceEntry[], settings: Settings): Record<string, string> {
    return Object.fromEntries(
        externalHosts(entries, settings).map((host) => [host.service, `https://${host.hostname}`]),
    );
}

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Problems that would publish a wrong or unreachable name; empty when the edge can be built. */
export function externalProblems(entries: readonly ServiceEntry[], settings: Settings): string[] {
    const problems: string[] = [];
    const zone = settings.cloudflare?.zoneName;
    if (zone !== undefined && settings.domain !== zone && !settings.domain.endsWith(`.${zone}`)) {
        problems.push(
            `homelab:domain: ${show(settings.domain)} is not allowed; expected homelab:cloudflare.zoneName ` +
                `${show(zone)} or a name under it, because the tunnel's DNS records go into that zone`,
        );
    }
    for (const entry of entries) {
        const route = entry.route;
        if (route?.exposure !== "external") continue;
        if (!dnsLabel.test(route.subdomain)) {
            problems.push(
                `catalog: ${entry.name}.route.subdomain: ${show(route.subdomain)} is not allowed; an external ` +
                    'service needs one lower-case DNS label such as "audiobooks" for its public hostname',
            );
        }
    }
    return problems;
}
