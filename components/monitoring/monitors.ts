import { isIP } from "node:net";
import { ConfigError, show } from "../../config/errors";
import type { Settings } from "../../config/schema";
import type { Route, ServiceEntry } from "../../catalog/types";
import { edgeHost, roles } from "../../topology";
import { clusterRewrites } from "../edge";
import { urlOf } from "../outputs";
import { hostnameOf } from "../spec";

/**
 * One condition on a DNS answer, as AutoKuma 2.0.0 passes it to Uptime Kuma 2 (`MonitorCondition`
 * in BigBoot/AutoKuma kuma-client/src/models/monitor.rs @ v2.0.0, absent only from the
 * `uptime-kuma-v1-*` images; the catalog pins the V2 image `2.0.0`).
 */
export interface DnsCondition {
    type: "expression";
    variable: "record";
    operator: "equals";
    value: string;
    andOr: "and";
}

/** One AutoKuma static monitor (`<id>.json`, the id being the file name). */
export type Monitor =
    | {
          name: string;
          type: "http";
          url: string;
          interval: number;
          accepted_statuscodes: string[];
          max_redirects: number;
      }
    | {
          name: string;
          type: "dns";
          hostname: string;
          port: number;
          dns_resolve_server: string;
          dns_resolve_type: "A";
          interval: number;
          conditions: DnsCondition[];
      };

/** Where a monitor points: a routed service's URL and hostname. */
export interface MonitorTarget {
    service: string;
    url: string;
    hostname: string;
    route: Route;
}

/** The public resolver the public-name monitors ask (outside the LAN's split horizon). */
export const publicResolver = "1.1.1.1";
/** The port AdGuard Home answers DNS on (its default; homelab:adguard only holds the web URLs). */
export const adguardDnsPort = 53;

function routedNames(services: readonly ServiceEntry[], settings: Settings): string[] {
    return services.filter((entry) => urlOf(entry, settings) !== undefined).map((entry) => entry.name);
}

function targetProblem(service: string, why: string, services: readonly ServiceEntry[], settings: Settings): string {
    return (
        `monitors: ${why} ${show(service)}, which is not routed; expected a routed service, one of ` +
        routedNames(services, settings).join(", ")
    );
}

/** A routed service's URL and hostname, or the problem with asking for them (key, value, allowed). */
function resolveTarget(
    service: string,
    why: string,
    services: readonly ServiceEntry[],
    settings: Settings,
): MonitorTarget | string {
    const entry = services.find((candidate) => candidate.name === service);
    const url = entry && urlOf(entry, settings);
    const hostname = entry && hostnameOf(entry, settings);
    if (entry?.route === undefined || url === undefined || hostname === undefined) {
        return targetProblem(service, why, services, settings);
    }
    return { service, url, hostname, route: entry.route };
}

/**
 * The URL and hostname a monitor of `service` checks. Every monitor points at a routed URL: one
 * for a service Traefik does not route could never go green, so it is refused with the routed
 * services listed.
 */
export function monitorTarget(
    service: string,
    services: readonly ServiceEntry[],
    settings: Settings,
    why = "a monitor of",
): MonitorTarget {
    const target = resolveTarget(service, why, services, settings);
    if (typeof target === "string") throw new ConfigError([target]);
    return target;
}

/** The split-horizon probe asks for the ingress's own name (the wildcard rewrite answers it). */
const probeWhy = `the split-horizon probe asks for the hostname of roles.ingress`;

/** AdGuard Home's address for DNS: the host of its web URL. */
function resolverOf(url: string): string {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
}

/** The AdGuard Home instances LAN clients ask: the origin and its replicas, each with its config key. */
function adguardResolvers(settings: Settings): { key: string; url: string }[] {
    return [
        { key: "homelab:adguard.originUrl", url: settings.adguard.originUrl },
        ...settings.adguard.replicaUrls.map((url, i) => ({ key: `homelab:adguard.replicaUrls.${i}`, url })),
    ];
}

/**
 * What would leave a generated monitor red forever, checked with the rest of the input before any
 * resource is registered: a split-horizon probe whose target is not routed, and an AdGuard Home
 * named under the homelab's own domain (the wildcard rewrite answers that name with Traefik, which
 * serves no DNS).
 */
export function monitorProblems(settings: Settings, services: readonly ServiceEntry[]): string[] {
    if (!settings.edge) return [];
    const problems: string[] = [];
    const probe = resolveTarget(roles.ingress, probeWhy, services, settings);
    if (typeof probe === "string") problems.push(probe);
    for (const { key, url } of adguardResolvers(settings)) {
        const host = resolverOf(url);
        if (isIP(host) === 0 && (host === settings.domain || host.endsWith(`.${settings.domain}`))) {
            problems.push(
                `${key}: ${show(url)} is not allowed where homelab:edge is true; expected AdGuard Home by IP ` +
                    `address or by a name outside ${settings.domain} (the split-horizon rewrite answers ` +
                    `*.${settings.domain} with Traefik, so a DNS monitor could not reach AdGuard Home by that name)`,
            );
        }
    }
    return problems;
}

/** The path a monitor asks for: the service's health endpoint when it is on the routed port. */
function healthPath(entry: ServiceEntry): string {
    const health = entry.health;
    if ((health.kind === "http" || health.kind === "image") && health.port === entry.port) return health.path;
    return "/";
}

