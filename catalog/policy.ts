import type { Settings } from "../config/schema";
import { ssoKindOf } from "./sso";
import { resolve, type ServiceEntry } from "./types";
import { edgeHost, everyHost } from "../topology";

/**
 * What the policy pack allows, derived from the catalog: a service may hold the Docker socket, the
 * host's network, a published port, an added capability or a device only where its catalog entry
 * declares the need and a written reason exists. Pure functions, so the policy pack, the catalog
 * tests and the docs read the same lists.
 */

/** The homelab's one identity (NFS permissions); a constant, so a config change cannot quietly move it. */
export const serviceIdentity = { uid: 2000, gid: 2000 } as const;

/** Stacks whose stateful resources must be protected, whatever their `protectStateful` says. */
export const protectedStacks: readonly string[] = ["prod"];

/**
 * Reasons the catalog's own fields do not carry yet (its socket mounts, host networking and
 * capabilities have no `reason`). A need without a reason here is not allowed.
 */
export const recordedReasons = {
    dockerSocket: {
        traefik: "discovers the containers it routes from their labels (read-only)",
        dockman: "starts, stops and updates the compose stacks it manages, so it needs write access",
        "beszel-agent": "reads per-container statistics (read-only)",
    } as Readonly<Record<string, string>>,
    hostNetwork: {
        plex: "local discovery (GDM) and direct play on the LAN",
        "beszel-agent": "reports the host's real network interfaces",
    } as Readonly<Record<string, string>>,
    capabilities: {
        gluetun: { NET_ADMIN: "creates the VPN interface and the kill-switch firewall" },
    } as Readonly<Record<string, Readonly<Record<string, string>>>>,
    /** Internal routes with neither forward-auth nor Authentik's OIDC sign-in. */
    unguardedRoutes: {
        "calibre-web-automated":
            "its own login, which Shelfmark reuses (CWA_DB_PATH) and e-readers' OPDS and Kobo sync use; " +
            "those clients cannot follow a forward-auth redirect",
        plex: "Plex apps sign in with plex.tv accounts and cannot follow a forward-auth redirect",
    } as Readonly<Record<string, string>>,
};

export interface Allowance {
    service: string;
    reason: string;
}
export interface SocketAllowance extends Allowance {
    readOnly: boolean;
}
export interface PortAllowance extends Allowance {
    port: number;
    protocol: "tcp" | "udp";
}
export interface CapabilityAllowance extends Allowance {
    capability: string;
}
export interface DeviceAllowance extends Allowance {
    path: string;
}
export interface IdentityException extends Allowance {
    runsAs: string;
}

export interface Guardrails {
    dockerSocket: SocketAllowance[];
    hostNetwork: Allowance[];
    publishedPorts: PortAllowance[];
    capabilities: CapabilityAllowance[];
    devices: DeviceAllowance[];
    identityExceptions: IdentityException[];
    /** Routed, non-public services that neither forward-auth nor OIDC puts behind Authentik. */
    unguardedRoutes: Allowance[];
    /** Catalog needs without a written reason: left out of the allowlists and named here. */
    unexplained: string[];
    /** `<subdomain>.<domain>` of every external route: exactly the tunnel's ingress hostnames. */
    externalHostnames: string[];
    /** Services holding data that must survive (databases). */
    statefulServices: string[];
}

/** `NET_ADMIN` and `CAP_NET_ADMIN` are the same capability to Docker. */
export function capabilityName(capability: string): string {
    return capability.toUpperCase().replace(/^CAP_/, "");
}

export function guardrails(entries: readonly ServiceEntry[], settings: Settings): Guardrails {
    const enabled = entries.filter((entry) => entry.enabled !== false);
    const result: Guardrails = {
        dockerSocket: [],
        hostNetwork: [],
        publishedPorts: [],
        capabilities: [],
        devices: [],
        identityExceptions: [],
        unguardedRoutes: [],
        unexplained: [],
        externalHostnames: [],
        statefulServices: [],
    };
    for (const entry of enabled) {
        const service = entry.name;
        for (const mount of entry.mounts) {
            if (mount.from !== "docker-socket") continue;
            const reason = recordedReasons.dockerSocket[service];
            if (reason === undefined) result.unexplained.push(`${service}: Docker socket`);
            else result.dockerSocket.push({ service, readOnly: mount.readOnly, reason });
        }
        if (entry.networking.mode === "host") {
            const reason = recordedReasons.hostNetwork[service];
            if (reason === undefined) result.unexplained.push(`${service}: host networking`);
            else result.hostNetwork.push({ service, reason });
        }
        for (const capability of entry.capabilities ?? []) {
            const name = capabilityName(capability);
            const reason = recordedReasons.capabilities[service]?.[name];
            if (reason === undefined) result.unexplained.push(`${service}: capability ${name}`);
            else result.capabilities.push({ service, capability: name, reason });
        }
        for (const device of entry.devices ?? []) {
            result.devices.push({ service, path: device.path, reason: device.reason });
        }
        for (const port of resolve(entry.publish, settings, [])) {
            result.publishedPorts.push({ service, port: port.port, protocol: port.protocol, reason: port.reason });
        }
        if (routedFromAnotherHost(entry) && entry.port !== undefined) {
            result.publishedPorts.push({
                service,
                port: entry.port,
                protocol: "tcp",
                reason: `Traefik on ${edgeHost} reaches it from another host`,
            });
        }
        if (entry.user.kind === "exception") {
            result.identityExceptions.push({ service, runsAs: entry.user.runsAs, reason: entry.user.reason });
        }
        if (entry.route?.exposure === "external") {
            result.externalHostnames.push(`${entry.route.subdomain}.${settings.domain}`);
        }
        if (entry.route?.exposure === "internal" && ssoKindOf(entry) === undefined) {
            const reason = recordedReasons.unguardedRoutes[service];
            if (reason === undefined) result.unexplained.push(`${service}: route without forward-auth or OIDC`);
            else result.unguardedRoutes.push({ service, reason });
        }
        if (entry.stateful === true) result.statefulServices.push(service);
    }
    result.externalHostnames.sort();
    return result;
}

/** A routed service off Traefik's host publishes its port for Traefik (the building block does this). */
function routedFromAnotherHost(entry: ServiceEntry): boolean {
    return (
        entry.route !== undefined &&
        entry.host !== edgeHost &&
        entry.host !== everyHost &&
        entry.networking.mode !== "namespace"
    );
}

/** Why an image reference is not pinned, or undefined when it is (a tag other than `latest`, or a digest). */
export function imagePinProblem(reference: string): string | undefined {
    const [name = "", digest, ...rest] = reference.split("@");
    if (rest.length > 0 || name === "") return "is not an image reference";
    if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
        return `has a malformed digest "${digest}" (expected sha256:<64 hex digits>)`;
    }
    const colon = name.lastIndexOf(":");
    const tag = colon > name.lastIndexOf("/") ? name.slice(colon + 1) : undefined;
    if (tag === "latest") return 'uses the moving "latest" tag';
    if (tag === "") return "has an empty tag";
    if (tag === undefined && digest === undefined) return "has neither a tag nor a digest (Docker pulls latest)";
    return undefined;
}
