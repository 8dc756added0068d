import type { Settings } from "../../config/schema";
import {
    accessGroupOf,
    authentikUrl,
    defaultAccessGroup,
    retired,
    ssoKindOf,
    ssoNames,
    workerSecretVar,
    type RetiredService,
} from "../../catalog/sso";
import type { ServiceEntry } from "../../catalog/types";
import { urlFor } from "../../catalog/urls";
import { envVar, find, keyOf, toYaml, type BlueprintMap, type BlueprintValue } from "./yaml";

/**
 * The Authentik blueprint of the homelab, from the catalog: per forward-auth service a proxy
 * provider (forward_single), per OIDC service an OAuth2/OpenID provider, an application (slug =
 * service name) and a policy binding to its access group each; the groups; the embedded outpost
 * with exactly the generated proxy providers; and `state: absent` for the objects of services
 * that no longer sign in through Authentik. Pure: no resources, no Outputs, no secrets (the
 * client secrets are `!Env` references to the worker's environment).
 */

export const blueprintFileName = "homelab.yaml";
export const blueprintName = "homelab: single sign-on from the catalog";

/** Authentik's models, as the blueprint names them (app label.model name). */
export const models = {
    group: "authentik_core.group",
    proxyProvider: "authentik_providers_proxy.proxyprovider",
    oauth2Provider: "authentik_providers_oauth2.oauth2provider",
    application: "authentik_core.application",
    binding: "authentik_policies.policybinding",
    outpost: "authentik_outposts.outpost",
} as const;
export type ModelName = (typeof models)[keyof typeof models];

/** The outpost inside authentik-server, which Traefik's forward-auth asks. */
export const embeddedOutpost = { managed: "goauthentik.io/outposts/embedded", name: "authentik Embedded Outpost" };

export interface BlueprintEntry {
    model: ModelName;
    state: "present" | "created" | "absent";
    /** What another entry's `!KeyOf` names it by. */
    id?: string;
    /** How Authentik finds an existing object to update, take over or delete. */
    identifiers: BlueprintMap;
    attrs?: BlueprintMap;
}

export interface Blueprint {
    name: string;
    entries: BlueprintEntry[];
}

/** Authentik's default flows, found by slug (shipped by its default blueprints). */
const authorizationFlow = find("authentik_flows.flow", ["slug", "default-provider-authorization-implicit-consent"]);
const invalidationFlow = find("authentik_flows.flow", ["slug", "default-provider-invalidation-flow"]);
const scopeMappings = ["openid", "email", "profile"].map((scope) =>
    find("authentik_providers_oauth2.scopemapping", ["managed", `goauthentik.io/providers/oauth2/scope-${scope}`]),
);
/** Signs ID tokens with RS256 (apps verify them against the provider's JWKS). */
const signingKey = find("authentik_crypto.certificatekeypair", ["name", "authentik Self-signed Certificate"]);

export const ids = {
    group: (name: string): string => `group:${name}`,
    provider: (service: string): string => `provider:${service}`,
    application: (service: string): string => `application:${service}`,
};

function present(model: ModelName, id: string, identifiers: BlueprintMap, attrs: BlueprintMap): BlueprintEntry {
    return { model, state: "present", id, identifiers, attrs };
}

const absent = (model: ModelName, identifiers: BlueprintMap): BlueprintEntry => ({
    model,
    state: "absent",
    identifiers,
});

/** The entries that delete a service's application and both kinds of provider. */
function removed(service: string): BlueprintEntry[] {
    const names = ssoNames(service);
    return [
        absent(models.application, { slug: names.application }),
        absent(models.proxyProvider, { name: names.proxyProvider }),
        absent(models.oauth2Provider, { name: names.oauth2Provider }),
    ];
}

function need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`sso: ${what}`);
    return value;
}

