import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config/schema";
import { resolve, type PublishedPort, type ServiceEntry } from "../catalog/types";
import type { DockerHost } from "../hosts/docker";
import { runtimeImage } from "./offline";
import { healthcheckFor, ownershipLabels, plainEnv, tmpfsOptions, traefikLabels, userFor, volumesFor } from "./spec";
import { secretOf, type Secrets } from "../config/load";

export interface ServiceContainerArgs {
    entry: ServiceEntry;
    host: DockerHost;
    settings: Settings;
    /** Secret config values by key; the entry's `secretEnv` picks from these. */
    secrets: Secrets;
    /** Bridge networks to join, the first one being the container's network mode. */
    networks: readonly docker.Network[];
    /** For `namespace` networking: the container whose network namespace this one joins. */
    namespaceOwner?: docker.Container;
    /** Extra labels (routing through a namespace owner, for example). */
    labels?: Readonly<Record<string, string>>;
    /** Publish the routed port on the host: Traefik reaches this service from another engine. */
    publishRoutePort?: boolean;
    /** Whether create waits for the healthcheck: set when another service starts only once this one is healthy. */
    waitHealthy?: boolean;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const logOptions = { "max-size": "10m", "max-file": "3" };

/** One catalog service as a container: pinned image on the host's engine and the house defaults. */
export class ServiceContainer extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    public readonly image: docker.RemoteImage;

    constructor(name: string, args: ServiceContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:components:ServiceContainer", name, {}, { ...opts, provider: args.host.provider });
        const { entry, host, settings } = args;
        const runtime = runtimeImage(entry, settings);

        this.image = new docker.RemoteImage(
            `${name}-image`,
            // Kept on the engine: two services may share an image, and a delete must not pull it away from the other.
            { name: runtime.image, keepLocally: true },
            { parent: this },
        );

        const secretEnv = Object.entries(resolve(entry.secretEnv, settings, {})).map(([variable, key]) =>
            pulumi.secret(pulumi.interpolate`${variable}=${secretOf(args.secrets, key, entry.name)}`),
        );
        const env = Object.entries({ ...plainEnv(entry, settings), ...runtime.env }).map(
            ([variable, value]) => `${variable}=${value}`,
        );
        const healthcheck = healthcheckFor(entry, host.settings);
        const labels = {
            ...ownershipLabels(entry, host.name),
            ...traefikLabels(entry, settings, host.name),
            ...args.labels,
        };
        const devices = (entry.devices ?? []).filter((device) => host.settings.devices.includes(device.path));
        const hostNetwork = entry.networking.mode === "host" && host.settings.hostNetwork;
        const routePort: PublishedPort[] =
            args.publishRoutePort === true && entry.port !== undefined
                ? [{ port: entry.port, protocol: "tcp", reason: "routed by Traefik on another host" }]
                : [];
        const ports =
            hostNetwork || entry.networking.mode === "namespace"
                ? []
                : [...resolve(entry.publish, settings, []), ...routePort];

        this.container = new docker.Container(
            name,
            {
                name: entry.name,
                image: this.image.imageId,
                restart: "unless-stopped",
                mustRun: true,
                networkMode: networkModeFor(args, hostNetwork),
                networksAdvanced:
                    hostNetwork || entry.networking.mode === "namespace"
                        ? []
                        : args.networks.map((network) => ({ name: network.name })),
                envs: [...env, ...secretEnv],
                user: userFor(entry, settings),
                volumes: volumesFor(entry, settings, host.settings),
                labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
                healthcheck,
                wait: args.waitHealthy === true && healthcheck !== undefined,
                waitTimeout: 180,
                logDriver: "json-file",
                logOpts: logOptions,
                command: entry.command === undefined ? undefined : [...resolve(entry.command, settings, [])],
                // Docker reports capabilities with their CAP_ prefix; without it every refresh shows drift.
                capabilities: entry.capabilities
                    ? { adds: entry.capabilities.map((cap) => (cap.startsWith("CAP_") ? cap : `CAP_${cap}`)) }
                    : undefined,
                devices: devices.map((device) => ({ hostPath: device.path, containerPath: device.path })),
                ports: ports.map((port) => ({
                    internal: port.port,
                    external: port.hostPort ?? port.port,
                    protocol: port.protocol,
                    ip: host.settings.address,
                })),
                tmpfs:
                    entry.tmpfs === undefined
                        ? undefined
                        : Object.fromEntries(entry.tmpfs.map((mount) => [mount.target, tmpfsOptions])),
                shmSize: entry.shmSizeMb,
                init: entry.init,
            },
            {
                parent: this,
                // Fixed names and bound ports: the old container must go before the new one starts.
                deleteBeforeReplace: true,
                protect: entry.stateful === true && settings.protectStateful,
                dependsOn: args.dependsOn,
            },
        );
        this.registerOutputs({ containerId: this.container.id });
    }
}

function networkModeFor(args: ServiceContainerArgs, hostNetwork: boolean): pulumi.Input<string> {
    if (hostNetwork) return "host";
    if (args.entry.networking.mode === "namespace") {
        if (args.namespaceOwner === undefined) throw new Error(`${args.entry.name}: namespace owner missing`);
        return pulumi.interpolate`container:${args.namespaceOwner.id}`;
    }
    const first = args.networks[0];
    return first === undefined ? "bridge" : first.name;
}
