import type * as pulumiTypes from "@pulumi/pulumi";
import { catalog } from "../../catalog";
import {
    isSecretValue,
    plainOccurrences,
    loadProgram,
    stackConfig,
    type Program,
    type RecordedResource,
} from "../helpers/program";

const tokenInvoke = "getZeroTrustTunnelCloudflaredTokenOutput";
const fakeToken = (tunnelId: string) => `eyJhIjoiZmFrZSJ9-connector-token-${tunnelId}`;
const invokes: { args: Record<string, unknown>; provider: unknown }[] = [];

// The token read is answered here rather than by the helper's mock `call` (same result shape), so
// the test can also see the invoke's arguments and the provider the program passes to it.
jest.mock("@pulumi/cloudflare", () => {
    const actual = jest.requireActual<Record<string, unknown>>("@pulumi/cloudflare");
    const fake = (args: { accountId: string; tunnelId: pulumiTypes.Input<string> }, opts: { provider?: unknown }) => {
        const pulumi = jest.requireActual<typeof pulumiTypes>("@pulumi/pulumi");
        invokes.push({ args, provider: opts.provider });
        return pulumi
            .output(args.tunnelId)
            .apply((tunnelId) => ({ accountId: args.accountId, tunnelId, token: fakeToken(tunnelId) }));
    };
    return new Proxy(actual, { get: (target, key) => (key === tokenInvoke ? fake : target[key as string]) });
});

const cf = "cloudflare:index/";
const externalHostnames = ["auth", "request", "audiobooks", "books"].map((sub) => `${sub}.giohosted.com`);

describe("edge in prod", () => {
    let program: Program;
    beforeAll(async () => {
        invokes.length = 0;
        program = await loadProgram("prod");
    });
    const one = (type: string): RecordedResource => {
        const found = program.ofType(type);
        expect(found).toHaveLength(1);
        return found[0] as RecordedResource;
    };

    it("has one remote-managed, protected tunnel with a random secret", () => {
        const tunnel = one(`${cf}zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared`);
        expect(tunnel.name).toBe("edge-tunnel");
        expect(tunnel.inputs).toMatchObject({
            configSrc: "cloudflare",
            accountId: "set-to-your-cloudflare-account-id",
        });
        expect(tunnel.protect).toBe(true);
        expect(tunnel.dependencies).toContainEqual(
            expect.stringContaining("random:index/randomBytes:RandomBytes::edge-tunnel-secret"),
        );
        expect(one("random:index/randomBytes:RandomBytes").inputs).toEqual({ length: 32 });
    });

    it("routes exactly the catalog's external hosts to Traefik, in catalog order, then 404", () => {
        const config = one(`${cf}zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig`);
        expect(config.inputs.tunnelId).toBe("edge-tunnel-id");
        const ingresses = (config.inputs.config as { ingresses: Record<string, unknown>[] }).ingresses;
        const expected = catalog
            .filter((entry) => entry.route?.exposure === "external" && entry.enabled !== false)
            .map((entry) => `${entry.route?.subdomain ?? ""}.giohosted.com`);
        expect(expected).toEqual(externalHostnames);
        expect(ingresses.slice(0, -1).map((rule) => rule.hostname)).toEqual(expected);
        for (const rule of ingresses.slice(0, -1)) {
            expect(rule).toEqual({
                hostname: rule.hostname,
                service: "https://traefik:443",
                originRequest: { originServerName: rule.hostname },
            });
        }
        expect(ingresses.at(-1)).toEqual({ service: "http_status:404" });
    });

    it("keeps Plex (and every internal service) out of the tunnel", () => {
        const config = one(`${cf}zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig`);
        expect(JSON.stringify(config.inputs)).not.toMatch(/plex|sonarr|32400/);
    });

    it("gives each external host one proxied CNAME to the tunnel in the configured zone", () => {
        const records = program.ofType(`${cf}dnsRecord:DnsRecord`);
        expect(records.map((record) => record.inputs.name)).toEqual(externalHostnames);
        for (const record of records) {
            expect(record.inputs).toMatchObject({
                type: "CNAME",
                content: "edge-tunnel-id.cfargotunnel.com",
                proxied: true,
                ttl: 1,
                zoneId: "set-to-your-cloudflare-zone-id",
            });
        }
    });

    it("hands the connector token to cloudflared as a secret only", () => {
        expect(invokes).toHaveLength(1);
        expect(invokes[0]?.args.accountId).toBe("set-to-your-cloudflare-account-id");
        const token = fakeToken("edge-tunnel-id");
        const cloudflared = program.get("docker:index/container:Container", "cloudflared");
        // Pulumi lifts a list holding a secret into one secret marker: the variable is only ever inside one.
        expect(plainOccurrences(cloudflared.rawInputs, "TUNNEL_TOKEN=")).toEqual([]);
        expect((cloudflared.inputs.envs as string[]).filter((env) => env.startsWith("TUNNEL_TOKEN="))).toEqual([
            `TUNNEL_TOKEN=${token}`,
        ]);
        for (const resource of program.resources) {
            expect(plainOccurrences(resource.rawInputs, token)).toEqual([]);
        }
        expect(JSON.stringify(program.outputs)).not.toContain(token);
    });

    it("exports the public URLs and the tunnel id", () => {
        expect(program.outputs.externalUrls).toEqual({
            "authentik-server": "https://auth.giohosted.com",
            seerr: "https://request.giohosted.com",
            audiobookshelf: "https://audiobooks.giohosted.com",
            shelfmark: "https://books.giohosted.com",
        });
        expect(program.outputs.tunnelId).toBe("edge-tunnel-id");
    });

    it("gives every edge resource an explicit provider of its own", () => {
        const cloudflareProvider = one("pulumi:providers:cloudflare");
        expect(cloudflareProvider.name).toBe("edge-cloudflare");
        expect(isSecretValue(cloudflareProvider.rawInputs.apiToken)).toBe(true);
        const providers: Record<string, string> = {
            cloudflare: "pulumi:providers:cloudflare::edge-cloudflare",
            random: "pulumi:providers:random::edge-random",
            "pulumi-nodejs": "pulumi:providers:pulumi-nodejs::edge-dynamic",
        };
        // Single sign-on's client secrets have a random provider of their own (tests/sso).
        const custom = program.resources.filter(
            (resource) =>
                /^(cloudflare|random|pulumi-nodejs):/.test(resource.type) && !resource.parent.includes("homelab:sso:"),
        );
        expect(custom).toHaveLength(1 + 1 + 1 + 4 + 1 + 2);
        for (const resource of custom) {
            const pkg = resource.type.split(":")[0] ?? "";
            expect(resource.provider).toContain(providers[pkg]);
            expect(resource.parent).toMatch(/homelab:edge:Edge(\$homelab:edge:UnifiGateway)?::edge/);
        }
    });

    it("rewrites *.giohosted.com to docker-prod-01 on the AdGuard primary, credentials secret", () => {
        const rewrite = one("pulumi-nodejs:dynamic/adguard:Rewrite");
        expect(rewrite.inputs).toMatchObject({
            url: "http://192.168.30.2",
            domain: "*.giohosted.com",
            answer: "192.168.30.11",
        });
        expect(isSecretValue(rewrite.rawInputs.username)).toBe(true);
        expect(isSecretValue(rewrite.rawInputs.password)).toBe(true);
        expect(rewrite.additionalSecretOutputs).toEqual(expect.arrayContaining(["username", "password"]));
        // The serialized provider captures code only: no credentials, no settings.
        const serialized = JSON.stringify(rewrite.inputs.__provider);
        expect(serialized).toContain("rewrite/add");
        expect(serialized).not.toContain("dummy-secret");
        expect(serialized).not.toContain("giohosted");
    });
});

