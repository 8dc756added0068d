import { parseDocument, type CollectionTag, type ScalarTag } from "yaml";
import { catalog } from "../../catalog";
import { authentikVersion } from "../../catalog/stacks/auth";
import type { ServiceEntry } from "../../catalog/types";
import { blueprintYaml, ssoBlueprint, type Blueprint, type BlueprintEntry } from "../../components/sso/blueprint";
import { BlueprintTag, isList, isMap, type BlueprintMap, type BlueprintValue } from "../../components/sso/yaml";
import { entryProblems } from "../helpers/authentik";
import { stackSettings, type StackName } from "../helpers/program";

const prod = stackSettings("prod");
const lab = stackSettings("lab");
const byName = (name: string): ServiceEntry => {
    const found = catalog.find((entry) => entry.name === name);
    if (found === undefined) throw new Error(`no catalog entry ${name}`);
    return found;
};

/** The custom tags of Authentik's loader, read back as `{ "<tag>": <argument> }`. */
const customTags: (ScalarTag | CollectionTag)[] = [
    { tag: "!KeyOf", resolve: (value: string) => ({ "!KeyOf": value }) },
    { tag: "!Env", resolve: (value: string) => ({ "!Env": value }) },
    { tag: "!Find", collection: "seq", resolve: (seq) => ({ "!Find": seq.toJSON() as unknown }) },
];

function parseBlueprint(text: string): unknown {
    const document = parseDocument(text, { customTags });
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    return document.toJS() as unknown;
}

/** The same data with each tag as `{ "<tag>": <argument> }`: what the YAML must read back as. */
function plain(value: BlueprintValue): unknown {
    if (value instanceof BlueprintTag) {
        return { [value.tag]: typeof value.args === "string" ? value.args : value.args.map(plain) };
    }
    if (isList(value)) return value.map(plain);
    if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
    return value;
}

function plainEntry(entry: BlueprintEntry): unknown {
    return plain({
        model: entry.model,
        state: entry.state,
        ...(entry.id === undefined ? {} : { id: entry.id }),
        identifiers: entry.identifiers,
        ...(entry.attrs === undefined ? {} : { attrs: entry.attrs }),
    });
}

const ofModel = (blueprint: Blueprint, model: string, state = "present"): BlueprintEntry[] =>
    blueprint.entries.filter((entry) => entry.model === model && entry.state === state);

const tagArg = (value: BlueprintValue | undefined): unknown =>
    value instanceof BlueprintTag ? value.args : `(not a tag: ${JSON.stringify(value)})`;

const forwardAuth = catalog.filter((entry) => entry.enabled !== false && entry.route?.forwardAuth === true);

