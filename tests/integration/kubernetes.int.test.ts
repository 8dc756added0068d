import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { catalog } from "../../catalog";
import { imageRef, type ServiceEntry } from "../../catalog/types";
import { localStorageClass } from "../../components/kubernetes/render";
import { settingsOfStackFile } from "../../config/load";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { checkInput } from "../../input";
import { repoRoot, stackSettings } from "../helpers/program";
import { projectCopy, stillRunning, suiteWorkDir } from "./engine";
import { backendProcesses, TestCluster, type KubeObject } from "./kubernetes/cluster";

/**
 * The sandbox stack (Pulumi.sandbox.yaml: the k3s candidates) converged by the real Pulumi engine
 * and the real Kubernetes provider (plugin resource-kubernetes-v4.25.0 from
 * offline-toolchain/kubernetes/build.sh) on a real API server this test starts on loopback
 * (apiserver.sh: kine, kube-apiserver, kube-controller-manager), given to the program as
 * `homelab:cluster.kubeconfigPath`: preview (a server-side dry run) → up → preview with no change
 * → refresh with no drift → one image change → destroy, each read back from the API server. No pod
 * runs (no kubelet, no registry): `homelab:cluster.awaitWorkloads: false` marks what Pulumi would
 * wait for with `pulumi.com/skipAwait`, in this test only.
 */

const work = suiteWorkDir(path.join(os.tmpdir(), "homelab-k8s-it-"));
const backend = `file://${work}/state`;
const sandboxFile = readStackFile(stackFilePath(repoRoot, "sandbox"));
const namespace = "homelab";
const homelabObjects = "app.kubernetes.io/part-of=homelab";
const changed = { service: "uptime-kuma", tag: "0.0.0-homelab-it" };
/** Every kind the program registers (and the controllers derive), cluster-wide. */
const collections = [
    "/api/v1/namespaces",
    "/apis/apps/v1/deployments",
    "/apis/apps/v1/statefulsets",
    "/apis/apps/v1/replicasets",
    "/api/v1/pods",
    "/api/v1/services",
    "/api/v1/configmaps",
    "/api/v1/secrets",
    "/api/v1/persistentvolumes",
    "/api/v1/persistentvolumeclaims",
    "/api/v1/serviceaccounts",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "/apis/traefik.io/v1alpha1/ingressroutes",
    "/apis/traefik.io/v1alpha1/middlewares",
];

let cluster: TestCluster | undefined;
let stack: Stack;
let project: string | undefined;
let clusterStopped = false;

const api = (): TestCluster => cluster as TestCluster;

/** homelab:cluster of Pulumi.sandbox.yaml, pointed at this test's API server, not awaiting workloads. */
function clusterConfig(): Record<string, unknown> {
    return {
        ...(sandboxFile.config["homelab:cluster"] as Record<string, unknown>),
        kubeconfigPath: api().kubeconfig,
        awaitWorkloads: false,
    };
}

/** The secrets the sandbox stack reads, from the program's own input check: a throwaway value each. */
function sandboxSecretKeys(): string[] {
    const settings = settingsOfStackFile({
        config: { ...sandboxFile.config, "homelab:cluster": clusterConfig() },
    });
    return checkInput(settings, catalog).secretRequests.map((request) => request.key);
}

/**
 * Traefik's CRDs of the catalog's Traefik (from its Go module: traefik-crds.sh), created on the API
 * server as k3s would apply them: the program's IngressRoutes and Middlewares need them.
 */
function createTraefikCrds(): string[] {
    const traefik = catalog.find((entry) => entry.name === "traefik") as ServiceEntry;
    const file = execFileSync(
        "bash",
        [path.join(repoRoot, "offline-toolchain/kubernetes/traefik-crds.sh"), traefik.image.tag],
        {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
        },
    ).trim();
    const names: string[] = [];
    for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
        const crd = document.toJS() as KubeObject | null;
        if (crd === null) continue;
        api().create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        names.push(crd.metadata.name);
    }
    return names.sort();
}

/** Waits until every named CRD is Established (served by the API server). */
async function crdsEstablished(names: string[]): Promise<string[]> {
    const established = (): string[] =>
        names.filter((name) =>
            api()
                .get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)
                ?.status?.conditions?.some(
                    (condition) => condition.type === "Established" && condition.status === "True",
                ),
        );
    for (let attempt = 0; attempt < 60 && established().length < names.length; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return established();
}

