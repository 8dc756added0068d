import type { Settings } from "../config/schema";
import { type ServiceEntry } from "../catalog/types";
import { everyHost, hostNames } from "../topology";
import { urlFor } from "../catalog/urls";
import { targetOf } from "../catalog/targets";

/** `https://<subdomain>.<domain>` (plus the port where the lab does not publish on 443). */
export function urlOf(entry: ServiceEntry, settings: Settings): string | undefined {
    return urlFor(entry, settings);
}

/** Service name → URL, for every routed service (on Docker or on k3s); what `pulumi stack output urls` lists. */
export function serviceUrls(entries: readonly ServiceEntry[], settings: Settings): Record<string, string> {
    return Object.fromEntries(
        entries.flatMap((entry) => {
            const url = urlOf(entry, settings);
            return url === undefined ? [] : [[entry.name, url]];
        }),
    );
}

export interface HostSummary {
    address: string;
    stacks: string[];
    /** Router port forwards that reach this host directly (Plex stays outside the tunnel). */
    portForwards: { port: number; service: string }[];
}

export function hostSummary(entries: readonly ServiceEntry[], settings: Settings): Record<string, HostSummary> {
    const summary: Record<string, HostSummary> = {};
    for (const name of hostNames) {
        const host = settings.hosts[name];
        if (host === undefined) continue;
        // A service on k3s runs on the cluster, not on its catalog host.
        const here = entries.filter(
            (entry) => (entry.host === name || entry.host === everyHost) && targetOf(entry, settings) === "docker",
        );
        summary[name] = {
            address: host.address,
            stacks: [...new Set(here.map((entry) => entry.stack))],
            portForwards: here.flatMap((entry) =>
                entry.portForward ? [{ port: entry.portForward.port, service: entry.name }] : [],
            ),
        };
    }
    return summary;
}
