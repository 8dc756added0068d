import type { Settings } from "../config/schema";
import type { ServiceEntry } from "./types";

/** `<subdomain>.<domain>` of a routed service. */
export function hostnameFor(entry: ServiceEntry, settings: Settings): string | undefined {
    return entry.route ? `${entry.route.subdomain}.${settings.domain}` : undefined;
}

/** `https://<subdomain>.<domain>` (plus the port where the stack does not publish HTTPS on 443). */
export function urlFor(entry: ServiceEntry, settings: Settings): string | undefined {
    const hostname = hostnameFor(entry, settings);
    if (hostname === undefined) return undefined;
    const port = settings.traefik.httpsPort === 443 ? "" : `:${settings.traefik.httpsPort}`;
    return `https://${hostname}${port}`;
}
