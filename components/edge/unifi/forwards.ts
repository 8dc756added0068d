import { show } from "../../../config/errors";
import type { Settings } from "../../../config/schema";
import { targetOf } from "../../../catalog/targets";
import type { ServiceEntry } from "../../../catalog/types";
import { everyHost, hostNames } from "../../../topology";

/**
 * The gateway's port forwards as the catalog declares them (an entry's `portForward`, to its host's
 * address), and what may be wrong with them. Pure functions: the component, the input check and
 * the policy pack read the same list.
 */

/** A router port forward from the internet to a catalog service, as the catalog declares it. */
export interface CatalogForward {
    service: string;
    /** The catalog entry's host. */
    host: string;
    /** That host's address (homelab:hosts.<host>.address); undefined when the stack has no such host. */
    address: string | undefined;
    /** The WAN port, and the port on the host (the service listens on it there). */
    port: number;
    protocol: "tcp";
    reason: string;
}

/** Every port forward the catalog declares, for the enabled services this stack deploys. */
export function catalogForwards(services: Iterable<ServiceEntry>, settings: Settings): CatalogForward[] {
    return [...services].flatMap((entry) => {
        if (entry.portForward === undefined || entry.enabled === false) return [];
        return [
            {
                service: entry.name,
                host: entry.host,
                address: entry.host === everyHost ? undefined : settings.hosts[entry.host]?.address,
                port: entry.portForward.port,
                protocol: "tcp" as const,
                reason: entry.portForward.reason,
            },
        ];
    });
}

/** The catalog hosts' addresses, as messages list them: `192.168.30.11 (docker-prod-01), …`. */
function hostAddresses(settings: Settings): { address: string; host: string }[] {
    return hostNames.flatMap((host) => {
        const address = settings.hosts[host]?.address;
        return address === undefined ? [] : [{ address, host }];
    });
}

/** A forward may only go to a catalog host's address: the one its service runs on. */
export function forwardTargetProblems(forwards: readonly CatalogForward[], settings: Settings): string[] {
    const hosts = hostAddresses(settings);
    const allowed = hosts.map(({ address, host }) => `${address} (${host})`).join(", ") || "none";
    return forwards.flatMap((forward) => {
        if (forward.address === undefined) return [];
        const own = settings.hosts[forward.host]?.address;
        if (own === forward.address && hosts.some((host) => host.address === forward.address)) return [];
        return [
            `catalog: ${forward.service}.portForward: forwarding port ${forward.port}/${forward.protocol} to ` +
                `${show(forward.address)} is not allowed; expected the address of ${forward.service}'s host ` +
                `${forward.host} (catalog hosts: ${allowed})`,
        ];
    });
}

/** Problems with homelab:unifi and the catalog's port forwards, checked before anything is registered. */
export function unifiProblems(settings: Settings, services: readonly ServiceEntry[]): string[] {
    const unifi = settings.unifi;
    if (unifi === undefined) return [];
    if (!settings.edge) {
        return [
            `homelab:unifi.controllerUrl: ${show(unifi.controllerUrl)} is not allowed where homelab:edge is false; ` +
                "expected no homelab:unifi (only the real homelab manages its gateway)",
        ];
    }
    const problems: string[] = [];
    const forwards = catalogForwards(services, settings);
    for (const forward of forwards) {
        const entry = services.find((service) => service.name === forward.service);
        if (forward.host === everyHost) {
            problems.push(
                `catalog: ${forward.service}.host: ${show(everyHost)} is not allowed for a service with portForward ` +
                    `(${forward.port}/${forward.protocol}); expected one of ${hostNames.join(", ")}: the gateway forwards to one address`,
            );
        } else if (entry !== undefined && targetOf(entry, settings) !== "docker") {
            problems.push(
                `homelab:targets.${forward.service}: ${show(targetOf(entry, settings))} is not allowed for a service with ` +
                    `a router port forward (${forward.port}/${forward.protocol}); expected docker: the gateway forwards to ` +
                    `${forward.host}'s address`,
            );
        } else if (forward.address === undefined) {
            problems.push(
                `homelab:hosts.${forward.host}: (missing) is not allowed where ${forward.service} has a router port ` +
                    `forward (${forward.port}/${forward.protocol}); expected the host and its address, the forward's target`,
            );
        }
    }
    problems.push(...forwardTargetProblems(forwards, settings));
    for (const port of new Set(forwards.map((forward) => forward.port))) {
        const owners = forwards.filter((forward) => forward.port === port).map((forward) => forward.service);
        if (owners.length > 1) {
            problems.push(
                `catalog: ${owners.join(" and ")}.portForward.port: ${port} is forwarded ${owners.length} times; ` +
                    "allowed: one forward per port",
            );
        }
    }
    return problems;
}
