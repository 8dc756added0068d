import type { HostSettings, Settings } from "../config/schema";
import { resolve, type ServiceEntry } from "../catalog/types";
import { targetOf, type Target } from "../catalog/targets";
import { edgeHost, everyHost, hostNames, type HostName } from "../topology";
import { dockerEndpoint, proxyNetworkName } from "../hosts/endpoint";
import { clusterIngressAddress } from "../hosts/k3s-config";
import { tunnelNetwork } from "../catalog/stacks/traefik";
import { runtimeImage } from "./offline";
import {
    dockmanLabels,
    healthcheckFor,
    ownershipLabels,
    plainEnv,
    tmpfsOptions,
    traefikLabels,
    userFor,
    volumesFor,
    type HealthcheckSpec,
    type Volume,
} from "./spec";

/**
 * One container, fully resolved from its catalog entry and the stack's settings, as plain data:
 * no Pulumi in it. The Docker adapter (components/service.ts), the compose renderer, the adoption
 * command and the tests all read this one description.
 */
export interface ContainerSpec {
    /** The Pulumi resource name: the entry's name, plus the host for an every-host entry. */
    resourceName: string;
    /** The container's name on its engine. */
    name: string;
    entry: ServiceEntry;
    /** Where it runs: a container on `host`'s engine, or a workload on the k3s cluster. */
    target: Target;
    /** The catalog's host (on k3s: where it ran on Docker; the cluster schedules it). */
    host: HostName;
    hostSettings: HostSettings;
    /** The Docker endpoint of the host: placements on one engine share it. */
    endpoint: string;
    image: string;
    user?: string;
    /** Plain environment, in the order the container gets it. */
    env: Record<string, string>;
    /** Secret environment: variable → secret config key. The value is never part of the spec. */
    secretEnv: Record<string, string>;
    mounts: Volume[];
    network: ContainerNetwork;
    labels: Record<string, string>;
    ports: PortBinding[];
    /** Added capabilities, spelled with their CAP_ prefix as Docker reports them. */
    capabilities?: string[];
    /** Host device paths, mapped to the same path inside. */
    devices: string[];
    healthcheck?: HealthcheckSpec;
    logOptions: Record<string, string>;
    restart: "unless-stopped";
    command?: string[];
    /** Mount point → mount options. */
    tmpfs?: Record<string, string>;
    shmSizeMb?: number;
    init?: boolean;
    /** Containers of the same stack this one starts after; `healthy` waits for their healthcheck. */
    dependsOn: { service: string; healthy: boolean }[];
    /** Whether creating it waits until it is healthy: another service starts only once it is. */
    waitHealthy: boolean;
    /** Holds state that a replace would lose: protected where the stack protects stateful services. */
    stateful: boolean;
}

/**
 * `host` networking, another container's namespace, or bridge networks by name (the first is the
 * network mode), with the fixed IPv4 address the container has on some of them (network → address;
 * only the tunnel connector's, today).
 */
export type ContainerNetwork =
    | { mode: "host" }
    | { mode: "namespace"; of: string }
    | { mode: "bridge"; networks: string[]; addresses?: Record<string, string> };

export interface PortBinding {
    internal: number;
    external: number;
    protocol: "tcp" | "udp";
    ip: string;
}

/** Rotated by the engine: a chatty service cannot fill the VM's disk. */
export const logOptions: Readonly<Record<string, string>> = { "max-size": "10m", "max-file": "3" };

/** The network a stack's databases share with their apps only; one per stack and engine. */
export const internalNetworkName = (stack: string): string => `${stack}-internal`;

/** One catalog entry on one host (an every-host entry is placed once per Docker engine), or on the cluster. */
export interface Placement {
    resourceName: string;
    entry: ServiceEntry;
    target: Target;
    host: HostName;
    hostSettings: HostSettings;
    endpoint: string;
}

/** The endpoint every k3s placement shares: one cluster, whatever the catalog's host. */
export const clusterEndpoint = "k3s://cluster";

