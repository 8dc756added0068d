import type * as pulumi from "@pulumi/pulumi";
import type { SecretRequest, Secrets } from "../config/load";
import type { Settings } from "../config/schema";

export const sshKeySecret = "deploySshPrivateKey";

export interface SshAccess {
    secretRequests: SecretRequest[];
    /** SSH credentials for commands on a host reached over SSH; undefined for a local engine. */
    forHost(endpoint: string, secrets: Secrets): { user: string; privateKey: pulumi.Output<string> } | undefined;
}

/** The deploy user's private key is needed only when some host is reached over SSH (prod). */
export function sshAccess(settings: Settings): SshAccess {
    const sshHosts =
        settings.hostFiles === "local"
            ? []
            : Object.entries(settings.hosts).filter(([, host]) => host.dockerHost === undefined);
    return {
        secretRequests: sshHosts.length > 0 ? [{ key: sshKeySecret, usedBy: sshHosts.map(([name]) => name) }] : [],
        forHost(endpoint, secrets) {
            const match = /^ssh:\/\/([^@]+)@/.exec(endpoint);
            const key = secrets[sshKeySecret];
            if (match?.[1] === undefined || key === undefined) return undefined;
            return { user: match[1], privateKey: key };
        },
    };
}
