import { catalog } from "../../catalog";
import { settingsOfStackFile } from "../../config/load";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { runPolicies } from "../policy/testing";
import { dummySecret, loadProgram, plainOccurrences, repoRoot, stackConfig, type Program } from "../helpers/program";

const workloadTypes = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];

let sandbox: Program;
beforeAll(async () => {
    sandbox = await loadProgram("sandbox");
});

describe("the sandbox stack (Pulumi.sandbox.yaml)", () => {
    it("is a stack file of its own with no secret in it", () => {
        const file = readStackFile(stackFilePath(repoRoot, "sandbox"));
        expect(
            Object.values(file.config).filter(
                (value) => typeof value === "object" && value !== null && "secure" in value,
            ),
        ).toEqual([]);
        expect(stackConfig("sandbox")["homelab:protectStateful"]).toBe("false");
        expect(stackConfig("sandbox")["homelab:edge"]).toBe("false");
    });

    it("registers the cluster and the Phase 6 candidates only, on their own hostnames", () => {
        const workloads = sandbox.resources.filter((r) => workloadTypes.includes(r.type)).map((r) => r.name);
        expect(workloads.sort()).toEqual([
            "k3s-services-authentik-postgresql",
            "k3s-services-authentik-server",
            "k3s-services-authentik-worker",
            "k3s-services-autokuma",
            "k3s-services-beszel",
            "k3s-services-immich-machine-learning",
            "k3s-services-immich-postgres",
            "k3s-services-immich-redis",
            "k3s-services-immich-server",
            "k3s-services-traefik",
            "k3s-services-uptime-kuma",
        ]);
        expect(sandbox.ofType("homelab:k3s:Cluster").map((r) => r.name)).toEqual(["k3s"]);
    });

    it("touches no Docker engine, no Cloudflare and no AdGuard", () => {
        const elsewhere = sandbox.resources.filter(
            (r) =>
                r.type.startsWith("docker:") ||
                r.type.startsWith("cloudflare:") ||
                r.type === "pulumi:providers:docker" ||
                r.type === "pulumi:providers:cloudflare" ||
                r.type === "pulumi-nodejs:dynamic/adguard:Rewrite" ||
                r.type === "homelab:stacks:ServiceStack",
        );
        expect(elsewhere.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    });

    it("lists the sandbox services' URLs under sandbox.giohosted.com", () => {
        expect(sandbox.outputs.urls).toEqual({
            traefik: "https://traefik.sandbox.giohosted.com",
            "authentik-server": "https://auth.sandbox.giohosted.com",
            "immich-server": "https://photos.sandbox.giohosted.com",
            beszel: "https://beszel.sandbox.giohosted.com",
            "uptime-kuma": "https://uptime.sandbox.giohosted.com",
        });
        expect(sandbox.outputs.hosts).toEqual({});
        expect(sandbox.outputs.externalUrls).toEqual({});
    });

    it("routes each sandbox hostname with an IngressRoute on the cluster", () => {
        const routes = sandbox
            .ofType("kubernetes:traefik.io/v1alpha1:IngressRoute")
            .map((route) => JSON.stringify(route.inputs.spec));
        for (const host of ["auth", "photos", "beszel", "uptime", "traefik"]) {
            expect(routes.some((route) => route.includes(`Host(\`${host}.sandbox.giohosted.com\`)`))).toBe(true);
        }
    });

    it("hands AutoKuma one monitor per routed URL as a ConfigMap at its static-monitors directory", () => {
        const configMap = sandbox.get("kubernetes:core/v1:ConfigMap", "k3s-services-autokuma-autokuma-monitors");
        const data = configMap.inputs.data as Record<string, string>;
        expect(Object.keys(data).sort()).toEqual([
            "authentik-server.json",
            "beszel.json",
            "immich-server.json",
            "traefik.json",
            "uptime-kuma.json",
        ]);
        // One key per entry of the `urls` output, each monitor on that URL.
        const urls = sandbox.outputs.urls as Record<string, string>;
        expect(
            Object.keys(data)
                .map((key) => key.replace(/\.json$/, ""))
                .sort(),
        ).toEqual(Object.keys(urls).sort());
        for (const [key, text] of Object.entries(data)) {
            const monitor = JSON.parse(text) as { url: string };
            expect(monitor.url.startsWith(`${urls[key.replace(/\.json$/, "")] ?? "-"}/`)).toBe(true);
        }
        const autokuma = sandbox.get("kubernetes:apps/v1:Deployment", "k3s-services-autokuma");
        const pod = (autokuma.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec;
        expect(pod.volumes).toContainEqual({ name: "monitors", configMap: { name: "autokuma-monitors" } });
        expect((pod.containers as { volumeMounts: unknown[] }[])[0]?.volumeMounts).toContainEqual({
            name: "monitors",
            mountPath: "/monitors",
            readOnly: true,
        });
        expect(sandbox.resources.filter((r) => r.type.startsWith("homelab:hosts:HostFile"))).toEqual([]);
    });

    it("registers every cluster object after the node's install (the cluster's readiness and Traefik's CRDs)", () => {
        const install = sandbox.get("command:remote:Command", "k3s-k3s-sandbox-01-install");
        const routes = sandbox.ofType("kubernetes:traefik.io/v1alpha1:IngressRoute");
        expect(routes.length).toBeGreaterThan(0);
        for (const route of routes)
            expect([route.name, route.dependencies]).toEqual([route.name, expect.arrayContaining([install.urn])]);
        const middleware = sandbox.get(
            "kubernetes:traefik.io/v1alpha1:Middleware",
            "k3s-services-authentik-middleware",
        );
        expect(middleware.dependencies).toContain(install.urn);
    });

    it("mounts its own photo library from the NAS, never prod's", () => {
        const volumes = sandbox.ofType("kubernetes:core/v1:PersistentVolume").map((pv) => pv.inputs.spec);
        expect(volumes).toEqual([
            expect.objectContaining({
                nfs: { server: "192.168.30.12", path: "/mnt/user/sandbox/photos", readOnly: false },
            }),
        ]);
    });

    it("keeps every secret it reads secret", () => {
        for (const key of [
            "authentikSecretKey",
            "authentikDbPassword",
            "immichDbPassword",
            "uptimeKumaPassword",
            "deploySshPrivateKey",
            "proxmoxApiToken",
        ]) {
            const leaks = sandbox.resources.flatMap((r) =>
                plainOccurrences(r.rawInputs, dummySecret(key)).map((where) => `${r.name} ${where}`),
            );
            expect([key, leaks]).toEqual([key, []]);
        }
    });

    it("passes every rule of the policy pack", async () => {
        const settings = settingsOfStackFile(readStackFile(stackFilePath(repoRoot, "sandbox")));
        expect(
            await runPolicies(homelabPolicies(policyContext("sandbox", settings, catalog)), sandbox.resources),
        ).toEqual([]);
    });
});
