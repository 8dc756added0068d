import type * as pulumiModule from "@pulumi/pulumi";
import type * as k8sModule from "@pulumi/kubernetes";
import type * as componentModule from "../../components/kubernetes";
import { roles } from "../../topology";
import {
    dummySecret,
    isSecretValue,
    loadProgram,
    plainOccurrences,
    recordRun,
    stackSettings,
    type RecordedResource,
} from "../helpers/program";
import { candidates, specsOf } from "./fixtures/cluster";
import { validateObjects } from "./schema";

const prod = stackSettings("prod");
const specs = specsOf(candidates, prod);
const secretKeys = [...new Set(specs.flatMap((spec) => Object.values(spec.secretEnv)))].sort();

/** Registers ClusterServices under Pulumi mocks, with a Kubernetes provider of its own, and records every resource. */
async function register(awaitWorkloads: boolean, protectStateful = false): Promise<RecordedResource[]> {
    let resources: RecordedResource[] = [];
    await jest.isolateModulesAsync(async () => {
        const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
        const run = await recordRun(pulumi, {
            stack: "sandbox",
            config: {},
            secretKeys,
            importProgram: async () => {
                const k8s: typeof k8sModule = await import("@pulumi/kubernetes");
                const { ClusterServices }: typeof componentModule = await import("../../components/kubernetes");
                const config = new pulumi.Config("homelab");
                const secrets = Object.fromEntries(secretKeys.map((key) => [key, config.requireSecret(key)]));
                const provider = new k8s.Provider("sandbox-k3s", { kubeconfig: "dummy" });
                new ClusterServices(
                    "sandbox",
                    {
                        specs,
                        settings: prod,
                        secrets,
                        namespace: "homelab",
                        awaitWorkloads,
                        roles,
                        protectStateful,
                        blueprint: "version: 1\n",
                    },
                    { provider },
                );
                return {};
            },
        });
        resources = run.resources;
    });
    return resources;
}

