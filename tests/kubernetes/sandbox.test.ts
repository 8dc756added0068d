import { catalog } from "../../catalog";
import { settingsOfStackFile } from "../../config/load";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { runPolicies } from "../policy/testing";
import { dummySecret, plainOccurrences, repoRoot, type Program } from "../helpers/program";
import { loadSandbox, sandboxConfig } from "./sandbox-program";

const workloadTypes = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];

let sandbox: Program;
beforeAll(async () => {
    sandbox = await loadSandbox();
});

describe("the sandbox stack (Pulumi.sandbox.yaml)", () => {
    it("is a stack file of its own with no secret in it", () => {
        const file = readStackFile(stackFilePath(repoRoot, "sandbox"));
        expect(
            Object.values(file.config).filter(
                (value) => typeof value === "object" && value !== null && "secure" in value,
            ),
        ).toEqual([]);
        expect(sandboxConfig()["homelab:protectStateful"]).toBe("false");
        expect(sandboxConfig()["homelab:edge"]).toBe("false");
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
