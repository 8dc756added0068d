import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Settings } from "../../config/schema";
import { authentikUrl, issuerUrl, oidcSecretKeys, oidcServices, retired, type RetiredService } from "../../catalog/sso";
import type { ServiceEntry } from "../../catalog/types";
import { urlFor } from "../../catalog/urls";
import type { DockerHost } from "../../hosts/docker";
import type { InProcessProvider } from "../dynamic-provider";
import { HostFile } from "../../hosts/host-file";
import { blueprintFileName, blueprintYaml, ssoBlueprint } from "./blueprint";
import { LocalSecret } from "./local";
import type { Secrets } from "../../config/load";

export interface SingleSignOnArgs {
    /** The whole catalog: a routed entry that is switched off loses its Authentik objects too. */
    catalog: readonly ServiceEntry[];
    settings: Settings;
    retired?: readonly RetiredService[];
    /**
     * Where the engine may not download provider plugins (the lab): the client secrets come from
     * an in-process resource instead of @pulumi/random.
     */
    inProcess: boolean;
    /** The program's in-process provider (the secrets above, a blueprint written locally). */
    inProcessProvider: InProcessProvider;
    /** The worker's blueprint directory on its host; absent when no worker is placed. */
    blueprint?: {
        host: DockerHost;
        directory: string;
        ssh?: { user: string; privateKey: pulumi.Output<string> };
        after?: pulumi.Resource[];
    };
}

/**
 * Authentik's side of single sign-on, from the catalog: the generated OIDC client secrets (secret
 * values the apps and the worker receive through `providedSecrets`) and the blueprint file the
 * worker applies. The file itself holds no secret: it names the worker's variables (`!Env`).
 */
export class SingleSignOn extends pulumi.ComponentResource {
    /** Secret key → secret value, for the containers' `secretEnv` (never an output). */
    public readonly providedSecrets: Secrets;
    /** The blueprint as written; plain text by construction. */
    public readonly blueprint: string;

    constructor(name: string, args: SingleSignOnArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:sso:SingleSignOn", name, {}, opts);
        const { catalog, settings } = args;
        const clients = oidcServices(catalog);
        const provided: Record<string, pulumi.Output<string>> = {};
        if (clients.length > 0) {
            const randomness = args.inProcess
                ? args.inProcessProvider()
                : new random.Provider(`${name}-random`, {}, { parent: this });
            const authUrl = authentikUrl(catalog, settings) ?? "";
            for (const { entry, client } of clients) {
                const resourceName = `${name}-${client.clientId}-client-secret`;
                const secret = args.inProcess
                    ? new LocalSecret(resourceName, { bytes: 32 }, { parent: this, provider: randomness }).result
                    : new random.RandomPassword(
                          resourceName,
                          { length: 64, special: false },
                          { parent: this, provider: randomness },
                      ).result;
                const keys = oidcSecretKeys(client.clientId);
                provided[keys.clientSecret] = pulumi.secret(secret);
                const delivery = client.delivery;
                if (delivery.kind === "document") {
                    const settingsOf = {
                        issuer: issuerUrl(authUrl, entry.name),
                        clientId: client.clientId,
                        url: urlFor(entry, settings) ?? "",
                    };
                    provided[keys.document] = pulumi.secret(
                        secret.apply((clientSecret) => delivery.document({ ...settingsOf, clientSecret })),
                    );
                }
            }
        }
        this.providedSecrets = provided;
        this.blueprint = blueprintYaml(ssoBlueprint(catalog, settings, args.retired ?? retired));
        if (args.blueprint !== undefined) {
            new HostFile(
                `${name}-blueprint`,
                {
                    ...args.blueprint,
                    fileName: blueprintFileName,
                    content: this.blueprint,
                    inProcess: args.inProcessProvider,
                },
                { parent: this, aliases: [{ type: "homelab:sso:BlueprintFile" }] },
            );
        }
        this.registerOutputs({});
    }
}