export function ssoBlueprint(
    entries: readonly ServiceEntry[],
    settings: Settings,
    retiredServices: readonly RetiredService[] = retired,
): Blueprint {
    const enabled = entries.filter((entry) => entry.enabled !== false);
    const guarded = enabled.filter((entry) => ssoKindOf(entry) !== undefined);
    const groups = [...new Set([defaultAccessGroup, ...guarded.map(accessGroupOf)])];
    const result: BlueprintEntry[] = [];

    // Groups are created when missing and never changed: their members are managed in Authentik.
    for (const group of groups) {
        result.push({
            model: models.group,
            state: "created",
            id: ids.group(group),
            identifiers: { name: group },
            attrs: { name: group },
        });
    }

    const proxyProviders: string[] = [];
    const gone: BlueprintEntry[] = [];
    for (const entry of guarded) {
        const service = entry.name;
        const names = ssoNames(service);
        const url = need(urlFor(entry, settings), `${service} has no URL`);
        const client = entry.sso?.oidc;
        if (client === undefined) {
            result.push(
                present(
                    models.proxyProvider,
                    ids.provider(service),
                    { name: names.proxyProvider },
                    {
                        name: names.proxyProvider,
                        authorization_flow: authorizationFlow,
                        invalidation_flow: invalidationFlow,
                        mode: "forward_single",
                        external_host: url,
                    },
                ),
            );
            proxyProviders.push(ids.provider(service));
            gone.push(absent(models.oauth2Provider, { name: names.oauth2Provider }));
        } else {
            const redirects: BlueprintValue[] = client.redirects.map((redirect) => ({
                matching_mode: "strict",
                url: "path" in redirect ? `${url}${redirect.path}` : redirect.uri,
            }));
            result.push(
                present(
                    models.oauth2Provider,
                    ids.provider(service),
                    { name: names.oauth2Provider },
                    {
                        name: names.oauth2Provider,
                        authorization_flow: authorizationFlow,
                        invalidation_flow: invalidationFlow,
                        client_type: "confidential",
                        client_id: client.clientId,
                        client_secret: envVar(workerSecretVar(client.clientId)),
                        redirect_uris: redirects,
                        property_mappings: scopeMappings,
                        signing_key: signingKey,
                    },
                ),
            );
            gone.push(absent(models.proxyProvider, { name: names.proxyProvider }));
        }
        result.push(
            present(
                models.application,
                ids.application(service),
                { slug: names.application },
                {
                    name: entry.title,
                    slug: names.application,
                    provider: keyOf(ids.provider(service)),
                    meta_launch_url: url,
                    group: entry.stack,
                    policy_engine_mode: "any",
                },
            ),
        );
        const access = accessGroupOf(entry);
        for (const group of groups) {
            const identifiers = { target: keyOf(ids.application(service)), group: keyOf(ids.group(group)) };
            // A group the entry no longer names loses its binding; bindings made by hand to other groups stay.
            result.push(
                group === access
                    ? {
                          model: models.binding,
                          state: "present",
                          identifiers,
                          attrs: { order: 0, enabled: true, negate: false },
                      }
                    : { model: models.binding, state: "absent", identifiers },
            );
        }
    }

    // The one entry that owns the embedded outpost's provider list: exactly the generated proxy providers.
    const authUrl = authentikUrl(entries, settings);
    if (authUrl !== undefined) {
        result.push(
            present(
                models.outpost,
                "outpost:embedded",
                { managed: embeddedOutpost.managed },
                {
                    name: embeddedOutpost.name,
                    type: "proxy",
                    providers: proxyProviders.map(keyOf),
                    config: { authentik_host: authUrl },
                },
            ),
        );
    }

    // Routed services without single sign-on (now or after a change), disabled ones, and retired ones.
    const unguarded = entries
        .filter((entry) => entry.route !== undefined && (entry.enabled === false || ssoKindOf(entry) === undefined))
        .map((entry) => entry.name);
    const leaving = [...new Set([...unguarded, ...retiredServices.map((item) => item.service)])];
    return { name: blueprintName, entries: [...result, ...gone, ...leaving.flatMap(removed)] };
}

const header = [
    "Generated by the homelab Pulumi program from its catalog (components/sso); changes here are overwritten.",
    "authentik-worker applies it when the file changes; the fields it sets are owned by it.",
];

/** The blueprint file the worker reads. */
export function blueprintYaml(blueprint: Blueprint): string {
    const entries = blueprint.entries.map((entry): BlueprintMap => {
        const map: Record<string, BlueprintValue> = { model: entry.model, state: entry.state };
        if (entry.id !== undefined) map.id = entry.id;
        map.identifiers = entry.identifiers;
        if (entry.attrs !== undefined) map.attrs = entry.attrs;
        return map;
    });
    return toYaml({ version: 1, metadata: { name: blueprint.name }, entries }, header);
}
