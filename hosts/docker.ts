import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HostSettings, Settings } from "../config/schema";
import { tunnelNetwork } from "../catalog/stacks/traefik";
import { edgeHost, hostNames, type HostName } from "../topology";
import { dockerEndpoint, dockerTlsArgs, proxyNetworkName } from "./endpoint";

export interface DockerHost {
    name: HostName;
    settings: HostSettings;
    /** The Docker endpoint: ssh://<deploy user>@<address> in prod, a unix socket in the lab. */
    endpoint: string;
    provider: docker.Provider;
    /** Shared by every host on the same engine (all of them in the lab). */
    proxyNetwork: docker.Network;
    /**
     * The tunnel connector's network with Traefik (catalog/stacks/traefik.ts tunnelNetwork): on the
     * edge host's engine only, with its fixed subnet and gateway.
     */
    tunnelNetwork?: docker.Network;
}

export interface DockerHostsArgs {
    settings: Settings;
    /** Resources a host's engine needs first (its VM, in prod). */
    dependsOn?: Partial<Record<HostName, pulumi.Input<pulumi.Resource>[]>>;
}

/** One Docker provider per host, one `proxy` network per engine, and the `tunnel` network on the edge host's. */
export class DockerHosts extends pulumi.ComponentResource {
    public readonly hosts: Readonly<Partial<Record<HostName, DockerHost>>>;

    constructor(name: string, args: DockerHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:DockerHosts", name, {}, opts);
        const hosts: Partial<Record<HostName, DockerHost>> = {};
        const networks = new Map<string, docker.Network>();
        const tunnelNetworks = new Map<string, docker.Network>();
        const configured = hostNames.flatMap((hostName) => {
            const settings = args.settings.hosts[hostName];
            return settings === undefined ? [] : [{ hostName, settings, endpoint: dockerEndpoint(hostName, settings) }];
        });
        for (const { hostName, settings, endpoint } of configured) {
            const provider = new docker.Provider(
                `${name}-${hostName}`,
                { host: endpoint, ...dockerTlsArgs(settings) },
                { parent: this, dependsOn: args.dependsOn?.[hostName] },
            );
            const proxyNetwork =
                networks.get(endpoint) ??
                new docker.Network(
                    `${name}-${hostName}-${proxyNetworkName}`,
                    {
                        // Docker answers nothing during a preview that changes nothing: asking each
                        // engine first makes an unreachable host fail preview and up at once, by name.
                        name: pulumi
                            .output(engineAnswers(hostName, endpoint, settings, provider, this))
                            .apply(() => proxyNetworkName),
                        driver: "bridge",
                    },
                    { parent: this, provider },
                );
            networks.set(endpoint, proxyNetwork);
            if (hostName === edgeHost) {
                tunnelNetworks.set(
                    endpoint,
                    new docker.Network(
                        `${name}-${hostName}-${tunnelNetwork.name}`,
                        {
                            name: tunnelNetwork.name,
                            driver: "bridge",
                            // Pinned, not left to Docker's pools: Traefik's static args name the
                            // connector's address in it, and the gateway must stay a different one.
                            ipamConfigs: [
                                {
                                    subnet: tunnelNetwork.subnet,
                                    gateway: tunnelNetwork.gateway,
                                    ipRange: tunnelNetwork.ipRange,
                                },
                            ],
                        },
                        { parent: this, provider, dependsOn: [proxyNetwork] },
                    ),
                );
            }
            hosts[hostName] = { name: hostName, settings, endpoint, provider, proxyNetwork };
        }
        // Every host on the edge host's engine (all of them in the lab) sees the same tunnel network.
        for (const host of Object.values(hosts)) {
            const tunnel = tunnelNetworks.get(host.endpoint);
            if (tunnel !== undefined) host.tunnelNetwork = tunnel;
        }
        this.hosts = hosts;
        this.registerOutputs({});
    }
}

/**
 * Asks a host's engine for its default network; rejects with the host's name where it does not
 * answer. A VM still to be created has no engine to ask yet.
 */
async function engineAnswers(
    hostName: HostName,
    endpoint: string,
    settings: HostSettings,
    provider: docker.Provider,
    parent: pulumi.Resource,
): Promise<string> {
    if (settings.vm !== undefined && !settings.vm.adopt) return hostName;
    try {
        await docker.getNetwork({ name: "bridge" }, { provider, parent });
        return hostName;
    } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
            `homelab:hosts.${hostName}: the Docker engine at ${endpoint} does not answer; check that the host is up ` +
                `and reachable (for ssh://, that \`ssh <deployUser>@<address> docker info\` works): ${reason}`,
        );
    }
}
