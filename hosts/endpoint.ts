import type { HostSettings } from "../config/schema";

/** The network Traefik reaches services on; one per Docker engine. */
export const proxyNetworkName = "proxy";

/** The Docker endpoint of a host: ssh://<deploy user>@<address> in prod, a unix socket in the lab. */
export function dockerEndpoint(name: string, host: HostSettings): string {
    if (host.dockerHost !== undefined) return host.dockerHost;
    if (host.deployUser === undefined) {
        throw new Error(`homelab:hosts.${name}: neither dockerHost nor deployUser is set; one of them is required`);
    }
    return `ssh://${host.deployUser}@${host.address}`;
}
