import { show } from "../../config/errors";
import type { Settings } from "../../config/schema";
import { websecurePort } from "../../topology";
import { ipv4Overlap } from "../../topology/ipv4";
import type { PublishedPort } from "../types";

export const traefikDynamicDir = "/etc/traefik/dynamic";
export const certResolver = "cloudflare";

/**
 * The network only the tunnel connector and Traefik share, so that Traefik can trust forwarded
 * headers from exactly one address: the connector's, which nothing else can send from.
 *
 * Why this and not the `proxy` network: on `proxy` cloudflared's address is whatever Docker hands
 * out, and every other service sits there too; the static config needs a literal. Why not a second,
 * unpublished entrypoint: the routers, the tunnel's origin and forward-auth all name `websecure`,
 * and a second entrypoint would double each of them; one fixed /32 on a network of two containers
 * gives the same guarantee with one network and one flag.
 *
 * What can never come from the trusted address: a LAN client's request to a published port arrives
 * with its own LAN address (iptables DNAT) or with the gateway of Traefik's network (Docker's
 * userland proxy) — the gateway (`.1`) is pinned here and is not the connector's; a spoofed source
 * cannot finish a TCP handshake, since the host routes that address to this bridge. The connector's
 * address is outside `ipRange`, so no other container (Traefik included) can be handed it, and
 * Docker refuses a second container asking for it.
 *
 * The subnet is in 198.18.0.0/15 (RFC 2544, set aside for benchmarking, RFC 6890 "not globally
 * reachable"): never a LAN's, not in Docker's default address pools (172.17–172.31/16 and
 * 192.168/16 by /20; swarm's 10/8), not k3s's pod and service ranges (10.42/16, 10.43/16), not
 * Tailscale's 100.64/10, not the fleet lab's 10.77.0.0/24. The same in the lab and in prod; it only
 * ever exists on the edge host's engine. Not egress-blocked (`internal: false`): the connector
 * reaches Cloudflare through it.
 */
export const tunnelNetwork = {
    name: "tunnel",
    subnet: "198.18.0.0/28",
    gateway: "198.18.0.1",
    /** The connector's fixed address; the only address Traefik trusts forwarded headers from. */
    connectorAddress: "198.18.0.2",
    /** Where Docker picks the other members' addresses (Traefik's): .8–.14, never the connector's. */
    ipRange: "198.18.0.8/29",
} as const;

/**
 * Traefik's websecure entrypoint trusts X-Forwarded-* (and X-Real-Ip) from the tunnel connector
 * only, so Authentik, Seerr and Audiobookshelf see the internet client's address. What reaches
 * Traefik from cloudflared (cloudflare/cloudflared @ 2026.8.2, connection/quic_connection.go
 * buildHTTPRequest): every header Cloudflare's edge sent, unchanged — CF-Connecting-IP (the client
 * address, set by Cloudflare), X-Forwarded-For (Cloudflare appends the client address to whatever
 * the client sent), X-Forwarded-Proto; cloudflared adds none of its own but Cf-Warp-Tag-* and, with
 * httpHostHeader, X-Forwarded-Host (ingress/origin_proxy.go). Traefik keeps those and appends the
 * connector's address, so the client is the entry before it; CF-Connecting-IP passes through as is
 * (Traefik v3.7 has no option to promote it). Everything from any other address — LAN clients, other
 * containers — still has its forwarded headers stripped, as before.
 *
 * Mind: Cloudflare appends, it does not replace (cloudflare/cloudflared#1426), so the leftmost
 * X-Forwarded-For entry, and an X-Real-Ip, are whatever the internet client sent when it sent one.
 * An app that must not be fooled keys on CF-Connecting-IP or on the entry before the connector's.
 */
export const tunnelTrustArgs: readonly string[] = [
    `--entrypoints.websecure.forwardedheaders.trustedips=${tunnelNetwork.connectorAddress}/32`,
];

/**
 * The tunnel network must share no address with the LAN: a LAN client at the connector's address
 * would be trusted, and the edge host would route the rest of that range into the bridge.
 */
export function tunnelNetworkProblems(settings: Settings): string[] {
    const allowed = `a LAN that does not overlap ${tunnelNetwork.subnet}, the tunnel network Traefik trusts forwarded headers from (catalog/stacks/traefik.ts tunnelNetwork)`;
    const problems: string[] = [];
    if (ipv4Overlap(settings.lanSubnet, tunnelNetwork.subnet)) {
        problems.push(`homelab:lanSubnet: ${show(settings.lanSubnet)} is not allowed; expected ${allowed}`);
    }
    for (const [name, host] of Object.entries(settings.hosts)) {
        if (ipv4Overlap(host.address, tunnelNetwork.subnet)) {
            problems.push(`homelab:hosts.${name}.address: ${show(host.address)} is not allowed; expected ${allowed}`);
        }
    }
    for (const node of settings.cluster?.nodes ?? []) {
        if (ipv4Overlap(node.address, tunnelNetwork.subnet)) {
            problems.push(
                `homelab:cluster.nodes.${node.name}.address: ${show(node.address)} is not allowed; expected ${allowed}`,
            );
        }
    }
    return problems;
}

const caServers = {
    letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/**
 * Traefik's static configuration as CLI flags: no file to template onto the host, and a change
 * shows in the preview as a changed command.
 */
export function traefikStaticArgs(settings: Settings): string[] {
    const { domain, traefik } = settings;
    const args = [
        "--entrypoints.web.address=:80",
        "--entrypoints.web.http.redirections.entrypoint.to=websecure",
        "--entrypoints.web.http.redirections.entrypoint.scheme=https",
        "--entrypoints.web.http.redirections.entrypoint.permanent=true",
        `--entrypoints.websecure.address=:${websecurePort}`,
        "--entrypoints.websecure.http.tls=true",
        ...tunnelTrustArgs,
        "--providers.docker=true",
        "--providers.docker.exposedbydefault=false",
        "--providers.docker.network=proxy",
        `--providers.file.directory=${traefikDynamicDir}`,
        "--providers.file.watch=true",
        "--api.dashboard=true",
        "--ping=true",
        "--log.level=INFO",
    ];
    if (traefik.certificates === "self-signed") return args;
    return [
        ...args,
        `--entrypoints.websecure.http.tls.certresolver=${certResolver}`,
        `--entrypoints.websecure.http.tls.domains[0].main=${domain}`,
        `--entrypoints.websecure.http.tls.domains[0].sans=*.${domain}`,
        `--certificatesresolvers.${certResolver}.acme.email=${traefik.acmeEmail ?? `admin@${domain}`}`,
        `--certificatesresolvers.${certResolver}.acme.storage=/letsencrypt/acme.json`,
        `--certificatesresolvers.${certResolver}.acme.caserver=${caServers[traefik.certificates]}`,
        `--certificatesresolvers.${certResolver}.acme.dnschallenge.provider=cloudflare`,
        `--certificatesresolvers.${certResolver}.acme.dnschallenge.resolvers=1.1.1.1:53,1.0.0.1:53`,
    ];
}

export function traefikPorts(settings: Settings): PublishedPort[] {
    return [
        { port: 80, hostPort: settings.traefik.httpPort, protocol: "tcp", reason: "HTTP, redirected to HTTPS" },
        { port: websecurePort, hostPort: settings.traefik.httpsPort, protocol: "tcp", reason: "the HTTPS entrypoint" },
    ];
}
