import type { HostSettings } from "../config/schema";
import type { ProviderArgs } from "@pulumi/docker";

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

/**
 * The TLS arguments of a host's Docker provider (`new docker.Provider(name, { host, ...these })`):
 * the directory of ca.pem, cert.pem and key.pem for a tcp:// endpoint, which the schema requires
 * there and refuses elsewhere (config/schema.ts), so nothing for ssh:// and unix://. The provider
 * reads the files itself: the client key stays out of Pulumi's state (unlike keyMaterial).
 */
export function dockerTlsArgs(host: HostSettings): Pick<ProviderArgs, "certPath"> {
    return host.dockerTls === undefined ? {} : { certPath: host.dockerTls.certPath };
}