describe("ClusterServices under Pulumi mocks", () => {
    let resources: RecordedResource[] = [];
    beforeAll(async () => {
        resources = await register(false);
    });
    const ofType = (type: string): RecordedResource[] => resources.filter((resource) => resource.type === type);
    const named = (type: string, name: string): RecordedResource => {
        const found = resources.find((resource) => resource.type === type && resource.name === name);
        if (found === undefined) throw new Error(`no ${type} ${name}`);
        return found;
    };

    test("one KubernetesService per candidate under one ClusterServices, its objects as its children", () => {
        const parent = named("homelab:kubernetes:ClusterServices", "sandbox");
        const services = ofType("homelab:kubernetes:KubernetesService");
        expect(services.map((service) => service.name).sort()).toEqual(
            [...candidates].map((name) => `sandbox-${name}`).sort(),
        );
        for (const service of services) expect(service.parent).toBe(parent.urn);
        const immich = named("homelab:kubernetes:KubernetesService", "sandbox-immich-server");
        const children = resources.filter((resource) => resource.parent === immich.urn);
        expect(children.map((child) => `${child.type} ${child.name}`).sort()).toEqual([
            "kubernetes:apps/v1:Deployment sandbox-immich-server",
            "kubernetes:core/v1:PersistentVolume sandbox-immich-server-homelab-immich-server-nas-photos-pv",
            "kubernetes:core/v1:PersistentVolumeClaim sandbox-immich-server-immich-server-nas-photos",
            "kubernetes:core/v1:Secret sandbox-immich-server-secrets",
            "kubernetes:core/v1:Service sandbox-immich-server-immich-server-service",
            "kubernetes:traefik.io/v1alpha1:IngressRoute sandbox-immich-server-route",
        ]);
        expect(named("kubernetes:core/v1:Namespace", "sandbox-namespace").parent).toBe(parent.urn);
        expect(named("kubernetes:traefik.io/v1alpha1:Middleware", "sandbox-authentik-middleware").parent).toBe(
            parent.urn,
        );
        expect(ofType("kubernetes:apps/v1:StatefulSet").map((set) => set.name)).toEqual([
            "sandbox-authentik-postgresql",
            "sandbox-immich-postgres",
        ]);
    });

    test("every Kubernetes object uses the provider given in opts", () => {
        const provider = named("pulumi:providers:kubernetes", "sandbox-k3s");
        const objects = resources.filter((resource) => resource.type.startsWith("kubernetes:"));
        expect(objects.length).toBe(51);
        for (const object of objects)
            expect([object.name, object.provider]).toEqual([object.name, `${provider.urn}::sandbox-k3s-id`]);
    });

    test("every namespaced object waits for the namespace; a claim for its NFS volume; the workload for its Secret", () => {
        const namespace = named("kubernetes:core/v1:Namespace", "sandbox-namespace");
        const objects = resources.filter(
            (resource) => resource.type.startsWith("kubernetes:") && resource.type !== "kubernetes:core/v1:Namespace",
        );
        for (const object of objects)
            expect([object.name, object.dependencies]).toEqual([object.name, expect.arrayContaining([namespace.urn])]);
        const claim = named(
            "kubernetes:core/v1:PersistentVolumeClaim",
            "sandbox-immich-server-immich-server-nas-photos",
        );
        expect(claim.dependencies).toContain(
            named("kubernetes:core/v1:PersistentVolume", "sandbox-immich-server-homelab-immich-server-nas-photos-pv")
                .urn,
        );
        expect(named("kubernetes:apps/v1:Deployment", "sandbox-immich-server").dependencies).toContain(
            named("kubernetes:core/v1:Secret", "sandbox-immich-server-secrets").urn,
        );
    });

    test("every registered object validates against the Kubernetes and Traefik schemas", () => {
        const objects = resources
            .filter((resource) => resource.type.startsWith("kubernetes:"))
            .map((resource) => resource.inputs);
        const results = validateObjects(objects);
        expect(results.filter((result) => result.error !== null)).toEqual([]);
        expect(results).toHaveLength(51);
    });

    test("Secret values are secret outputs, and no secret value appears in plain text in any input", () => {
        const secret = named("kubernetes:core/v1:Secret", "sandbox-authentik-server-secrets");
        const stringData = secret.rawInputs.stringData;
        expect(isSecretValue(stringData) || Object.values(stringData as object).every(isSecretValue)).toBe(true);
        expect(secret.inputs.stringData).toEqual({
            authentikDbPassword: dummySecret("authentikDbPassword"),
            authentikSecretKey: dummySecret("authentikSecretKey"),
        });
        for (const key of secretKeys) {
            for (const resource of resources) {
                expect([resource.name, plainOccurrences(resource.rawInputs, dummySecret(key))]).toEqual([
                    resource.name,
                    [],
                ]);
            }
        }
    });

    test("awaitWorkloads: false annotates the workloads; true leaves them to Pulumi's await", async () => {
        const annotations = (list: RecordedResource[], name: string) =>
            (
                list.find((resource) => resource.type === "kubernetes:apps/v1:Deployment" && resource.name === name)
                    ?.inputs.metadata as { annotations?: unknown } | undefined
            )?.annotations;
        expect(annotations(resources, "sandbox-authentik-server")).toEqual({ "pulumi.com/skipAwait": "true" });
        const awaited = await register(true);
        expect(annotations(awaited, "sandbox-authentik-server")).toBeUndefined();
    });

    test("protectStateful protects the StatefulSets, every claim and the NFS volume, and nothing else", async () => {
        const protectedNames = (run: RecordedResource[]) =>
            run
                .filter((resource) => resource.protect)
                .map((resource) => `${resource.type.replace(/^kubernetes:/, "")} ${resource.name}`)
                .sort();
        expect(protectedNames(resources)).toEqual([]);
        expect(protectedNames(await register(false, true))).toEqual([
            "apps/v1:StatefulSet sandbox-authentik-postgresql",
            "apps/v1:StatefulSet sandbox-immich-postgres",
            "core/v1:PersistentVolume sandbox-immich-server-homelab-immich-server-nas-photos-pv",
            "core/v1:PersistentVolumeClaim sandbox-authentik-postgresql-authentik-postgresql-appdata",
            "core/v1:PersistentVolumeClaim sandbox-authentik-worker-authentik-worker-appdata",
            "core/v1:PersistentVolumeClaim sandbox-autokuma-autokuma-appdata",
            "core/v1:PersistentVolumeClaim sandbox-beszel-beszel-appdata",
            "core/v1:PersistentVolumeClaim sandbox-immich-machine-learning-immich-machine-learning-appdata",
            "core/v1:PersistentVolumeClaim sandbox-immich-postgres-immich-postgres-appdata",
            "core/v1:PersistentVolumeClaim sandbox-immich-server-immich-server-nas-photos",
            "core/v1:PersistentVolumeClaim sandbox-traefik-traefik-appdata",
            "core/v1:PersistentVolumeClaim sandbox-uptime-kuma-uptime-kuma-appdata",
        ]);
    });

    test("the Middleware is the forward-auth middleware of the Docker route document the lab writes", async () => {
        const lab = await loadProgram("lab");
        const write = lab.resources.find((resource) => resource.name === "traefik-routes-write");
        const document = JSON.parse(String(write?.inputs.stdin ?? write?.inputs.content)) as {
            http: { middlewares: { authentik: { forwardAuth: unknown } } };
        };
        const middleware = named("kubernetes:traefik.io/v1alpha1:Middleware", "sandbox-authentik-middleware");
        expect((middleware.inputs.spec as { forwardAuth: unknown }).forwardAuth).toEqual(
            document.http.middlewares.authentik.forwardAuth,
        );
        expect(document.http.middlewares.authentik.forwardAuth).toMatchObject({
            address: "http://authentik-server:9000/outpost.goauthentik.io/auth/traefik",
        });
    });

    test("a spec the cluster cannot run fails before any resource is registered", async () => {
        let registered = -1;
        await jest.isolateModulesAsync(async () => {
            const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
            await expect(
                recordRun(pulumi, {
                    stack: "sandbox",
                    config: {},
                    secretKeys: [],
                    importProgram: async () => {
                        const { ClusterServices }: typeof componentModule = await import("../../components/kubernetes");
                        new ClusterServices("sandbox", {
                            specs: specsOf(["beszel-agent"], prod),
                            settings: prod,
                            secrets: {},
                            namespace: "homelab",
                            awaitWorkloads: true,
                            roles,
                            protectStateful: false,
                        });
                        return {};
                    },
                }),
            ).rejects.toMatchObject({
                message: expect.stringContaining(
                    'k3s: beszel-agent.mounts: "docker-socket" is not allowed on k3s',
                ) as unknown,
                registered: 0,
            });
            registered = 0;
        });
        expect(registered).toBe(0);
    });
});
