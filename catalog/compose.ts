import { stringify } from "yaml";
import type { HostSettings, Settings } from "../config/schema";
import { runtimeImage } from "../components/offline";
import {
    healthcheckFor,
    ownershipLabels,
    plainEnv,
    tmpfsOptions,
    traefikLabels,
    userFor,
    volumesFor,
} from "../components/spec";
import { dockerEndpoint, proxyNetworkName } from "../hosts/docker";
import { resolve, type PublishedPort, type ServiceEntry } from "./types";
import { edgeHost, everyHost, hostNames, type HostName } from "../topology";

/**
 * The catalog as a docker-compose file for one engine: what the hand-run compose stacks of today
 * would be if they followed the catalog exactly (same container names, images, env, mounts,
 * networks, labels). Adoption tests start these and import them; nothing here registers resources.
 */

export interface ComposeHealthcheck {
    test: string[];
    interval: string;
    timeout: string;
    retries: number;
    start_period: string;
    start_interval?: string;
}

export interface ComposeService {
    container_name: string;
    image: string;
    restart: "unless-stopped";
    command?: string[];
    user?: string;
    environment: Record<string, string>;
    volumes?: string[];
    network_mode?: string;
    networks?: Record<string, { priority?: number }>;
    ports?: string[];
    labels: Record<string, string>;
    healthcheck?: ComposeHealthcheck;
    logging: { driver: "json-file"; options: Record<string, string> };
    cap_add?: string[];
    devices?: string[];
    shm_size?: string;
    tmpfs?: string[];
    init?: boolean;
    depends_on?: Record<string, { condition: "service_started" | "service_healthy" }>;
}

export interface ComposeNetwork {
    name: string;
    external?: boolean;
    driver?: "bridge";
    internal?: boolean;
}

export interface ComposeDocument {
    services: Record<string, ComposeService>;
    networks: Record<string, ComposeNetwork>;
}

/** The same log rotation the building block sets (components/service.ts). */
export const composeLogOptions = { "max-size": "10m", "max-file": "3" } as const;

interface Placed {
    entry: ServiceEntry;
    hostName: HostName;
    host: HostSettings;
}

/** Entries placed on `host` (and every-host entries); without a host, every entry once on its own host. */
function placed(services: readonly ServiceEntry[], settings: Settings, host?: HostName): Placed[] {
    const configured = hostNames.filter((name) => settings.hosts[name] !== undefined);
    return services.flatMap((entry): Placed[] => {
        if (entry.enabled === false) return [];
        if (host !== undefined && entry.host !== host && entry.host !== everyHost) return [];
        const hostName = entry.host === everyHost ? (host ?? configured[0]) : entry.host;
        const hostSettings = hostName === undefined ? undefined : settings.hosts[hostName];
        return hostName === undefined || hostSettings === undefined ? [] : [{ entry, hostName, host: hostSettings }];
    });
}

export const internalNetworkName = (stack: string): string => `${stack}-internal`;

/** The bridge networks a service joins, the first being its primary one (as components/stack.ts). */
function bridgeNetworks({ entry, host }: Placed): string[] {
    const networking = entry.networking;
    if (networking.mode === "bridge") {
        return [
            ...(networking.proxy ? [proxyNetworkName] : []),
            ...(networking.internal ? [internalNetworkName(entry.stack)] : []),
        ];
    }
    return networking.mode === "host" && !host.hostNetwork ? [proxyNetworkName] : [];
}

