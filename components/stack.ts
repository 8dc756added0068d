import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config/schema";
import { type ServiceEntry, type StackName } from "../catalog/types";
import { edgeHost, everyHost, hostNames, type HostName } from "../topology";
import type { DockerHost } from "../hosts/docker";
import { ServiceContainer } from "./service";
import type { Secrets } from "../config/load";

export interface ServiceStackArgs {
    stack: StackName;
    /** The enabled catalog entries of this stack. */
    entries: readonly ServiceEntry[];
    hosts: Readonly<Partial<Record<HostName, DockerHost>>>;
    settings: Settings;
    secrets: Secrets;
    /** What containers on a host wait for (its bootstrap, in prod). */
    hostReadiness?: Readonly<Partial<Record<HostName, pulumi.Resource[]>>>;
}

/** One placement of a catalog entry on one host (an every-host entry has one per Docker engine). */
interface Placement {
    resourceName: string;
    entry: ServiceEntry;
    host: DockerHost;
}

export function placements(
    entries: readonly ServiceEntry[],
    hosts: Readonly<Partial<Record<HostName, DockerHost>>>,
): Placement[] {
    const all = hostNames.flatMap((name) => {
        const host = hosts[name];
        return host ? [host] : [];
    });
    return entries.flatMap((entry): Placement[] => {
        if (entry.host !== everyHost) {
            const host = hosts[entry.host];
            return host ? [{ resourceName: entry.name, entry, host }] : [];
        }
        // Once per engine: in the lab every host shares one engine, and container names must not clash.
        const firstPerEngine = all.filter(
            (host, i) => all.findIndex((other) => other.endpoint === host.endpoint) === i,
        );
        return firstPerEngine.map((host) => ({ resourceName: `${entry.name}-${host.name}`, entry, host }));
    });
}

/** Dependencies first: namespace owners and the services others wait for. */
function inStartOrder(entries: readonly ServiceEntry[]): ServiceEntry[] {
    const ordered: ServiceEntry[] = [];
    const visit = (entry: ServiceEntry): void => {
        if (ordered.includes(entry)) return;
        const needs = [
            ...(entry.dependsOn ?? []).map((dependency) => dependency.service),
            ...(entry.networking.mode === "namespace" ? [entry.networking.of] : []),
        ];
        for (const name of needs) {
            const dependency = entries.find((candidate) => candidate.name === name);
            if (dependency) visit(dependency);
        }
        ordered.push(entry);
    };
    entries.forEach(visit);
    return ordered;
}

function typeToken(stack: StackName): string {
    const pascal = stack.replace(/(^|-)([a-z])/g, (_, __: string, letter: string) => letter.toUpperCase());
    return `homelab:stacks:${pascal}`;
}

/**
 * A stack of the homelab (infra, arr, torrent, ...): its containers on their hosts and, where its
 * databases need one, an internal network that reaches nothing outside the stack.
 */
export class ServiceStack extends pulumi.ComponentResource {
    public readonly services: Readonly<Record<string, ServiceContainer>>;

    constructor(name: string, args: ServiceStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super(typeToken(args.stack), name, {}, opts);
        const { settings } = args;
        const internalNetworks = new Map<HostName, docker.Network>();
        const internalNetworkOf = (host: DockerHost): docker.Network => {
            const existing = internalNetworks.get(host.name);
            if (existing) return existing;
            const network = new docker.Network(
                `${name}-internal`,
                { name: `${args.stack}-internal`, driver: "bridge", internal: true },
                { parent: this, provider: host.provider },
            );
            internalNetworks.set(host.name, network);
            return network;
        };

        const waitedFor = new Set(
            args.entries.flatMap((entry) => (entry.dependsOn ?? []).filter((d) => d.healthy).map((d) => d.service)),
        );
        const edgeEndpoint = args.hosts[edgeHost]?.endpoint;
        const services: Record<string, ServiceContainer> = {};
        for (const placement of placements(inStartOrder(args.entries), args.hosts)) {
            const { entry, host } = placement;
            const networking = entry.networking;
            const hostNetwork = networking.mode === "host" && host.settings.hostNetwork;
            // Host networking a host does not allow falls back to the proxy network.
            const networks =
                networking.mode === "bridge"
                    ? [
                          ...(networking.proxy ? [host.proxyNetwork] : []),
                          ...(networking.internal ? [internalNetworkOf(host)] : []),
                      ]
                    : networking.mode === "host" && !hostNetwork
                      ? [host.proxyNetwork]
                      : [];
            const namespaceOwner = networking.mode === "namespace" ? services[networking.of]?.container : undefined;
            const dependsOn = [
                ...(args.hostReadiness?.[host.name] ?? []),
                ...(entry.dependsOn ?? []).flatMap((dependency) => {
                    const service = services[dependency.service];
                    return service ? [service.container] : [];
                }),
            ];
            services[placement.resourceName] = new ServiceContainer(
                placement.resourceName,
                {
                    entry,
                    host,
                    settings,
                    secrets: args.secrets,
                    networks,
                    namespaceOwner,
                    waitHealthy: waitedFor.has(entry.name),
                    publishRoutePort: entry.route !== undefined && !hostNetwork && host.endpoint !== edgeEndpoint,
                    dependsOn,
                },
                { parent: this },
            );
        }
        this.services = services;
        this.registerOutputs({});
    }
}