/**
 * The host settings a k3s workload is resolved with: the stack-wide storage paths, no devices, no
 * host networking, and the cluster's ingress address (`homelab:cluster`'s first node).
 */
export function clusterHostSettings(settings: Settings): HostSettings {
    return {
        address: clusterIngressAddress(settings) ?? "127.0.0.1",
        dockerHost: clusterEndpoint,
        devices: [],
        scratch: "/tmp/homelab",
        hostNetwork: false,
        healthcheckStartInterval: true,
        createDataDirectories: false,
    };
}

/**
 * Where each entry runs, in the given order: Docker entries on their host (entries on hosts the
 * stack does not configure are left out), k3s entries once on the cluster.
 */
export function placements(entries: readonly ServiceEntry[], settings: Settings): Placement[] {
    const configured = hostNames.flatMap((name) => {
        const hostSettings = settings.hosts[name];
        return hostSettings ? [{ host: name, hostSettings, endpoint: dockerEndpoint(name, hostSettings) }] : [];
    });
    // Once per engine: in the lab every host shares one engine, and container names must not clash.
    const firstPerEngine = configured.filter(
        (host, i) => configured.findIndex((other) => other.endpoint === host.endpoint) === i,
    );
    return entries.flatMap((entry): Placement[] => {
        const target = targetOf(entry, settings);
        if (target === "k3s") {
            // Validation keeps every-host entries (the Beszel agent) off the cluster.
            const host = entry.host === everyHost ? edgeHost : entry.host;
            const hostSettings = clusterHostSettings(settings);
            return [{ resourceName: entry.name, entry, target, host, hostSettings, endpoint: clusterEndpoint }];
        }
        if (entry.host !== everyHost) {
            const host = configured.find((candidate) => candidate.host === entry.host);
            return host ? [{ resourceName: entry.name, entry, target, ...host }] : [];
        }
        return firstPerEngine.map((host) => ({ resourceName: `${entry.name}-${host.host}`, entry, target, ...host }));
    });
}

/** Dependencies first: namespace owners and the services others wait for. */
export function inStartOrder(entries: readonly ServiceEntry[]): ServiceEntry[] {
    const ordered: ServiceEntry[] = [];
    const visit = (entry: ServiceEntry): void => {
        if (ordered.includes(entry)) return;
        for (const name of startsAfter(entry).map((need) => need.service)) {
            const dependency = entries.find((candidate) => candidate.name === name);
            if (dependency) visit(dependency);
        }
        ordered.push(entry);
    };
    entries.forEach(visit);
    return ordered;
}

/** The namespace owner first, then the entry's own dependencies. */
function startsAfter(entry: ServiceEntry): { service: string; healthy: boolean }[] {
    return [
        ...(entry.networking.mode === "namespace" ? [{ service: entry.networking.of, healthy: false }] : []),
        ...(entry.dependsOn ?? []).map((need) => ({ service: need.service, healthy: need.healthy })),
    ];
}

/** Every container of these (enabled) entries, in start order, fully resolved. */
export function containerSpecs(entries: readonly ServiceEntry[], settings: Settings): ContainerSpec[] {
    const waitedFor = new Set(
        entries.flatMap((entry) => (entry.dependsOn ?? []).filter((need) => need.healthy).map((need) => need.service)),
    );
    const edge = settings.hosts[edgeHost];
    const edgeEndpoint = edge === undefined ? undefined : dockerEndpoint(edgeHost, edge);
    return placements(inStartOrder(entries), settings).map((placement) =>
        containerSpec(placement, settings, {
            waitHealthy: waitedFor.has(placement.entry.name),
            // On the cluster the Service, not a host port, is how the ingress reaches a workload.
            offEdge: placement.target === "docker" && placement.endpoint !== edgeEndpoint,
        }),
    );
}

