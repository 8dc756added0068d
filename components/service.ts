import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { secretOf, type Secrets } from "../config/load";
import type { DockerHost } from "../hosts/docker";
import type { ContainerSpec } from "./container-spec";

export interface ServiceContainerArgs {
    spec: ContainerSpec;
    host: DockerHost;
    /** Protect stateful containers from deletion (prod). */
    protectStateful: boolean;
    /** Secret config values by key; the spec's `secretEnv` picks from these. */
    secrets: Secrets;
    /** The engine's networks by name: every bridge network the spec names. */
    networks: Readonly<Record<string, docker.Network>>;
    /** For `namespace` networking: the container whose network namespace this one joins. */
    namespaceOwner?: docker.Container;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** One container spec on its host's engine: the pinned image and the container, nothing decided here. */
export class ServiceContainer extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    public readonly image: docker.RemoteImage;

    constructor(name: string, args: ServiceContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:components:ServiceContainer", name, {}, { ...opts, provider: args.host.provider });
        const { spec } = args;

        this.image = new docker.RemoteImage(
            `${name}-image`,
            // Kept on the engine: two services may share an image, and a delete must not pull it away from the other.
            { name: spec.image, keepLocally: true },
            { parent: this },
        );
        const secretEnv = Object.entries(spec.secretEnv).map(([variable, key]) =>
            pulumi.secret(pulumi.interpolate`${variable}=${secretOf(args.secrets, key, spec.name)}`),
        );
        const named = spec.network.mode === "bridge" ? spec.network.networks : [];
        // A fixed address where the spec pins one (the tunnel connector, whose address Traefik trusts).
        const addresses = spec.network.mode === "bridge" ? (spec.network.addresses ?? {}) : {};
        const bridges = named.map((n) => networkOf(args, n));

        this.container = new docker.Container(
            name,
            {
                name: spec.name,
                image: this.image.imageId,
                restart: spec.restart,
                mustRun: true,
                networkMode: networkModeOf(args, bridges),
                networksAdvanced: bridges.map((network, i) => {
                    const ipv4Address = addresses[named[i] ?? ""];
                    return ipv4Address === undefined ? { name: network.name } : { name: network.name, ipv4Address };
                }),
                envs: [...Object.entries(spec.env).map(([variable, value]) => `${variable}=${value}`), ...secretEnv],
                user: spec.user,
                volumes: spec.mounts,
                labels: Object.entries(spec.labels).map(([label, value]) => ({ label, value })),
                healthcheck: spec.healthcheck,
                wait: spec.waitHealthy && spec.healthcheck !== undefined,
                waitTimeout: 180,
                logDriver: "json-file",
                logOpts: spec.logOptions,
                command: spec.command,
                capabilities: spec.capabilities ? { adds: spec.capabilities } : undefined,
                devices: spec.devices.map((path) => ({ hostPath: path, containerPath: path })),
                ports: spec.ports,
                tmpfs: spec.tmpfs,
                shmSize: spec.shmSizeMb,
                init: spec.init,
            },
            {
                parent: this,
                // Fixed names and bound ports: the old container must go before the new one starts.
                deleteBeforeReplace: true,
                protect: spec.stateful && args.protectStateful,
                dependsOn: args.dependsOn,
            },
        );
        this.registerOutputs({ containerId: this.container.id });
    }
}

function networkOf(args: ServiceContainerArgs, name: string): docker.Network {
    const network = args.networks[name];
    if (network === undefined) throw new Error(`${args.spec.name}: network ${name} was not created on its engine`);
    return network;
}

function networkModeOf(args: ServiceContainerArgs, bridges: readonly docker.Network[]): pulumi.Input<string> {
    const network = args.spec.network;
    if (network.mode === "host") return "host";
    if (network.mode === "namespace") {
        if (args.namespaceOwner === undefined) throw new Error(`${args.spec.name}: namespace owner missing`);
        return pulumi.interpolate`container:${args.namespaceOwner.id}`;
    }
    return bridges[0]?.name ?? "bridge";
}
