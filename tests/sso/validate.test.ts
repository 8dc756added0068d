import { catalog } from "../../catalog";
import { retired, ssoProblems } from "../../catalog/sso";
import type { OidcClient, ServiceEntry } from "../../catalog/types";
import { assertCatalog, catalogProblems } from "../../catalog/validate";
import { stackSettings } from "../helpers/program";

const settings = stackSettings("prod");
const byName = (name: string): ServiceEntry => {
    const found = catalog.find((entry) => entry.name === name);
    if (found === undefined) throw new Error(`no catalog entry ${name}`);
    return found;
};
const replaced = (name: string, change: (entry: ServiceEntry) => ServiceEntry): ServiceEntry[] =>
    catalog.map((entry) => (entry.name === name ? change(entry) : entry));

const homarrClient = byName("homarr").sso?.oidc as OidcClient;

describe("single sign-on facts in the catalog are checked before anything is registered", () => {
    test("the real catalog and retired list have no problems", () => {
        expect(ssoProblems(catalog, retired)).toEqual([]);
        expect(catalogProblems(catalog, settings)).toEqual([]);
    });

    test("an access group Authentik cannot name", () => {
        const entries = replaced("sonarr", (entry) => ({ ...entry, sso: { access: "" } }));
        expect(() => {
            assertCatalog(entries, settings);
        }).toThrow(
            'catalog: sonarr.sso.access: "" is not allowed; expected an Authentik group name such as "admins" ' +
                "(letters, digits, space, dot, underscore, dash; at most 64)",
        );
    });

    test("an access group on a route nothing guards", () => {
        const entries = replaced("plex", (entry) => ({ ...entry, sso: { access: "family" } }));
        expect(ssoProblems(entries, [])).toEqual([
            'catalog: plex.sso.access: "family" is not allowed on a route with neither forward-auth nor sso.oidc; ' +
                "expected route.forwardAuth: true or sso.oidc, or no access group",
        ]);
    });

    test("single sign-on on a service without a route", () => {
        const entries = replaced("flaresolverr", (entry) => ({ ...entry, sso: { access: "admins" } }));
        expect(ssoProblems(entries, [])).toEqual([
            'catalog: flaresolverr.sso: ["access"] is not allowed on a service without a route; ' +
                "expected sso only where Authentik guards a URL",
        ]);
    });

    test("OIDC and forward-auth on one route", () => {
        const entries = replaced("homarr", (entry) => ({
            ...entry,
            route: { subdomain: "home", exposure: "internal", forwardAuth: true },
        }));
        expect(ssoProblems(entries, [])).toEqual([
            'catalog: homarr.sso.oidc: client "homarr" is not allowed together with route.forwardAuth: true; ' +
                "expected one of them (an OIDC app signs users in itself)",
        ]);
    });

    test("a bad or repeated client id, and bad redirects", () => {
        const entries = replaced("immich-server", (entry) => ({
            ...entry,
            sso: {
                oidc: {
                    ...homarrClient,
                    redirects: [{ path: "auth/login" }, { uri: "not a uri" }],
                },
            },
        }));
        expect(ssoProblems(entries, [])).toEqual([
            'catalog: immich-server.sso.oidc.clientId: "homarr" is the client id of homarr already; allowed: one client id per service',
            'catalog: immich-server.sso.oidc.redirects: path "auth/login" is not allowed; expected a path on the service\'s URL such as "/auth/login"',
            'catalog: immich-server.sso.oidc.redirects: uri "not a uri" is not allowed; expected an absolute URI such as "app.immich:///oauth-callback"',
        ]);
        const upper = replaced("homarr", (entry) => ({
            ...entry,
            sso: { oidc: { ...homarrClient, clientId: "Homarr" } },
        }));
        expect(ssoProblems(upper, [])).toEqual([
            'catalog: homarr.sso.oidc.clientId: "Homarr" is not allowed; expected lower-case letters, digits and dashes such as "immich"',
        ]);
    });

    test("a worker without the blueprint mount while services sign in through Authentik", () => {
        const entries = replaced("authentik-worker", (entry) => ({
            ...entry,
            mounts: entry.mounts.filter(
                (mount) => !(mount.from === "appdata" && mount.target === "/blueprints/homelab"),
            ),
        }));
        const problems = ssoProblems(entries, []);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(
            /^catalog: authentik-worker\.mounts: no appdata mount at \/blueprints\/homelab is not allowed while traefik, dockman, homarr, .* sign in through Authentik; expected appdata\("\/blueprints\/homelab", "blueprints"\), where the program writes their blueprint$/,
        );
    });

    test("retired: a current service, a bad name, a repeat, no reason", () => {
        expect(
            ssoProblems(catalog, [
                { service: "sonarr", reason: "meant to remove it" },
                { service: "Old_App", reason: "left in 2025 for good" },
                { service: "overseerr", reason: "replaced by Seerr in 2026" },
                { service: "overseerr", reason: "" },
            ]),
        ).toEqual([
            'catalog/sso.ts retired: "sonarr" is not allowed; it is still a catalog service ' +
                "(expected only services that left the catalog; one without single sign-on needs no line)",
            'catalog/sso.ts retired: "Old_App" is not allowed; expected the service name it had, lower-case letters, digits and dashes',
            'catalog/sso.ts retired: "overseerr" is listed twice; allowed: one line per service',
            'catalog/sso.ts retired: "overseerr" has reason "", which is not allowed; expected a sentence saying why it left',
        ]);
    });
});