/** k3s's bundled local-path StorageClass (the program's appdata claims name it), as k3s defines it. */
function createLocalPathStorageClass(): void {
    api().create("/apis/storage.k8s.io/v1/storageclasses", {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: {
            name: localStorageClass,
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        provisioner: "rancher.io/local-path",
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
    });
}

/** Every workload of the namespace: `Kind/name` → its containers' images. */
function workloadImages(): Record<string, string[]> {
    const images: Record<string, string[]> = {};
    for (const kind of ["deployments", "statefulsets"] as const) {
        for (const object of api().list(`/apis/apps/v1/namespaces/${namespace}/${kind}`, homelabObjects)) {
            images[`${kind}/${object.metadata.name}`] = (object.spec?.template?.spec?.containers ?? []).map(
                (container) => container.image,
            );
        }
    }
    return images;
}

/** The dry-run requests the API server received while `run` ran, as `VERB resource code` → count. */
async function dryRunsDuring(run: () => Promise<unknown>): Promise<Record<string, number>> {
    const before = api().dryRuns();
    await run();
    const after = api().dryRuns();
    return Object.fromEntries(
        Object.entries(after)
            .map(([key, count]): [string, number] => [key, count - (before[key] ?? 0)])
            .filter(([, count]) => count > 0),
    );
}

/** The steps a preview plans other than `same`, as `op type name` with the properties each diff touches. */
async function plannedSteps(): Promise<{ step: string; diffs: string[] }[]> {
    const events: EngineEvent[] = [];
    await stack.preview({ onEvent: (event) => events.push(event) });
    return events
        .map((event) => event.resourcePreEvent?.metadata)
        .filter((metadata) => metadata !== undefined && metadata.op !== "same")
        .map((metadata) => ({
            step: `${metadata?.op} ${metadata?.type} ${metadata?.urn.split("::").pop()}`,
            diffs: Object.keys(metadata?.detailedDiff ?? {}).sort(),
        }));
}

beforeAll(async () => {
    cluster = new TestCluster(path.join(work, "cluster"));
    project = projectCopy();
    fs.mkdirSync(path.join(work, "state"));
    stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "sandbox", workDir: project },
        {
            envVars: {
                PULUMI_BACKEND_URL: backend,
                PULUMI_CONFIG_PASSPHRASE: "integration-test",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            },
            secretsProvider: "passphrase",
        },
    );
    // The project copy's Pulumi.sandbox.yaml is the working copy: the repository's is never written.
    await stack.setConfig("homelab:cluster", { value: JSON.stringify(clusterConfig()) });
    for (const key of sandboxSecretKeys()) {
        await stack.setConfig(`homelab:${key}`, { value: `it-${key}`, secret: true });
    }
});

afterAll(() => {
    // A failed or timed-out step may leave a `pulumi` and its plugins behind: this test's only.
    for (const info of backendProcesses(backend)) {
        try {
            process.kill(info.pid, "SIGKILL");
        } catch {
            // exited meanwhile
        }
    }
    if (cluster !== undefined && !clusterStopped) cluster.stop();
    if (project !== undefined) fs.rmSync(project, { recursive: true, force: true });
    // A run that never reached the last step keeps the API server's logs (<work>/cluster/logs).
    if (clusterStopped) fs.rmSync(work, { recursive: true, force: true });
    else console.log(`kept for inspection: ${work}`);
});

test("the API server listens on loopback, on none of the lab stack's fixed ports, with what k3s brings", async () => {
    const { traefik } = stackSettings("lab");
    expect([traefik.httpPort, traefik.httpsPort, 6881]).not.toContain(api().port);
    expect(fs.readFileSync(api().kubeconfig, "utf8")).toContain(`server: https://127.0.0.1:${api().port}\n`);
    expect(api().request("/readyz")).toEqual({ status: 200, body: "ok" });
    const crds = createTraefikCrds();
    expect(crds).toEqual(expect.arrayContaining(["ingressroutes.traefik.io", "middlewares.traefik.io"]));
    expect(await crdsEstablished(crds)).toEqual(crds);
    createLocalPathStorageClass();
});

test("preview asks the API server for a server-side dry run and creates nothing", async () => {
    let summary: Record<string, number> = {};
    const dryRuns = await dryRunsDuring(async () => {
        summary = (await stack.preview()).changeSummary;
    });
    expect(Object.keys(summary)).toEqual(["create"]);
    // The Namespace and the cluster-wide objects are applied with dryRun=All; namespaced objects get
    // 404 (their Namespace does not exist yet) and the provider previews them client-side, as it
    // does against any cluster.
    expect(dryRuns).toMatchObject({
        "APPLY namespaces 201": 1,
        "APPLY persistentvolumes 201": 1,
        "APPLY clusterroles 201": 1,
        "APPLY clusterrolebindings 201": 1,
    });
    expect(api().get(`/api/v1/namespaces/${namespace}`)).toBeUndefined();
});

