import { catalog } from "../../catalog";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { runPolicies } from "../policy/testing";
import { containerNamed, containerType } from "../helpers/services";
import { loadProgram, stackSettings, type Program } from "../helpers/program";

/**
 * Moving services in prod later is one config change: homelab:targets (plus the cluster). Here the
 * Authentik stack moves, under mocks only: its containers are gone, and its route, tunnel ingress,
 * split-horizon DNS and monitor follow it to the cluster's ingress (the first node, 192.168.30.21).
 */
const moved = {
    "homelab:targets": JSON.stringify({
        "authentik-server": "k3s",
        "authentik-worker": "k3s",
        "authentik-postgresql": "k3s",
    }),
    "homelab:cluster": JSON.stringify({
        k3sVersion: "v1.33.5+k3s1",
        nodes: [{ name: "k3s-01", address: "192.168.30.21" }],
    }),
};

const tunnelConfigType = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig";
const rewriteType = "pulumi-nodejs:dynamic/adguard:Rewrite";
const workloadTypes = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];

let prod: Program;
let after: Program;
beforeAll(async () => {
    prod = await loadProgram("prod");
    after = await loadProgram("prod", { config: moved });
});

const stdinOf = (program: Program, name: string): string =>
    String(program.ofType("command:remote:Command").find((resource) => resource.name === name)?.inputs.stdin);

describe("prod's default config moves nothing", () => {
    it("registers no cluster and no Kubernetes object", () => {
        expect(
            prod.resources.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("homelab:k3s")),
        ).toEqual([]);
        expect(containerNamed(prod, "authentik-server")).toHaveLength(1);
    });
});

describe("the Authentik stack moved to k3s", () => {
    it("has no Docker container left for the moved services, and every other container stays", () => {
        for (const name of ["authentik-server", "authentik-worker", "authentik-postgresql"]) {
            expect(containerNamed(after, name)).toEqual([]);
        }
        const names = (program: Program) => program.ofType(containerType).map((c) => String(c.inputs.name));
        expect(
            names(prod)
                .filter((name) => !names(after).includes(name))
                .sort(),
        ).toEqual(["authentik-postgresql", "authentik-server", "authentik-worker"]);
    });

    it("runs them on the cluster, with the cluster's own Traefik as its ingress", () => {
        const workloads = after.resources.filter((r) => workloadTypes.includes(r.type)).map((r) => r.name);
        expect(workloads.sort()).toEqual([
            "k3s-services-authentik-postgresql",
            "k3s-services-authentik-server",
            "k3s-services-authentik-worker",
            "k3s-services-traefik",
        ]);
        expect(after.get("homelab:k3s:Cluster", "k3s").type).toBe("homelab:k3s:Cluster");
    });

    it("points the tunnel's ingress for auth.giohosted.com at the cluster's ingress", () => {
        const ingresses = (program: Program) =>
            program.ofType(tunnelConfigType)[0]?.inputs.config as {
                ingresses: { hostname?: string; service: string; originRequest?: unknown }[];
            };
        expect(ingresses(after).ingresses.find((rule) => rule.hostname === "auth.giohosted.com")).toEqual({
            hostname: "auth.giohosted.com",
            service: "https://192.168.30.21:443",
            originRequest: { originServerName: "auth.giohosted.com" },
        });
        expect(ingresses(prod).ingresses.find((rule) => rule.hostname === "auth.giohosted.com")?.service).toBe(
            "https://traefik:443",
        );
        // Every other public hostname still enters through Traefik on docker-prod-01.
        expect(
            ingresses(after)
                .ingresses.filter((rule) => rule.hostname !== undefined && rule.hostname !== "auth.giohosted.com")
                .map((rule) => rule.service),
        ).toEqual(["https://traefik:443", "https://traefik:443", "https://traefik:443"]);
    });

    it("answers auth.giohosted.com with the cluster's address in AdGuard, the wildcard still with docker-prod-01", () => {
        const rewrites = after.ofType(rewriteType).map((r) => [r.name, r.inputs.domain, r.inputs.answer]);
        expect(rewrites).toEqual([
            ["edge-split-horizon", "*.giohosted.com", "192.168.30.11"],
            ["edge-k3s-authentik-server", "auth.giohosted.com", "192.168.30.21"],
        ]);
        expect(prod.ofType(rewriteType)).toHaveLength(1);
    });

    it("takes Authentik out of the edge Traefik's routes; forward-auth asks the outpost through the cluster", () => {
        const before = stdinOf(prod, "traefik-routes-write");
        const routes = stdinOf(after, "traefik-routes-write");
        expect(before).toContain('"authentik-server": {');
        expect(routes).not.toContain('"authentik-server": {');
        expect(routes).toContain('"address": "https://auth.giohosted.com/outpost.goauthentik.io/auth/traefik"');
        expect(routes).toContain('"url": "https://auth.giohosted.com"');
    });

    it("keeps monitoring it at its URL (which now resolves to the cluster) and lists it in urls", () => {
        const monitors = stdinOf(after, "uptime-monitors-write");
        expect(monitors).toContain("install_file '/opt/appdata/autokuma/monitors/authentik-server.json'");
        expect(monitors).toContain('"url": "https://auth.giohosted.com/"');
        expect((after.outputs.urls as Record<string, string>)["authentik-server"]).toBe("https://auth.giohosted.com");
        expect((after.outputs.hosts as Record<string, { stacks: string[] }>)["auth-prod-01"]?.stacks).toEqual([
            "monitoring",
        ]);
    });

    it("passes every rule of the policy pack", async () => {
        const settings = stackSettings("prod", moved);
        expect(await runPolicies(homelabPolicies(policyContext("prod", settings, catalog)), after.resources)).toEqual(
            [],
        );
    });
});

