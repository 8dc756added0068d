import type { Settings } from "../../config/schema";
import type { ServiceEntry } from "../../catalog/types";
import { urlOf } from "../outputs";
import { hostnameOf } from "../spec";

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
          dns_resolve_type: "CNAME";
          interval: number;
      };

/** The path a monitor asks for: the service's health endpoint when it is on the routed port. */
function healthPath(entry: ServiceEntry): string {
    const health = entry.health;
    if ((health.kind === "http" || health.kind === "image") && health.port === entry.port) return health.path;
    return "/";
}

/**
 * The monitors Uptime Kuma keeps, from the catalog: one HTTP monitor per routed URL, and one DNS
 * monitor per public hostname (asked of a public resolver, since inside the LAN AdGuard answers
 * with Traefik). A forward-auth service answers its URL with Authentik's redirect to the login;
 * Traefik only routes a healthy container, so that redirect proves the route, the certificate,
 * the gate and the container's health without a login.
 */
export function uptimeMonitors(services: readonly ServiceEntry[], settings: Settings): Record<string, Monitor> {
    const monitors: Record<string, Monitor> = {};
    for (const entry of services) {
        const url = urlOf(entry, settings);
        const hostname = hostnameOf(entry, settings);
        if (entry.route === undefined || url === undefined || hostname === undefined) continue;
        const gated = entry.route.forwardAuth;
        monitors[entry.name] = {
            name: entry.title,
            type: "http",
            url: `${url}${gated ? "/" : healthPath(entry)}`,
            interval: 60,
            accepted_statuscodes: [gated ? "300-399" : "200-299"],
            max_redirects: gated ? 0 : 10,
        };
        // Public names exist only where the program manages the tunnel and its DNS records.
        if (entry.route.exposure === "external" && settings.edge) {
            monitors[`${entry.name}-public`] = {
                name: `${entry.title} (public DNS)`,
                type: "dns",
                hostname,
                port: 53,
                dns_resolve_server: "1.1.1.1",
                dns_resolve_type: "CNAME",
                interval: 300,
            };
        }
    }
    return monitors;
}

/** The monitor files as AutoKuma reads them: `<id>.json`. */
export function monitorFiles(monitors: Readonly<Record<string, Monitor>>): Record<string, string> {
    return Object.fromEntries(
        Object.entries(monitors).map(([id, monitor]) => [`${id}.json`, `${JSON.stringify(monitor, null, 2)}\n`]),
    );
}
