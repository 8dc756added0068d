import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Secrets } from "../config/load";
import type { DockerHost } from "../hosts/docker";
import { proxyNetworkName } from "../hosts/endpoint";
import { tunnelNetwork } from "../catalog/stacks/traefik";
import { edgeHost, type HostName } from "../topology";
import type { StackName } from "../catalog/types";
import { internalNetworkName, type ContainerSpec } from "./container-spec";
import { ServiceContainer } from "./service";

export interface ServiceStackArgs {
    stack: StackName;
    /** The containers of this stack, in start order (`containerSpecs`). */
    containers: readonly ContainerSpec[];
    hosts: Readonly<Partial<Record<HostName, DockerHost>>>;
    protectStateful: boolean;
    secrets: Secrets;
    /** What containers on a host wait for (its bootstrap and directories). */
    hostReadiness?: Readonly<Partial<Record<HostName, pulumi.Resource[]>>>;
}

/**
 * A stack of the homelab (infra, arr, torrent, ...): its containers on their hosts and, where its
 * databases need one, an internal network that reaches nothing outside the stack.
 */
export class ServiceStack extends pulumi.ComponentResource {
    public static readonly typeToken = "homelab:stacks:ServiceStack";
    public readonly services: Readonly<Record<string, ServiceContainer>>;

    constructor(name: string, args: ServiceStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(
            ServiceStack.typeToken,
            name,
            {},
            {
                ...opts,
                // Each stack had a token of its own until one class meant one token; the alias keeps
                // existing states' stacks (and, through them, every child) where they are.
                aliases: [...(opts?.aliases ?? []), { type: legacyTypeToken(args.stack) }],
            },
        );
        const internalNetworks = new Map<HostName, docker.Network>();
        const internalNetworkOf = (host: DockerHost): docker.Network => {
            const existing = internalNetworks.get(host.name);
            if (existing) return existing;
            const network = new docker.Network(
                `${name}-internal`,
                { name: internalNetworkName(args.stack), driver: "bridge", internal: true },
                { parent: this, provider: host.provider },
            );
            internalNetworks.set(host.name, network);
            return network;
        };

        const services: Record<string, ServiceContainer> = {};
        for (const spec of args.containers) {
            const host = args.hosts[spec.host];
            if (host === undefined) throw new Error(`${spec.name}: host ${spec.host} has no Docker provider`);
            const networks: Record<string, docker.Network> = {};
            for (const network of spec.network.mode === "bridge" ? spec.network.networks : []) {
                networks[network] =
                    network === proxyNetworkName
                        ? host.proxyNetwork
                        : network === tunnelNetwork.name
                          ? tunnelNetworkOf(host, spec.name)
                          : internalNetworkOf(host);
            }
            const dependsOn = [
                ...(args.hostReadiness?.[host.name] ?? []),
                ...(spec.entry.dependsOn?.flatMap((need) => services[need.service]?.container ?? []) ?? []),
            ];
            services[spec.resourceName] = new ServiceContainer(
                spec.resourceName,
                {
                    spec,
                    host,
                    protectStateful: args.protectStateful,
                    secrets: args.secrets,
                    networks,
                    namespaceOwner:
                        spec.network.mode === "namespace" ? services[spec.network.of]?.container : undefined,
                    dependsOn,
                },
                { parent: this },
            );
        }
        this.services = services;
        this.registerOutputs({});
    }
}

/** The engine's tunnel network: it exists only where the edge host's engine is. */
function tunnelNetworkOf(host: DockerHost, service: string): docker.Network {
    if (host.tunnelNetwork !== undefined) return host.tunnelNetwork;
    throw new Error(
        `${service}: the ${tunnelNetwork.name} network exists only on ${edgeHost}'s engine, and ${host.name} is not on it`,
    );
}

/** `homelab:stacks:<Stack>`, the per-stack token states written before the rename hold. */
export function legacyTypeToken(stack: StackName): string {
    const pascal = stack.replace(/(^|-)([a-z])/g, (_, __: string, letter: string) => letter.toUpperCase());
    return `homelab:stacks:${pascal}`;
}
