import { stringify } from "yaml";
import type { Settings } from "../config/schema";
import type { ServiceEntry } from "../catalog/types";
import { proxyNetworkName } from "../hosts/endpoint";
import { tunnelNetwork } from "../catalog/stacks/traefik";
import { everyHost, type HostName } from "../topology";
import { containerSpecs, type ContainerSpec } from "./container-spec";

/**
 * The catalog as a docker-compose file for one engine: what the hand-run compose stacks of today
 * would be if they followed the catalog exactly (same container names, images, env, mounts,
 * networks, labels). Adoption tests start these and import them; nothing here registers resources.
 *
 * The program never writes one: only the adoption test and the bench do, each into a scratch
 * directory of its own. Nothing may put one under the stacks directory (Dockman's compose root):
 * Dockman's Deploy there would `up` a second copy of catalog containers the program runs.
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
    networks?: Record<string, { priority?: number; ipv4_address?: string }>;
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

/**
 * The compose service of one container spec. `inDocument` names the services of the same file
 * (a namespace owner outside it is joined by container name), `healthchecked` those a dependant
 * can wait for.
 */
function composeService(
    spec: ContainerSpec,
    secrets: Readonly<Record<string, string>>,
    inDocument: ReadonlySet<string>,
    healthchecked: ReadonlySet<string>,
): ComposeService {
    const secretEnv = Object.entries(spec.secretEnv).map(([variable, key]) => {
        const value = secrets[key];
        if (value === undefined) throw new Error(`${spec.name}: secret ${key} was not given`);
        return [variable, value] as const;
    });
    const service: ComposeService = {
        container_name: spec.name,
        image: spec.image,
        restart: spec.restart,
        environment: { ...spec.env, ...Object.fromEntries(secretEnv) },
        labels: spec.labels,
        logging: { driver: "json-file", options: { ...spec.logOptions } },
    };
    if (spec.command !== undefined) service.command = spec.command;
    if (spec.user !== undefined) service.user = spec.user;
    if (spec.mounts.length > 0) {
        service.volumes = spec.mounts.map((v) => `${v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    }
    const network = spec.network;
    if (network.mode === "host") service.network_mode = "host";
    else if (network.mode === "namespace") {
        // `service:` within one file, `container:` across files; both end up as container:<id>.
        service.network_mode = inDocument.has(network.of) ? `service:${network.of}` : `container:${network.of}`;
    } else {
        // Compose makes the highest-priority network the container's network mode: the spec's first one.
        const networks = network.networks;
        service.networks = Object.fromEntries(
            networks.map((name, i) => {
                const address = network.addresses?.[name];
                return [
                    name,
                    {
                        ...(networks.length > 1 ? { priority: 100 - i } : {}),
                        ...(address === undefined ? {} : { ipv4_address: address }),
                    },
                ];
            }),
        );
    }
    if (spec.ports.length > 0) {
        service.ports = spec.ports.map((port) => `${port.ip}:${port.external}:${port.internal}/${port.protocol}`);
    }
    const health = spec.healthcheck;
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
    // Spelled as the spec has them: Docker keeps a capability's spelling as given, so a hand-written
    // NET_ADMIN reads back differently from the program's CAP_NET_ADMIN (same capability).
    if (spec.capabilities !== undefined) service.cap_add = spec.capabilities;
    if (spec.devices.length > 0) service.devices = spec.devices.map((path) => `${path}:${path}`);
    if (spec.shmSizeMb !== undefined) service.shm_size = `${spec.shmSizeMb}m`;
    if (spec.tmpfs !== undefined) {
        service.tmpfs = Object.entries(spec.tmpfs).map(([target, options]) => `${target}:${options}`);
    }
    if (spec.init !== undefined) service.init = spec.init;
    const needs = spec.dependsOn.filter((need) => inDocument.has(need.service));
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
 * The compose document for one engine: the Docker containers the program places on `host`'s engine
 * (never a service whose target is k3s), or without a host every container once (the first placement of an every-host entry). `secrets` maps
 * secret config keys (`homelab:<key>` without the namespace) to their values.
 */
export function composeDocument(
    services: readonly ServiceEntry[],
    settings: Settings,
    secrets: Readonly<Record<string, string>>,
    host?: HostName,
): ComposeDocument {
    // Only containers: a service on k3s (homelab:targets) is a workload on the cluster, not in any compose file.
    const all = containerSpecs(
        services.filter((entry) => entry.enabled !== false),
        settings,
    ).filter((spec) => spec.target === "docker");
    const endpoint = host === undefined ? undefined : all.find((spec) => spec.host === host)?.endpoint;
    const specs = all.filter((spec, i) =>
        host === undefined
            ? all.findIndex((other) => other.name === spec.name) === i
            : spec.host === host || (spec.entry.host === everyHost && spec.endpoint === endpoint),
    );
    const inDocument = new Set(specs.map((spec) => spec.name));
    const healthchecked = new Set(specs.filter((spec) => spec.healthcheck !== undefined).map((spec) => spec.name));
    const document: ComposeDocument = { services: {}, networks: {} };
    for (const spec of specs) {
        document.services[spec.name] = composeService(spec, secrets, inDocument, healthchecked);
        for (const network of spec.network.mode === "bridge" ? spec.network.networks : []) {
            document.networks[network] =
                // The hosts' shared networks (components/stack.ts) are the program's, not compose's.
                network === proxyNetworkName || network === tunnelNetwork.name
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