describe("edge config errors", () => {
    it("requires homelab:cloudflare where the edge is on", async () => {
        await expect(loadProgram("lab", { config: { "homelab:edge": "true" } })).rejects.toThrow(
            /homelab:cloudflare: \(missing\) is not allowed where homelab:edge is true/,
        );
    });

    it("requires homelab:domain to be in the zone", async () => {
        const zone = JSON.stringify({
            ...JSON.parse(stackConfig("prod")["homelab:cloudflare"] ?? "{}"),
            zoneName: "example.org",
        });
        await expect(loadProgram("prod", { config: { "homelab:cloudflare": zone } })).rejects.toThrow(
            /homelab:domain: "giohosted.com" is not allowed; expected homelab:cloudflare.zoneName "example.org"/,
        );
    });

    it("rejects an account id that is neither an id nor the placeholder", async () => {
        const zone = JSON.stringify({
            ...JSON.parse(stackConfig("prod")["homelab:cloudflare"] ?? "{}"),
            accountId: "123",
        });
        await expect(loadProgram("prod", { config: { "homelab:cloudflare": zone } })).rejects.toThrow(
            /homelab:cloudflare.accountId: "123" is not allowed; expected the Cloudflare account ID/,
        );
    });

    it("never lets the lab use the production CA", async () => {
        const traefik = JSON.stringify({ certificates: "letsencrypt", httpPort: 8080, httpsPort: 8443 });
        await expect(
            loadProgram("lab", { config: { "homelab:traefik": traefik }, withoutSecrets: [] }),
        ).rejects.toThrow(/homelab:traefik.certificates: "letsencrypt" is not allowed where homelab:edge is false/);
    });
});

describe("edge in the lab", () => {
    it("registers no Cloudflare, random or AdGuard resource and exports no public URL", async () => {
        const program = await loadProgram("lab");
        const edgeTypes = /^(pulumi:providers:)?(cloudflare|random)(:|$)|^pulumi-nodejs:dynamic\/adguard:/;
        expect(program.resources.filter((resource) => edgeTypes.test(resource.type))).toEqual([]);
        expect(program.resources.filter((resource) => resource.parent.includes("homelab:edge:Edge::"))).toEqual([]);
        expect(program.outputs.externalUrls).toEqual({});
        // cloudflared still gets its token from config there.
        const cloudflared = program.get("docker:index/container:Container", "cloudflared");
        expect((cloudflared.inputs.envs as string[]).some((env) => env.startsWith("TUNNEL_TOKEN=dummy-secret-"))).toBe(
            true,
        );
    });
});