test("up creates the sandbox's workloads, routes and claims, and the controllers act on them", async () => {
    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    // The provider is the plugin engine/env.sh installed (no "from $PATH", no download); no object
    // got a warning event (a missing StorageClass or CRD would give one). Left out: the API server's
    // own ClusterIP allocator, which under load may see a new Service before its address is
    // recorded and repairs it ("ClusterIPNotAllocated ... repairing").
    const warnings = `${result.stdout}\n${result.stderr}`
        .split("\n")
        .filter((line) => /warning|download/i.test(line) && !line.includes("ClusterIPNotAllocated"));
    expect(warnings).toEqual([]);
    // Every sandbox target is a workload running the catalog's image; databases are StatefulSets.
    const targets = sandboxFile.config["homelab:targets"] as Record<string, string>;
    const statefulSets = ["authentik-postgresql", "immich-postgres"];
    const expected = Object.keys(targets).map((name) => {
        const entry = catalog.find((candidate) => candidate.name === name) as ServiceEntry;
        return [`${statefulSets.includes(name) ? "statefulsets" : "deployments"}/${name}`, [imageRef(entry.image)]];
    });
    expect(workloadImages()).toEqual(Object.fromEntries(expected));
    // kube-controller-manager made a ReplicaSet per Deployment and the pods (Pending: no kubelet).
    expect(api().list(`/apis/apps/v1/namespaces/${namespace}/replicasets`, homelabObjects)).toHaveLength(
        expected.length - statefulSets.length,
    );
    // Each URL of the stack is an IngressRoute's host; forward auth is one Middleware.
    const urls = (await stack.outputs()).urls?.value as Record<string, string>;
    expect(Object.keys(urls).sort()).toEqual(["authentik-server", "beszel", "immich-server", "traefik", "uptime-kuma"]);
    const matches = api()
        .list(`/apis/traefik.io/v1alpha1/namespaces/${namespace}/ingressroutes`, homelabObjects)
        .flatMap((route) => (route.spec?.routes ?? []).map((rule) => rule.match))
        .join("\n");
    for (const url of Object.values(urls)) expect(matches).toContain(`Host(\`${new URL(url).hostname}\`)`);
    expect(api().list(`/apis/traefik.io/v1alpha1/namespaces/${namespace}/middlewares`, homelabObjects)).toHaveLength(1);
    // Immich's library is the NAS over NFS: a PersistentVolume bound to its claim by the controller.
    expect(
        api()
            .list("/api/v1/persistentvolumes", homelabObjects)
            .map((volume) => volume.metadata.name),
    ).toEqual(["homelab-immich-server-nas-photos"]);
    const claim = `/api/v1/namespaces/${namespace}/persistentvolumeclaims/immich-server-nas-photos`;
    for (let attempt = 0; attempt < 30 && api().get(claim)?.status?.phase !== "Bound"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(api().get(claim)?.status?.phase).toBe("Bound");
});

test("a second preview plans no change and refresh finds no drift", async () => {
    const preview = await stack.preview();
    expect(Object.keys(preview.changeSummary).filter((op) => op !== "same")).toEqual([]);
    const refresh = await stack.refresh({ onOutput: () => undefined });
    expect(Object.keys(refresh.summary.resourceChanges ?? {}).filter((op) => op !== "same")).toEqual([]);
});

test("one image change in the catalog updates only that workload's pod template", async () => {
    // What a Renovate bump of Uptime Kuma's tag does, in the project copy's catalog.
    const entry = catalog.find((candidate) => candidate.name === changed.service) as ServiceEntry;
    const file = path.join(project as string, "catalog/stacks/monitoring.ts");
    const pin = `repository: "${entry.image.repository}", tag: "${entry.image.tag}"`;
    const source = fs.readFileSync(file, "utf8");
    expect(source).toContain(pin);
    fs.writeFileSync(file, source.replace(pin, `repository: "${entry.image.repository}", tag: "${changed.tag}"`));
    const before = workloadImages();

    let steps: { step: string; diffs: string[] }[] = [];
    const dryRuns = await dryRunsDuring(async () => {
        steps = await plannedSteps();
    });
    expect(steps).toEqual([
        {
            step: "update kubernetes:apps/v1:Deployment k3s-services-uptime-kuma",
            diffs: ["spec.template.spec.containers[0].image"],
        },
    ]);
    expect(dryRuns).toEqual({ "APPLY deployments 200": 1 });

    const result = await stack.up({ onOutput: () => undefined });
    expect(Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same")).toEqual([
        ["update", 1],
    ]);
    const after = workloadImages();
    expect(after["deployments/uptime-kuma"]).toEqual(["docker.io/louislam/uptime-kuma:0.0.0-homelab-it"]);
    expect(api().get(`/apis/apps/v1/namespaces/${namespace}/deployments/uptime-kuma`)?.metadata.generation).toBe(2);
    expect(Object.keys(after).filter((workload) => after[workload]?.join() !== before[workload]?.join())).toEqual([
        "deployments/uptime-kuma",
    ]);
});

test("destroy leaves no object with the homelab labels and removes the namespace", async () => {
    await stack.destroy({ onOutput: () => undefined });
    for (const collection of collections) {
        expect({ collection, left: api().list(collection, homelabObjects) }).toEqual({ collection, left: [] });
    }
    expect(api().get(`/api/v1/namespaces/${namespace}`)).toBeUndefined();
});

test("stopping the API server leaves none of its processes, nor any of this test's engine", () => {
    const pids = Object.entries(api().pids()).map(([command, pid]) => ({ pid, command }));
    expect(pids.map((info) => info.command).sort()).toEqual(["kine", "kube-apiserver", "kube-controller-manager"]);
    api().stop();
    clusterStopped = true;
    expect(stillRunning(pids)).toEqual([]);
    expect(backendProcesses(backend)).toEqual([]);
});