function composeService(
    item: Placed,
    settings: Settings,
    secrets: Readonly<Record<string, string>>,
    inDocument: ReadonlySet<string>,
    healthchecked: ReadonlySet<string>,
): ComposeService {
    const { entry, hostName, host } = item;
    const runtime = runtimeImage(entry, settings);
    const secretEnv = Object.entries(resolve(entry.secretEnv, settings, {})).map(([variable, key]) => {
        const value = secrets[key];
        if (value === undefined) throw new Error(`${entry.name}: secret ${key} was not given`);
        return [variable, value] as const;
    });
    const networking = entry.networking;
    const hostNetwork = networking.mode === "host" && host.hostNetwork;
    const networks = bridgeNetworks(item);
    const edge = settings.hosts[edgeHost];
    const offEdge = edge === undefined || dockerEndpoint(edgeHost, edge) !== dockerEndpoint(hostName, host);
    const routePort = entry.route !== undefined && !hostNetwork && offEdge;
    const routed: PublishedPort[] =
        routePort && entry.port !== undefined
            ? [{ port: entry.port, protocol: "tcp", reason: "routed by Traefik on another host" }]
            : [];
    const published =
        hostNetwork || networking.mode === "namespace" ? [] : [...resolve(entry.publish, settings, []), ...routed];
    const health = healthcheckFor(entry, host);
    const devices = (entry.devices ?? []).filter((device) => host.devices.includes(device.path));
    const needs = [
        ...(networking.mode === "namespace" ? [{ service: networking.of, healthy: false }] : []),
        ...(entry.dependsOn ?? []),
    ].filter((need) => inDocument.has(need.service));

    const service: ComposeService = {
        container_name: entry.name,
        image: runtime.image,
        restart: "unless-stopped",
        environment: { ...plainEnv(entry, settings), ...runtime.env, ...Object.fromEntries(secretEnv) },
        labels: { ...ownershipLabels(entry, hostName), ...traefikLabels(entry, settings, hostName) },
        logging: { driver: "json-file", options: { ...composeLogOptions } },
    };
    const command = resolve(entry.command, settings, undefined);
    if (command !== undefined) service.command = [...command];
    const user = userFor(entry, settings);
    if (user !== undefined) service.user = user;
    const volumes = volumesFor(entry, settings, host);
    if (volumes.length > 0) {
        service.volumes = volumes.map((v) => `${v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    }
    if (hostNetwork) service.network_mode = "host";
    else if (networking.mode === "namespace") {
        // `service:` within one file, `container:` across files; both end up as container:<id>.
        service.network_mode = inDocument.has(networking.of)
            ? `service:${networking.of}`
            : `container:${networking.of}`;
    } else {
        // Compose makes the highest-priority network the container's network mode: the program's first one.
        service.networks = Object.fromEntries(
            networks.map((network, i) => [network, networks.length > 1 ? { priority: 100 - i } : {}]),
        );
    }
    if (published.length > 0) {
        service.ports = published.map(
            (port) => `${host.address}:${port.hostPort ?? port.port}:${port.port}/${port.protocol}`,
        );
    }
    if (health !== undefined) {
        service.healthcheck = {
            test: health.tests,
            interval: health.interval,
            timeout: health.timeout,
            retries: health.retries,
            start_period: health.startPeriod,
            ...(health.startInterval === undefined ? {} : { start_interval: health.startInterval }),
        };
    }
    // Spelled as the building block passes them: Docker keeps a capability's spelling as given, so a
    // hand-written NET_ADMIN reads back differently from the program's CAP_NET_ADMIN (same capability).
    if (entry.capabilities !== undefined) {
        service.cap_add = entry.capabilities.map((cap) => (cap.startsWith("CAP_") ? cap : `CAP_${cap}`));
    }
    if (devices.length > 0) service.devices = devices.map((device) => `${device.path}:${device.path}`);
    if (entry.shmSizeMb !== undefined) service.shm_size = `${entry.shmSizeMb}m`;
    if (entry.tmpfs !== undefined) service.tmpfs = entry.tmpfs.map((mount) => `${mount.target}:${tmpfsOptions}`);
    if (entry.init !== undefined) service.init = entry.init;
    if (needs.length > 0) {
        // Waiting for "healthy" needs a healthcheck to wait for; the program only waits where one exists.
        service.depends_on = Object.fromEntries(
            needs.map((need) => [
                need.service,
                { condition: need.healthy && healthchecked.has(need.service) ? "service_healthy" : "service_started" },
            ]),
        );
    }
    return service;
}

/**
 * The compose document for one engine: `services` are the catalog entries (enabled ones), `secrets`
 * maps secret config keys (`homelab:<key>` without the namespace) to their values, `host` picks the
 * entries placed on that host (plus the every-host ones); without it every entry is included once.
 */
export function composeDocument(
    services: readonly ServiceEntry[],
    settings: Settings,
    secrets: Readonly<Record<string, string>>,
    host?: HostName,
): ComposeDocument {
    const items = placed(services, settings, host);
    const inDocument = new Set(items.map((item) => item.entry.name));
    const healthchecked = new Set(
        items.filter((item) => healthcheckFor(item.entry, item.host) !== undefined).map((item) => item.entry.name),
    );
    const document: ComposeDocument = { services: {}, networks: {} };
    for (const item of items) {
        document.services[item.entry.name] = composeService(item, settings, secrets, inDocument, healthchecked);
        for (const network of bridgeNetworks(item)) {
            document.networks[network] =
                network === proxyNetworkName
                    ? { name: network, external: true }
                    : { name: network, driver: "bridge", internal: true };
        }
    }
    return document;
}

/** YAML 1.1 output, so PyYAML-based docker-compose reads "2000:2000" as a string, not a sexagesimal number. */
export function composeYaml(document: ComposeDocument): string {
    return stringify(document, { version: "1.1", lineWidth: 0 });
}
