import { catalog } from "../../catalog";
import { externalRoute, internalRoute, onProxy } from "../../catalog/builders";
import type { ServiceEntry } from "../../catalog/types";
import { edgeProblems, edgeProvidedSecrets, edgeSecretRequests } from "../../components/edge";
import { catchAll, externalHosts, externalProblems, externalUrls, tunnelIngress } from "../../components/edge/tunnel";
import { settingsSchema, type Settings } from "../../config/schema";
import { stackConfig, type StackName } from "../helpers/program";

/** A stack's settings as loadSettings would read them, with top-level keys replaced. */
function settingsOf(stack: StackName, overrides: Record<string, unknown> = {}): Settings {
    const raw = Object.fromEntries(
        Object.entries(stackConfig(stack))
            .filter(([key]) => key.startsWith("homelab:"))
            .map(([key, text]) => {
                try {
                    return [key.slice("homelab:".length), JSON.parse(text) as unknown];
                } catch {
                    return [key.slice("homelab:".length), text];
                }
            }),
    );
    return settingsSchema.parse({ ...raw, ...overrides });
}

const prod = settingsOf("prod");

const entry = (name: string, route: ServiceEntry["route"]): ServiceEntry => ({
    name,
    title: name,
    stack: "books",
    storage: { declaredVolumes: [], statePaths: [], source: "test" },
    host: "docker-prod-01",
    image: { repository: `example/${name}`, tag: "1.0" },
    port: 8080,
    route,
    user: { kind: "puid" },
    mounts: [],
    health: { kind: "none", reason: "synthetic" },
    networking: onProxy,
});

const synthetic = [
    entry("library", externalRoute("library", false)),
    entry("admin", internalRoute("admin", true)),
    entry("wiki", externalRoute("wiki", true)),
];

describe("tunnel ingress and DNS from the catalog", () => {
    it("publishes the external entries in order, each to Traefik with its own server name, then 404", () => {
        expect(tunnelIngress(synthetic, prod, "traefik")).toEqual([
            {
                hostname: "library.giohosted.com",
                service: "https://traefik:443",
                originRequest: { originServerName: "library.giohosted.com" },
            },
            {
                hostname: "wiki.giohosted.com",
                service: "https://traefik:443",
                originRequest: { originServerName: "wiki.giohosted.com" },
            },
            { service: catchAll },
        ]);
    });

    it("adding an external entry adds exactly one ingress rule and one DNS record", () => {
        const more = [...synthetic, entry("notes", externalRoute("notes", false))];
        const before = { ingress: tunnelIngress(synthetic, prod, "traefik"), dns: externalHosts(synthetic, prod) };
        const after = { ingress: tunnelIngress(more, prod, "traefik"), dns: externalHosts(more, prod) };
        expect(after.ingress).toHaveLength(before.ingress.length + 1);
        expect(after.ingress.slice(0, -2)).toEqual(before.ingress.slice(0, -1));
        expect(after.ingress.at(-2)?.hostname).toBe("notes.giohosted.com");
        expect(after.ingress.at(-1)).toEqual({ service: catchAll });
        expect(after.dns).toEqual([
            ...before.dns,
            { service: "notes", subdomain: "notes", hostname: "notes.giohosted.com" },
        ]);
    });

    it("an internal entry adds nothing", () => {
        const more = [...synthetic, entry("grafana", internalRoute("grafana", true))];
        expect(tunnelIngress(more, prod, "traefik")).toEqual(tunnelIngress(synthetic, prod, "traefik"));
        expect(externalHosts(more, prod)).toEqual(externalHosts(synthetic, prod));
    });

    it("skips the TLS check only where Traefik's CA is not one cloudflared trusts", () => {
        const staging = settingsOf("prod", { traefik: { certificates: "letsencrypt-staging" } });
        expect(tunnelIngress(synthetic, staging, "traefik")[0]?.originRequest).toEqual({
            originServerName: "library.giohosted.com",
            noTlsVerify: true,
        });
    });

    it("lists the real catalog's four public URLs", () => {
        expect(Object.values(externalUrls(catalog, prod))).toEqual([
            "https://auth.giohosted.com",
            "https://request.giohosted.com",
            "https://audiobooks.giohosted.com",
            "https://books.giohosted.com",
        ]);
    });
});

describe("edge validation", () => {
    it("accepts the real config of both stacks", () => {
        expect(edgeProblems(prod, catalog)).toEqual([]);
        expect(edgeProblems(settingsOf("lab"), catalog)).toEqual([]);
    });

    it("rejects an external entry without a subdomain", () => {
        expect(externalProblems([entry("nameless", externalRoute("", false))], prod)).toEqual([
            'catalog: nameless.route.subdomain: "" is not allowed; an external service needs one lower-case ' +
                'DNS label such as "audiobooks" for its public hostname',
        ]);
    });

    it("rejects a domain outside the zone, and accepts one under it", () => {
        const elsewhere = settingsOf("prod", { domain: "giohosted.net" });
        expect(edgeProblems(elsewhere, synthetic)).toEqual([
            'homelab:domain: "giohosted.net" is not allowed; expected homelab:cloudflare.zoneName "giohosted.com" ' +
                "or a name under it, because the tunnel's DNS records go into that zone",
        ]);
        expect(edgeProblems(settingsOf("prod", { domain: "home.giohosted.com" }), synthetic)).toEqual([]);
        // A suffix is not a parent zone.
        expect(edgeProblems(settingsOf("prod", { domain: "notgiohosted.com" }), synthetic)).toHaveLength(1);
    });

    it("requires the zone where the edge is on", () => {
        expect(edgeProblems({ ...prod, cloudflare: undefined }, synthetic)).toEqual([
            "homelab:cloudflare: (missing) is not allowed where homelab:edge is true; expected " +
                "{ accountId, zoneId, zoneName } of the Cloudflare zone the tunnel publishes into",
        ]);
    });

    it("keeps the production CA to the stack with the edge", () => {
        const lab = settingsOf("lab", { traefik: { certificates: "letsencrypt" } });
        expect(edgeProblems(lab, catalog)).toEqual([
            'homelab:traefik.certificates: "letsencrypt" is not allowed where homelab:edge is false; ' +
                "expected letsencrypt-staging or self-signed (only the real homelab may use the production CA)",
        ]);
        expect(edgeProblems(settingsOf("lab", { traefik: { certificates: "letsencrypt-staging" } }), catalog)).toEqual(
            [],
        );
    });

    it("asks for the Cloudflare and AdGuard secrets and supplies the tunnel token only where the edge is on", () => {
        expect(edgeSecretRequests(prod).map((request) => request.key)).toEqual([
            "cloudflareApiToken",
            "adguardUsername",
            "adguardPassword",
            "unifiApiKey",
            "unifiWireguardPrivateKey",
        ]);
        expect(edgeProvidedSecrets(prod)).toEqual(["tunnelToken"]);
        expect(edgeSecretRequests(settingsOf("lab"))).toEqual([]);
        expect(edgeProvidedSecrets(settingsOf("lab"))).toEqual([]);
    });
});