function answerIs(address: string): DnsCondition[] {
    return [{ type: "expression", variable: "record", operator: "equals", value: address, andOr: "and" }];
}

/**
 * The monitors Uptime Kuma keeps, from the catalog and the settings. Why each kind goes green in
 * prod (the facts from louislam/uptime-kuma @ 2.5.3, the catalog's pin, and BigBoot/AutoKuma @ v2.0.0):
 *
 * - `<service>` (http), one per routed URL: Uptime Kuma runs on the LAN, where AdGuard answers
 *   every `*.<domain>` name with Traefik, so the request enters Traefik over the wildcard
 *   certificate and reaches the container (Traefik routes only a healthy one). The check is axios
 *   with `maxRedirects` and `validateStatus` from `accepted_statuscodes` (server/model/monitor.js).
 *   A plain route asks its health path and expects 2xx after up to 10 redirects. A forward-auth
 *   route answers an unsigned request with Authentik's redirect to the login (the outpost's
 *   `http.Redirect`, goauthentik/authentik internal/outpost/proxyv2/application/mode_forward.go,
 *   which Traefik's forwardAuth passes through), so it expects 3xx with no redirect followed: that
 *   proves the route, the certificate, the gate and the container without a login. An external
 *   service's URL is its public URL (same hostname), so this is also the HTTPS check of the public
 *   URL: from inside the LAN it reaches the same Traefik route the tunnel's ingress points at.
 * - `<service>-public` (dns, A), one per tunnelled hostname, asked of a public resolver: the
 *   Cloudflare record is a proxied CNAME to the tunnel, and Cloudflare answers a proxied name with
 *   its own A/AAAA addresses, never the CNAME. Uptime Kuma's dns type resolves `dns_resolve_type`
 *   with node's Resolver and is up when there is an answer (server/monitor-types/dns.js), so an A
 *   question is green exactly while the record is published; the addresses are Cloudflare's
 *   anycast ones and not ours to pin, so there is no condition. (A CNAME question gets no answer
 *   for a proxied record and would be down forever.)
 * - `split-horizon` / `split-horizon-replica-<n>` and `<service>-split-horizon` (dns, A), asked of
 *   each AdGuard Home (origin and replicas, port 53): the wildcard rewrite answers the ingress's
 *   hostname with the edge host's address (Traefik), and each k3s service's exact rewrite with
 *   the cluster's ingress. The `conditions` (record equals the rewrite's answer) make Uptime Kuma
 *   assert the answer: dns.js is up only when some A record satisfies them.
 *
 * Public and split-horizon monitors exist only where the program manages the tunnel, its records
 * and the rewrites (homelab:edge).
 */
export function uptimeMonitors(services: readonly ServiceEntry[], settings: Settings): Record<string, Monitor> {
    const problems = monitorProblems(settings, services);
    if (problems.length > 0) throw new ConfigError(problems);
    const monitors: Record<string, Monitor> = {};
    for (const entry of services) {
        if (urlOf(entry, settings) === undefined) continue;
        const { url, hostname, route } = monitorTarget(entry.name, services, settings);
        const gated = route.forwardAuth;
        monitors[entry.name] = {
            name: entry.title,
            type: "http",
            url: `${url}${gated ? "/" : healthPath(entry)}`,
            interval: 60,
            accepted_statuscodes: [gated ? "300-399" : "200-299"],
            max_redirects: gated ? 0 : 10,
        };
        if (route.exposure === "external" && settings.edge) {
            monitors[`${entry.name}-public`] = {
                name: `${entry.title} (public DNS)`,
                type: "dns",
                hostname,
                port: 53,
                dns_resolve_server: publicResolver,
                dns_resolve_type: "A",
                interval: 300,
                conditions: [],
            };
        }
    }
    const edge = settings.hosts[edgeHost];
    if (!settings.edge || edge === undefined) return monitors;
    const ingress = monitorTarget(roles.ingress, services, settings, probeWhy);
    const k3s = clusterRewrites(services, settings);
    const rewrites = [
        // The ingress's own name, unless an exact rewrite (k3s) answers it instead of the wildcard.
        ...(k3s.some((rewrite) => rewrite.domain === ingress.hostname)
            ? []
            : [{ id: "split-horizon", title: "Split-horizon DNS", domain: ingress.hostname, answer: edge.address }]),
        ...k3s.map((rewrite) => ({
            id: `${rewrite.service}-split-horizon`,
            title: `Split-horizon DNS of ${rewrite.domain}`,
            domain: rewrite.domain,
            answer: rewrite.answer,
        })),
    ];
    adguardResolvers(settings).forEach(({ url }, i) => {
        for (const rewrite of rewrites) {
            const suffix = i === 0 ? "" : `-replica-${i}`;
            monitors[`${rewrite.id}${suffix}`] = {
                name: `${rewrite.title} (AdGuard ${resolverOf(url)})`,
                type: "dns",
                hostname: rewrite.domain,
                port: adguardDnsPort,
                dns_resolve_server: resolverOf(url),
                dns_resolve_type: "A",
                interval: 300,
                conditions: answerIs(rewrite.answer),
            };
        }
    });
    return monitors;
}

/** The monitor files as AutoKuma reads them: `<id>.json`. */
export function monitorFiles(monitors: Readonly<Record<string, Monitor>>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(monitors).map(([id, monitor]) => [`${id}.json`, `${JSON.stringify(monitor, null, 2)}\n`]),
    );
}