function containerSpec(
    placement: Placement,
    settings: Settings,
    context: { waitHealthy: boolean; offEdge: boolean },
): ContainerSpec {
    const { entry, hostSettings } = placement;
    const runtime = runtimeImage(entry, settings);
    const networking = entry.networking;
    const hostNetwork = networking.mode === "host" && hostSettings.hostNetwork;
    // Traefik reaches a routed service on another engine at its host's address.
    const routePort =
        entry.route !== undefined && !hostNetwork && context.offEdge && entry.port !== undefined
            ? [{ port: entry.port, protocol: "tcp" as const, hostPort: undefined }]
            : [];
    const published =
        hostNetwork || networking.mode === "namespace" ? [] : [...resolve(entry.publish, settings, []), ...routePort];
    const command = resolve(entry.command, settings, undefined);
    return {
        resourceName: placement.resourceName,
        name: entry.name,
        entry,
        target: placement.target,
        host: placement.host,
        hostSettings,
        endpoint: placement.endpoint,
        image: runtime.image,
        user: userFor(entry, settings),
        env: { ...plainEnv(entry, settings), ...runtime.env },
        secretEnv: { ...resolve(entry.secretEnv, settings, {}) },
        mounts: volumesFor(entry, settings, hostSettings),
        network: hostNetwork
            ? { mode: "host" }
            : networking.mode === "namespace"
              ? { mode: "namespace", of: networking.of }
              : bridgeNetwork(entry),
        // On the cluster an IngressRoute routes it, never Docker labels.
        labels:
            placement.target === "docker"
                ? {
                      ...ownershipLabels(entry, placement.host),
                      ...dockmanLabels(entry),
                      ...traefikLabels(entry, settings, placement.host),
                  }
                : ownershipLabels(entry, placement.host),
        ports: published.map((port) => ({
            internal: port.port,
            external: port.hostPort ?? port.port,
            protocol: port.protocol,
            ip: hostSettings.address,
        })),
        capabilities: entry.capabilities?.map((cap) => (cap.startsWith("CAP_") ? cap : `CAP_${cap}`)),
        devices: (entry.devices ?? [])
            .filter((device) => hostSettings.devices.includes(device.path))
            .map((device) => device.path),
        healthcheck: healthcheckFor(entry, hostSettings),
        logOptions: { ...logOptions },
        restart: "unless-stopped",
        command: command === undefined ? undefined : [...command],
        tmpfs:
            entry.tmpfs === undefined
                ? undefined
                : Object.fromEntries(entry.tmpfs.map((mount) => [mount.target, tmpfsOptions])),
        shmSizeMb: entry.shmSizeMb,
        init: entry.init,
        dependsOn: startsAfter(entry),
        waitHealthy: context.waitHealthy,
        stateful: entry.stateful === true,
    };
}

/**
 * The bridge networks of an entry, the first being its network mode, and the tunnel connector's
 * fixed address on the tunnel network. Host networking that a host does not allow falls back to
 * the proxy network.
 */
function bridgeNetwork(entry: ServiceEntry): ContainerNetwork {
    const networking = entry.networking;
    if (networking.mode !== "bridge") {
        return { mode: "bridge", networks: networking.mode === "host" ? [proxyNetworkName] : [] };
    }
    const networks = [
        ...(networking.proxy ? [proxyNetworkName] : []),
        ...(networking.internal ? [internalNetworkName(entry.stack)] : []),
        ...(networking.tunnel === undefined ? [] : [tunnelNetwork.name]),
    ];
    return networking.tunnel === "connector"
        ? { mode: "bridge", networks, addresses: { [tunnelNetwork.name]: tunnelNetwork.connectorAddress } }
        : { mode: "bridge", networks };
}

/** Where a directory mounted into a service's container is on its host (where the program writes files the service watches). */
export function mountedDirectory(
    containers: readonly ContainerSpec[],
    service: string,
    target: string,
): { spec: ContainerSpec; hostPath: string } | undefined {
    const spec = containers.find((candidate) => candidate.name === service);
    const mount = spec?.mounts.find((volume) => volume.containerPath === target);
    return spec && mount ? { spec, hostPath: mount.hostPath } : undefined;
}