describe.each<[StackName, string]>([
    ["prod", "https://auth.giohosted.com"],
    ["lab", "https://auth.giohosted.localhost:8443"],
])("the %s blueprint", (stack, authUrl) => {
    const settings = stack === "prod" ? prod : lab;
    const blueprint = ssoBlueprint(catalog, settings);
    const text = blueprintYaml(blueprint);

    test("round-trips through the yaml parser with Authentik's custom tags", () => {
        expect(parseBlueprint(text)).toEqual({
            version: 1,
            metadata: { name: "homelab: single sign-on from the catalog" },
            entries: blueprint.entries.map(plainEntry),
        });
    });

    test("every entry matches Authentik's API models at the pinned version", () => {
        expect(blueprint.entries.flatMap(entryProblems)).toEqual([]);
    });

    test("every forward-auth service: one proxy provider, one application, at least one binding", () => {
        const providers = ofModel(blueprint, "authentik_providers_proxy.proxyprovider");
        const applications = ofModel(blueprint, "authentik_core.application");
        const bindings = ofModel(blueprint, "authentik_policies.policybinding");
        const suffix = stack === "prod" ? "giohosted.com" : "giohosted.localhost:8443";
        expect(forwardAuth.length).toBeGreaterThan(10);
        for (const entry of forwardAuth) {
            const url = `https://${entry.route?.subdomain ?? ""}.${suffix}`;
            const provider = providers.filter((candidate) => candidate.attrs?.external_host === url);
            expect([entry.name, provider.length]).toEqual([entry.name, 1]);
            expect(provider[0]?.attrs).toMatchObject({ name: `${entry.name}-forward-auth`, mode: "forward_single" });
            expect(tagArg(provider[0]?.attrs?.authorization_flow)).toEqual([
                "authentik_flows.flow",
                ["slug", "default-provider-authorization-implicit-consent"],
            ]);
            expect(tagArg(provider[0]?.attrs?.invalidation_flow)).toEqual([
                "authentik_flows.flow",
                ["slug", "default-provider-invalidation-flow"],
            ]);
            const application = applications.filter((candidate) => candidate.identifiers.slug === entry.name);
            expect([entry.name, application.length]).toEqual([entry.name, 1]);
            expect(application[0]?.attrs).toMatchObject({
                name: entry.title,
                slug: entry.name,
                meta_launch_url: url,
                group: entry.stack,
            });
            expect(tagArg(application[0]?.attrs?.provider)).toBe(provider[0]?.id);
            const bound = bindings.filter((binding) => tagArg(binding.identifiers.target) === application[0]?.id);
            expect([entry.name, bound.length > 0]).toEqual([entry.name, true]);
        }
        // A newcomer's catalog entry gets all of it, and nothing else gets a proxy provider.
        expect(providers).toHaveLength(forwardAuth.length);
    });

    test("the one outpost entry lists exactly the generated proxy providers and the public auth URL", () => {
        const outposts = blueprint.entries.filter((entry) => entry.model === "authentik_outposts.outpost");
        expect(outposts).toHaveLength(1);
        const outpost = outposts[0];
        expect(outpost?.identifiers).toEqual({ managed: "goauthentik.io/outposts/embedded" });
        const listed = (outpost?.attrs?.providers ?? []) as readonly BlueprintValue[];
        const generated = ofModel(blueprint, "authentik_providers_proxy.proxyprovider").map((entry) => entry.id);
        expect(listed.map(tagArg).sort()).toEqual([...generated].sort());
        expect(new Set(listed.map(tagArg)).size).toBe(listed.length);
        expect(outpost?.attrs?.config).toEqual({ authentik_host: authUrl });
    });

    test("no duplicate ids, provider names, application slugs or objects", () => {
        const ids = blueprint.entries.flatMap((entry) => (entry.id === undefined ? [] : [entry.id]));
        expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
        const providerNames = blueprint.entries
            .filter((entry) => entry.model.startsWith("authentik_providers_"))
            .map((entry) => JSON.stringify(entry.identifiers.name));
        expect(providerNames.filter((name, i) => providerNames.indexOf(name) !== i)).toEqual([]);
        const slugs = blueprint.entries
            .filter((entry) => entry.model === "authentik_core.application")
            .map((entry) => JSON.stringify(entry.identifiers.slug));
        expect(slugs.filter((slug, i) => slugs.indexOf(slug) !== i)).toEqual([]);
        const objects = blueprint.entries.map((entry) => JSON.stringify([entry.model, plain(entry.identifiers)]));
        expect(objects.filter((object, i) => objects.indexOf(object) !== i)).toEqual([]);
    });

    test("every !KeyOf names an entry before it", () => {
        const seen = new Set<string>();
        const keyOfs = (value: BlueprintValue): string[] => {
            if (value instanceof BlueprintTag) {
                return value.tag === "!KeyOf" && typeof value.args === "string" ? [value.args] : [];
            }
            if (isList(value)) return value.flatMap(keyOfs);
            if (isMap(value)) return Object.values(value).flatMap(keyOfs);
            return [];
        };
        for (const entry of blueprint.entries) {
            for (const id of keyOfs({ ...entry.identifiers, ...entry.attrs })) {
                expect([entry.model, id, seen.has(id)]).toEqual([entry.model, id, true]);
            }
            if (entry.id !== undefined) seen.add(entry.id);
        }
    });

    test("Homarr and Immich get an OAuth2/OpenID provider whose secret is the worker's variable", () => {
        const suffix = stack === "prod" ? "giohosted.com" : "giohosted.localhost:8443";
        const providers = ofModel(blueprint, "authentik_providers_oauth2.oauth2provider");
        expect(providers.map((entry) => entry.identifiers.name).sort()).toEqual(["homarr-oidc", "immich-server-oidc"]);
        const homarr = providers.find((entry) => entry.identifiers.name === "homarr-oidc");
        expect(plain(homarr?.attrs ?? {})).toMatchObject({
            client_type: "confidential",
            client_id: "homarr",
            client_secret: { "!Env": "HOMELAB_OIDC_HOMARR_CLIENT_SECRET" },
            redirect_uris: [{ matching_mode: "strict", url: `https://home.${suffix}/api/auth/callback/oidc` }],
            signing_key: {
                "!Find": ["authentik_crypto.certificatekeypair", ["name", "authentik Self-signed Certificate"]],
            },
            property_mappings: ["openid", "email", "profile"].map((scope) => ({
                "!Find": [
                    "authentik_providers_oauth2.scopemapping",
                    ["managed", `goauthentik.io/providers/oauth2/scope-${scope}`],
                ],
            })),
        });
        const immich = providers.find((entry) => entry.identifiers.name === "immich-server-oidc");
        expect(plain(immich?.attrs ?? {})).toMatchObject({
            client_id: "immich",
            client_secret: { "!Env": "HOMELAB_OIDC_IMMICH_CLIENT_SECRET" },
            redirect_uris: [
                { matching_mode: "strict", url: `https://photos.${suffix}/auth/login` },
                { matching_mode: "strict", url: `https://photos.${suffix}/user-settings` },
                { matching_mode: "strict", url: "app.immich:///oauth-callback" },
            ],
        });
        // Neither is behind forward-auth: their forward-auth providers are deleted, not generated.
        for (const service of ["homarr", "immich-server"]) {
            expect(
                blueprint.entries.filter(
                    (entry) =>
                        entry.model === "authentik_providers_proxy.proxyprovider" &&
                        entry.identifiers.name === `${service}-forward-auth`,
                ),
            ).toEqual([
                {
                    model: "authentik_providers_proxy.proxyprovider",
                    state: "absent",
                    identifiers: { name: `${service}-forward-auth` },
                },
            ]);
        }
    });

    test("the file holds no secret: every client secret is an !Env reference", () => {
        expect(text).not.toMatch(/client_secret: "/);
        expect(text.match(/client_secret: !Env "HOMELAB_OIDC_[A-Z_]+_CLIENT_SECRET"/g)).toHaveLength(2);
    });
});

describe("access", () => {
    test("by default Authentik's own superuser group, created only if missing and never changed", () => {
        const blueprint = ssoBlueprint(catalog, prod);
        const groups = blueprint.entries.filter((entry) => entry.model === "authentik_core.group");
        expect(groups).toEqual([
            {
                model: "authentik_core.group",
                state: "created",
                id: "group:authentik Admins",
                identifiers: { name: "authentik Admins" },
                attrs: { name: "authentik Admins" },
            },
        ]);
        const binding = blueprint.entries.find(
            (entry) =>
                entry.model === "authentik_policies.policybinding" &&
                tagArg(entry.identifiers.target) === "application:sonarr",
        );
        expect(plain(binding as unknown as BlueprintMap)).toEqual({
            model: "authentik_policies.policybinding",
            state: "present",
            identifiers: { target: { "!KeyOf": "application:sonarr" }, group: { "!KeyOf": "group:authentik Admins" } },
            attrs: { order: 0, enabled: true, negate: false },
        });
    });

    test("a group the entry names is created, bound, and the default group's binding is removed", () => {
        const sonarr = byName("sonarr");
        const changed = catalog.map((entry) => (entry === sonarr ? { ...sonarr, sso: { access: "media" } } : entry));
        const blueprint = ssoBlueprint(changed, prod);
        expect(
            blueprint.entries.filter((entry) => entry.model === "authentik_core.group").map((e) => e.identifiers),
        ).toEqual([{ name: "authentik Admins" }, { name: "media" }]);
        const sonarrBindings = blueprint.entries
            .filter(
                (entry) =>
                    entry.model === "authentik_policies.policybinding" &&
                    tagArg(entry.identifiers.target) === "application:sonarr",
            )
            .map((entry) => [tagArg(entry.identifiers.group), entry.state]);
        expect(sonarrBindings).toEqual([
            ["group:authentik Admins", "absent"],
            ["group:media", "present"],
        ]);
    });
});

describe("removal", () => {
    const gone = (service: string): BlueprintEntry[] => [
        { model: "authentik_core.application", state: "absent", identifiers: { slug: service } },
        {
            model: "authentik_providers_proxy.proxyprovider",
            state: "absent",
            identifiers: { name: `${service}-forward-auth` },
        },
        {
            model: "authentik_providers_oauth2.oauth2provider",
            state: "absent",
            identifiers: { name: `${service}-oidc` },
        },
    ];
    const about = (blueprint: Blueprint, service: string): BlueprintEntry[] =>
        blueprint.entries.filter(
            (entry) =>
                entry.identifiers.slug === service ||
                entry.identifiers.name === `${service}-forward-auth` ||
                entry.identifiers.name === `${service}-oidc`,
        );

    test("a service that left the catalog (recorded in retired) loses its application and providers", () => {
        const blueprint = ssoBlueprint(catalog, prod, [{ service: "overseerr", reason: "replaced by Seerr in 2026" }]);
        expect(about(blueprint, "overseerr")).toEqual(gone("overseerr"));
        expect(blueprint.entries.slice(-3)).toEqual(gone("overseerr"));
        expect(blueprint.entries.flatMap(entryProblems)).toEqual([]);
    });

    test("a service that changes to no auth loses them, and leaves the outpost", () => {
        const sonarr = byName("sonarr");
        const route = { subdomain: "sonarr", exposure: "internal" as const, forwardAuth: false };
        const changed = catalog.map((entry) => (entry === sonarr ? { ...sonarr, route } : entry));
        const before = ssoBlueprint(catalog, prod);
        const after = ssoBlueprint(changed, prod);
        expect(about(before, "sonarr").map((entry) => entry.state)).toEqual(["present", "present", "absent"]);
        expect(about(after, "sonarr")).toEqual(gone("sonarr"));
        const outpostProviders = (blueprint: Blueprint): unknown[] =>
            (
                (blueprint.entries.find((entry) => entry.model === "authentik_outposts.outpost")?.attrs?.providers ??
                    []) as readonly BlueprintValue[]
            ).map(tagArg);
        expect(outpostProviders(before)).toContain("provider:sonarr");
        expect(outpostProviders(after)).not.toContain("provider:sonarr");
        expect(outpostProviders(after)).toHaveLength(outpostProviders(before).length - 1);
    });

    test("a routed service switched off loses them too", () => {
        const tautulli = byName("tautulli");
        const changed = catalog.map((entry) => (entry === tautulli ? { ...tautulli, enabled: false } : entry));
        expect(about(ssoBlueprint(changed, prod), "tautulli")).toEqual(gone("tautulli"));
    });

    test("services without single sign-on that were never guarded are covered the same way", () => {
        const blueprint = ssoBlueprint(catalog, prod);
        for (const service of ["plex", "seerr", "calibre-web-automated", "audiobookshelf", "authentik-server"]) {
            expect(about(blueprint, service)).toEqual(gone(service));
        }
    });
});

describe("the entry checker itself fails on what Authentik would refuse", () => {
    const sonarrProvider = (): BlueprintEntry => {
        const found = ssoBlueprint(catalog, prod).entries.find(
            (entry) => entry.model === "authentik_providers_proxy.proxyprovider" && entry.id === "provider:sonarr",
        );
        if (found === undefined) throw new Error("no sonarr provider");
        return found;
    };

    test("a misspelt field", () => {
        const entry = sonarrProvider();
        const { external_host: host, ...rest } = entry.attrs ?? {};
        const misspelt = { ...entry, attrs: { ...rest, externl_host: host ?? "" } };
        expect(entryProblems(misspelt, 3)).toEqual([
            "entries[3] authentik_providers_proxy.proxyprovider: ProxyProviderRequest has no field externl_host",
            "entries[3] authentik_providers_proxy.proxyprovider: ProxyProviderRequest requires external_host",
        ]);
    });

    test("a missing required field", () => {
        const entry = sonarrProvider();
        const attrs = Object.fromEntries(
            Object.entries(entry.attrs ?? {}).filter(([field]) => field !== "invalidation_flow"),
        );
        expect(entryProblems({ ...entry, attrs }, 0)).toEqual([
            "entries[0] authentik_providers_proxy.proxyprovider: ProxyProviderRequest requires invalidation_flow",
        ]);
    });

    test("a value outside a field's choices", () => {
        const entry = sonarrProvider();
        expect(entryProblems({ ...entry, attrs: { ...entry.attrs, mode: "forward-single" } }, 0)).toEqual([
            'entries[0] authentik_providers_proxy.proxyprovider: ProxyProviderRequest.mode "forward-single" is not one of proxy, forward_single, forward_domain',
        ]);
    });

    test("a redirect URI without its matching mode", () => {
        const oauth = ssoBlueprint(catalog, prod).entries.find((entry) => entry.identifiers.name === "homarr-oidc");
        if (oauth === undefined) throw new Error("no homarr provider");
        const attrs = { ...oauth.attrs, redirect_uris: [{ url: "https://home.giohosted.com/x" }] };
        expect(entryProblems({ ...oauth, attrs }, 0)).toEqual([
            "entries[0] authentik_providers_oauth2.oauth2provider.redirect_uris[0]: RedirectURIRequest requires matching_mode",
        ]);
    });

    test("an unknown model", () => {
        expect(
            entryProblems(
                {
                    model: "authentik_core.aplication" as "authentik_core.application",
                    state: "present",
                    identifiers: {},
                },
                0,
            ),
        ).toEqual(["entries[0] authentik_core.aplication: no request model known for authentik_core.aplication"]);
    });

    test("the models come from @goauthentik/api at the Authentik image's version", async () => {
        const pkg = (await import("@goauthentik/api/package.json")) as { version: string };
        expect(pkg.version).toBe(authentikVersion);
    });
});

describe("without Authentik in the catalog", () => {
    test("no outpost entry, and nothing guarded", () => {
        const withoutAuth = catalog.filter(
            (entry) => !entry.name.startsWith("authentik-") && entry.route?.forwardAuth !== true && !entry.sso,
        );
        const blueprint = ssoBlueprint(withoutAuth, prod, []);
        expect(blueprint.entries.filter((entry) => entry.state !== "absent").map((entry) => entry.model)).toEqual([
            "authentik_core.group",
        ]);
    });
});
