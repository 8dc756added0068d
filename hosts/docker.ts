import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HostSettings, Settings } from "../config/schema";
import { hostNames, type HostName } from "../topology";
import { dockerEndpoint, proxyNetworkName } from "./endpoint";

export interface DockerHost {
    name: HostName;
    settings: HostSettings;
    /** The Docker endpoint: ssh://<deploy user>@<address> in prod, a unix socket in the lab. */
    endpoint: string;
    provider: docker.Provider;
    /** Shared by every host on the same engine (all of them in the lab). */
    proxyNetwork: docker.Network;
}

export interface DockerHostsArgs {
    settings: Settings;
    /** Resources a host's engine needs first (its VM, in prod). */
    dependsOn?: Partial<Record<HostName, pulumi.Input<pulumi.Resource>[]>>;
}

/** One Docker provider per host and one `proxy` network per engine. */
export class DockerHosts extends pulumi.ComponentResource {
    public readonly hosts: Readonly<Partial<Record<HostName, DockerHost>>>;

    constructor(name: string, args: DockerHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:DockerHosts", name, {}, opts);
        const hosts: Partial<Record<HostName, DockerHost>> = {};
        const networks = new Map<string, docker.Network>();
        for (const hostName of hostNames) {
            const settings = args.settings.hosts[hostName];
            if (settings === undefined) continue;
            const endpoint = dockerEndpoint(hostName, settings);
            const provider = new docker.Provider(
                `${name}-${hostName}`,
                { host: endpoint },
                { parent: this, dependsOn: args.dependsOn?.[hostName] },
            );
            const proxyNetwork =
                networks.get(endpoint) ??
                new docker.Network(
                    `${name}-${hostName}-${proxyNetworkName}`,
                    { name: proxyNetworkName, driver: "bridge" },
                    { parent: this, provider },
                );
            networks.set(endpoint, proxyNetwork);
            hosts[hostName] = { name: hostName, settings, endpoint, provider, proxyNetwork };
        }
        this.hosts = hosts;
        this.registerOutputs({});
    }
}