describe("AutoKuma moved to k3s too (with Authentik and the rest of the monitoring stack)", () => {
    let monitored: Program;
    beforeAll(async () => {
        monitored = await loadProgram("prod", {
            config: {
                ...moved,
                "homelab:targets": JSON.stringify({
                    "authentik-server": "k3s",
                    "authentik-worker": "k3s",
                    "authentik-postgresql": "k3s",
                    beszel: "k3s",
                    "uptime-kuma": "k3s",
                    autokuma: "k3s",
                }),
            },
        });
    });

    it("delivers the monitor files as a ConfigMap on the cluster, and writes none on a Docker host", () => {
        expect(stdinOf(prod, "uptime-monitors-write")).toContain("/opt/appdata/autokuma/monitors/");
        expect(monitored.resources.filter((r) => r.name.startsWith("uptime-monitors"))).toEqual([]);
        const configMap = monitored.get("kubernetes:core/v1:ConfigMap", "k3s-services-autokuma-autokuma-monitors");
        const data = configMap.inputs.data as Record<string, string>;
        const keys = Object.keys(data).sort();
        // One key per routed URL of the `urls` output, plus the public-DNS monitors of the external
        // hostnames and the split-horizon probes of each AdGuard Home (the wildcard, and each exact
        // rewrite of a service on k3s).
        const urls = Object.keys(monitored.outputs.urls as Record<string, string>).map((name) => `${name}.json`);
        expect(urls).toHaveLength(23);
        const publicNames = ["audiobookshelf", "authentik-server", "seerr", "shelfmark"];
        const splitHorizon = ["", "authentik-server-", "beszel-", "uptime-kuma-"].flatMap((prefix) => [
            `${prefix}split-horizon.json`,
            `${prefix}split-horizon-replica-1.json`,
        ]);
        expect(keys).toEqual([...urls, ...publicNames.map((name) => `${name}-public.json`), ...splitHorizon].sort());
        // The same files prod writes into AutoKuma's directory on docker-prod-01 today (prod has no
        // service on k3s, so no exact-rewrite probes).
        const onDocker = [...stdinOf(prod, "uptime-monitors-write").matchAll(/monitors\/([a-z0-9-]+\.json)'/g)].map(
            (match) => match[1],
        );
        const perServiceProbes = /^(authentik-server|beszel|uptime-kuma)-split-horizon/;
        expect(keys.filter((key) => !perServiceProbes.test(key))).toEqual([...new Set(onDocker)].sort());
        expect(JSON.parse(data["authentik-server.json"] ?? "{}")).toMatchObject({
            type: "http",
            url: "https://auth.giohosted.com/",
        });
    });
});
