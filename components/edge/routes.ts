import type { Settings } from "../../config/schema";
import type { ServiceEntry } from "../../catalog/types";
import { targetOf } from "../../catalog/targets";
import { urlFor } from "../../catalog/urls";
import { edgeHost, type Roles } from "../../topology";
import type { DockerHost } from "../../hosts/docker";
import { hostnameOf } from "../spec";

export const outpostPath = "/outpost.goauthentik.io/";

/** The generated file-provider document in Traefik's dynamic directory. */
export const routeFileName = "homelab.yml";

const authResponseHeaders = [
    "X-authentik-username",
    "X-authentik-groups",
    "X-authentik-entitlements",
    "X-authentik-email",
    "X-authentik-name",
    "X-authentik-uid",
    "X-authentik-jwt",
    "X-authentik-meta-jwks",
    "X-authentik-meta-outpost",
    "X-authentik-meta-provider",
    "X-authentik-meta-app",
    "X-authentik-meta-version",
];

/** Traefik's forward-auth middleware, as Authentik's outpost asks for it. */
export interface ForwardAuth {
    address: string;
    trustForwardHeader: boolean;
    authResponseHeaders: string[];
    maxResponseBodySize: number;
}

/**
 * The forward-auth middleware for an Authentik outpost reached at `outpost` (`http://<server>:<port>`
 * or its URL): the Docker route document's `authentik` middleware and the cluster's Middleware.
 */
export function forwardAuthMiddleware(outpost: string): ForwardAuth {
    return {
        address: `${outpost}${outpostPath}auth/traefik`,
        trustForwardHeader: true,
        authResponseHeaders: [...authResponseHeaders],
        // Authentik answers with a redirect or a few headers; a cap keeps a broken outpost from flooding Traefik.
        maxResponseBodySize: 1048576,
    };
}

/** The outpost's sign-in callback on the forward-auth hosts (`hostRules`: `Host(...) || Host(...)`). */
export function outpostRouterRule(hostRules: string): string {
    return `(${hostRules}) && PathPrefix(\`${outpostPath}\`)`;
}

/** The outpost router's priority: above every host rule, so the sign-in callback reaches the outpost, not the app. */
export const outpostPriority = 10000;

type Hosts = Readonly<Partial<Record<string, DockerHost>>>;

/**
 * Where Traefik on the edge host reaches a service: by container name on a shared engine's
 * proxy network, otherwise at its host's address and published (or host-network) port.
 */
export function upstreamUrl(entry: ServiceEntry, hosts: Hosts): string {
    const host = hosts[entry.host];
    const edge = hosts[edgeHost];
    if (host === undefined || edge === undefined || entry.port === undefined) {
        throw new Error(`${entry.name}: cannot route it: no host or no port`);
    }
    const hostNetwork = entry.networking.mode === "host" && host.settings.hostNetwork;
    const sameEngine = host.endpoint === edge.endpoint;
    return sameEngine && !hostNetwork
        ? `http://${entry.name}:${entry.port}`
        : `http://${host.settings.address}:${entry.port}`;
}

export interface RouteDocument {
    http: {
        routers: Record<
            string,
            { rule: string; entryPoints: string[]; service: string; middlewares?: string[]; priority?: number }
        >;
        services: Record<string, { loadBalancer: { servers: { url: string }[] } }>;
        middlewares: Record<string, { forwardAuth: ForwardAuth }>;
    };
}

/**
 * The Traefik file-provider document for docker-prod-01: routes to services on other hosts, the
 * Authentik forward-auth middleware, and the outpost callback for every forward-auth host.
 */
export function routeDocument(
    entries: readonly ServiceEntry[],
    settings: Settings,
    hosts: Hosts,
    roles: Pick<Roles, "identityProvider">,
): RouteDocument {
    // A service on k3s is routed by the cluster's ingress (an IngressRoute; DNS and the tunnel go there).
    const onDocker = (entry: ServiceEntry) => targetOf(entry, settings) === "docker";
    const routed = entries.filter((entry) => entry.route !== undefined && entry.host !== edgeHost && onDocker(entry));
    const doc: RouteDocument = { http: { routers: {}, services: {}, middlewares: {} } };
    for (const entry of routed) {
        if (hosts[entry.host] === undefined) continue;
        doc.http.routers[entry.name] = {
            rule: `Host(\`${hostnameOf(entry, settings) ?? ""}\`)`,
            entryPoints: ["websecure"],
            service: entry.name,
            ...(entry.route?.forwardAuth ? { middlewares: ["authentik"] } : {}),
        };
        doc.http.services[entry.name] = { loadBalancer: { servers: [{ url: upstreamUrl(entry, hosts) }] } };
    }

    const authentik = entries.find((entry) => entry.name === roles.identityProvider);
    const guarded = entries.filter((entry) => entry.route?.forwardAuth === true && onDocker(entry));
    if (authentik !== undefined && guarded.length > 0) {
        // Authentik on k3s: its outpost through the cluster's ingress, at its own URL.
        const outpost = onDocker(authentik) ? upstreamUrl(authentik, hosts) : (urlFor(authentik, settings) ?? "");
        doc.http.middlewares.authentik = { forwardAuth: forwardAuthMiddleware(outpost) };
        const hostRules = guarded.map((entry) => `Host(\`${hostnameOf(entry, settings) ?? ""}\`)`).join(" || ");
        doc.http.routers["authentik-outpost"] = {
            rule: outpostRouterRule(hostRules),
            entryPoints: ["websecure"],
            service: "authentik-outpost",
            priority: outpostPriority,
        };
        doc.http.services["authentik-outpost"] = { loadBalancer: { servers: [{ url: outpost }] } };
    }
    return doc;
}
