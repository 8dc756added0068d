import { catalog } from "../../catalog";
import type { ServiceEntry } from "../../catalog/types";
import {
    objectsOf,
    renderCluster,
    renderService,
    type Deployment,
    type RenderedCluster,
    type RenderedService,
    type StatefulSet,
} from "../../components/kubernetes/render";
import { containerSpecs } from "../../components/container-spec";
import { settingsOfStackFile } from "../../config/load";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { repoRoot, stackSettings } from "../helpers/program";
import { candidates, contextOf, entryNamed, renderCandidates, specsOf } from "./fixtures/cluster";
import { validateObjects } from "./schema";

const prod = stackSettings("prod");
const cluster = renderCandidates(prod, { awaitWorkloads: false });

function service(name: string, rendered: RenderedCluster = cluster): RenderedService {
    const found = rendered.services.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`${name} was not rendered`);
    return found;
}

/** The rendered object as the API receives it: plain JSON. */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

interface PodTemplate {
    spec: {
        containers: {
            name: string;
            args?: string[];
            env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
            volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
            readinessProbe?: Record<string, unknown>;
            livenessProbe?: Record<string, unknown>;
        }[];
        volumes?: Record<string, unknown>[];
        securityContext?: Record<string, unknown>;
    };
}
interface WorkloadJson {
    kind: string;
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { replicas: number; template: PodTemplate };
}

const workloadOf = (name: string, rendered: RenderedCluster = cluster): WorkloadJson =>
    json(service(name, rendered).workload.object) as WorkloadJson;
const containerOf = (name: string, rendered: RenderedCluster = cluster) => {
    const container = workloadOf(name, rendered).spec.template.spec.containers[0];
    if (container === undefined) throw new Error(`${name} has no container`);
    return container;
};

describe("the Kubernetes renderer: every candidate from its catalog entry", () => {
    test("the candidates are catalog services; Authentik's Redis (enabled: false) is not rendered", () => {
        for (const name of candidates) expect(entryNamed(name).enabled).not.toBe(false);
        expect(entryNamed("authentik-redis").enabled).toBe(false);
        expect(cluster.services.map((rendered) => rendered.name).sort()).toEqual([...candidates].sort());
    });

    test("every rendered object validates against the Kubernetes and Traefik schemas", () => {
        const objects = objectsOf(cluster, (key) => `placeholder-${key}`);
        const results = validateObjects(objects);
        expect(results.filter((result) => result.error !== null)).toEqual([]);
        const kinds: Record<string, number> = {};
        for (const result of results) kinds[result.kind] = (kinds[result.kind] ?? 0) + 1;
        expect(kinds).toEqual({
            Secret: 7,
            ConfigMap: 1,
            PersistentVolume: 1,
            PersistentVolumeClaim: 9,
            ServiceAccount: 1,
            ClusterRole: 1,
            ClusterRoleBinding: 1,
            Deployment: 9,
            StatefulSet: 2,
            PodDisruptionBudget: 1,
            Service: 10,
            IngressRoute: 6,
            Middleware: 1,
        });
    });

    test("the validator rejects a broken object of each schema family", () => {
        const results = validateObjects([
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "broken" }, spec: { replicas: "two" } },
            {
                apiVersion: "traefik.io/v1alpha1",
                kind: "IngressRoute",
                metadata: { name: "broken" },
                spec: { routes: [{ match: "Host(`x`)", kind: "Rul" }] },
            },
            { apiVersion: "v1", kind: "NoSuchKind", metadata: { name: "broken" } },
        ]);
        expect(results.map((result) => result.error)).toEqual([
            "data/spec must have required property selector, data/spec must have required property template, data/spec/replicas must be integer",
            "data/spec/routes/0/kind must be equal to one of the allowed values",
            expect.stringContaining("Cannot find module"),
        ]);
    });

    test("routes keep the Docker route's hostnames, and forward-auth where the catalog asks for it", () => {
        const routes = cluster.services.flatMap((rendered) =>
            rendered.ingressRoutes.map((route) => {
                const only = route.spec.routes[0];
                return [route.metadata.name, only?.match, only?.services, only?.middlewares];
            }),
        );
        expect(routes).toEqual([
            [
                "traefik",
                "Host(`traefik.giohosted.com`)",
                [{ name: "api@internal", kind: "TraefikService" }],
                [{ name: "authentik" }],
            ],
            ["authentik-server", "Host(`auth.giohosted.com`)", [{ name: "authentik-server", port: 9000 }], undefined],
            ["immich-server", "Host(`photos.giohosted.com`)", [{ name: "immich-server", port: 2283 }], undefined],
            ["beszel", "Host(`beszel.giohosted.com`)", [{ name: "beszel", port: 8090 }], [{ name: "authentik" }]],
            [
                "uptime-kuma",
                "Host(`uptime.giohosted.com`)",
                [{ name: "uptime-kuma", port: 3001 }],
                [{ name: "authentik" }],
            ],
        ]);
        for (const route of cluster.services.flatMap((rendered) => rendered.ingressRoutes)) {
            expect(route.spec.entryPoints).toEqual(["websecure"]);
        }
    });

    test("forward-auth is one Middleware at the Docker route document's outpost address, with the outpost's callback route", () => {
        expect(cluster.middlewares).toHaveLength(1);
        const middleware = cluster.middlewares[0];
        expect(middleware?.metadata).toMatchObject({ name: "authentik", namespace: "homelab" });
        expect(middleware?.spec.forwardAuth.address).toBe(
            "http://authentik-server:9000/outpost.goauthentik.io/auth/traefik",
        );
        expect(middleware?.spec.forwardAuth.trustForwardHeader).toBe(true);
        expect(middleware?.spec.forwardAuth.authResponseHeaders).toContain("X-authentik-username");
        expect(cluster.ingressRoutes.map((route) => route.spec.routes)).toEqual([
            [
                {
                    match:
                        "(Host(`traefik.giohosted.com`) || Host(`beszel.giohosted.com`) || Host(`uptime.giohosted.com`)) " +
                        "&& PathPrefix(`/outpost.goauthentik.io/`)",
                    priority: 10000,
                    kind: "Rule",
                    services: [{ name: "authentik-server", port: 9000 }],
                },
            ],
        ]);
    });

    test("the UID/GID model: 2000:2000 from settings.identity for `user` entries, the recorded user for exceptions", () => {
        for (const name of ["authentik-server", "authentik-worker", "immich-server", "beszel", "uptime-kuma"]) {
            expect([name, workloadOf(name).spec.template.spec.securityContext]).toEqual([
                name,
                { runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000 },
            ]);
        }
        for (const name of ["traefik", "authentik-postgresql", "immich-postgres", "immich-redis"]) {
            expect([name, workloadOf(name).spec.template.spec.securityContext]).toEqual([name, undefined]);
        }
        const other = { ...prod, identity: { uid: 3100, gid: 3200 } };
        const rendered = renderService(specsOf(["uptime-kuma"], other)[0] ?? fail(), contextOf(other));
        expect((json(rendered.workload.object) as WorkloadJson).spec.template.spec.securityContext).toEqual({
            runAsUser: 3100,
            runAsGroup: 3200,
            fsGroup: 3200,
        });
    });

    test("Immich's library is the NAS export over NFS (PV + PVC); appdata is a local-path claim per service", () => {
        const immich = service("immich-server");
        expect(json(immich.persistentVolumes)).toEqual([
            {
                apiVersion: "v1",
                kind: "PersistentVolume",
                metadata: {
                    name: "homelab-immich-server-nas-photos",
                    labels: {
                        "app.kubernetes.io/name": "immich-server",
                        "app.kubernetes.io/part-of": "homelab",
                        "app.kubernetes.io/managed-by": "pulumi",
                        "homelab.stack": "photos",
                    },
                },
                spec: {
                    capacity: { storage: "1Gi" },
                    accessModes: ["ReadWriteMany"],
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: "",
                    mountOptions: ["hard", "noatime"],
                    nfs: { server: "192.168.30.12", path: "/mnt/user/photos", readOnly: false },
                    claimRef: { namespace: "homelab", name: "immich-server-nas-photos" },
                },
            },
        ]);
        expect(json(immich.claims)).toEqual([
            expect.objectContaining({
                metadata: expect.objectContaining({
                    name: "immich-server-nas-photos",
                    namespace: "homelab",
                }) as unknown,
                spec: {
                    accessModes: ["ReadWriteMany"],
                    storageClassName: "",
                    volumeName: "homelab-immich-server-nas-photos",
                    resources: { requests: { storage: "1Gi" } },
                },
            }),
        ]);
        expect(containerOf("immich-server").volumeMounts).toContainEqual({
            name: "nas-photos",
            mountPath: "/data",
            readOnly: false,
        });
        // Without homelab:proxmox.nfs the NAS serves its own data path (hosts.nas-prod-01.storage.data).
        const noExports = { ...prod, proxmox: undefined };
        const direct = renderService(specsOf(["immich-server"], noExports)[0] ?? fail(), contextOf(noExports));
        expect((json(direct.persistentVolumes) as { spec: { nfs: unknown } }[])[0]?.spec.nfs).toEqual({
            server: "192.168.30.12",
            path: "/mnt/user/data/photos",
            readOnly: false,
        });
        const ml = json(service("immich-machine-learning").claims) as {
            spec: { storageClassName: string; accessModes: string[] };
        }[];
        expect(ml.map((claim) => claim.spec)).toEqual([
            {
                accessModes: ["ReadWriteOnce"],
                storageClassName: "local-path",
                resources: { requests: { storage: "1Gi" } },
            },
        ]);
        expect(containerOf("immich-machine-learning").volumeMounts).toEqual([
            { name: "appdata", mountPath: "/cache", subPath: "model-cache" },
        ]);
    });

    test("the databases are StatefulSets on local storage, never on NFS; everything else is a Deployment", () => {
        const kinds = Object.fromEntries(cluster.services.map((rendered) => [rendered.name, rendered.workload.kind]));
        expect(Object.entries(kinds).filter(([, kind]) => kind === "StatefulSet")).toEqual([
            ["authentik-postgresql", "StatefulSet"],
            ["immich-postgres", "StatefulSet"],
        ]);
        for (const name of ["authentik-postgresql", "immich-postgres"]) {
            const rendered = service(name);
            expect(rendered.persistentVolumes).toEqual([]);
            expect(json(rendered.claims)).toEqual([
                expect.objectContaining({
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: "local-path",
                        resources: { requests: { storage: "1Gi" } },
                    },
                }),
            ]);
            const set = json(rendered.workload.object) as { spec: { serviceName: string; replicas: number } };
            expect(set.spec).toMatchObject({ serviceName: name, replicas: 1 });
            expect(containerOf(name).volumeMounts).toContainEqual({
                name: "appdata",
                mountPath: "/var/lib/postgresql/data",
            });
        }
        expect(workloadOf("immich-postgres").spec.template.spec.volumes).toContainEqual({
            name: "shm",
            emptyDir: { medium: "Memory", sizeLimit: "128Mi" },
        });
    });

    test("a database with a NAS mount is refused with one message, before anything is rendered", () => {
        const onNfs = catalog.map((entry): ServiceEntry =>
            entry.name === "immich-postgres"
                ? { ...entry, mounts: [{ from: "data", sub: "photos/db", target: "/var/lib/postgresql/data" }] }
                : entry,
        );
        expect(() => renderCluster(specsOf(["immich-postgres"], prod, onNfs), contextOf(prod))).toThrow(
            'k3s: immich-postgres.mounts: data mount "photos/db" at /var/lib/postgresql/data is not allowed on a database ' +
                "(stateful or dumped); expected its data on the cluster's local storage (appdata), never the NAS over NFS",
        );
    });

    test("what the cluster cannot run is refused by name: a Docker socket, another container's network, a device", () => {
        expect(() => renderCluster(specsOf(["beszel-agent"], prod), contextOf(prod))).toThrow(
            'k3s: beszel-agent.mounts: "docker-socket" is not allowed on k3s (a host path of a Docker VM); ' +
                "expected appdata, a NAS data mount or a tmpfs",
        );
        expect(() => renderCluster(specsOf(["qbittorrent"], prod), contextOf(prod))).toThrow(
            'k3s: qbittorrent.networking: namespace of "gluetun" is not allowed on k3s ' +
                "(a pod cannot join another pod's network); expected bridge or host networking",
        );
        expect(() => renderCluster(specsOf(["gluetun"], prod), contextOf(prod))).toThrow(
            "k3s: gluetun.devices: /dev/net/tun is not allowed on k3s (no device plugin); expected no required devices",
        );
        expect(() => renderCluster(specsOf(["beszel"], prod), contextOf(prod))).toThrow(
            "k3s: beszel: route.forwardAuth on the cluster is not allowed without authentik-server on the cluster; " +
                "expected authentik-server with target k3s, or no forward-auth",
        );
        const noNas = {
            ...prod,
            hosts: Object.fromEntries(Object.entries(prod.hosts).filter(([host]) => host !== "nas-prod-01")),
        };
        expect(() => renderCluster(specsOf(["immich-server"], noNas), contextOf(noNas))).toThrow(
            "k3s: homelab:hosts.nas-prod-01: (missing) is not allowed while immich-server mounts the NAS library; " +
                "expected the NAS host, whose address is the NFS server",
        );
    });

    test("secrets: one Secret per service holding its secret config keys, referenced by secretKeyRef; no value rendered", () => {
        expect(service("authentik-server").secret).toEqual({
            metadata: expect.objectContaining({ name: "authentik-server-secrets", namespace: "homelab" }) as unknown,
            keys: ["authentikDbPassword", "authentikSecretKey"],
        });
        expect(service("authentik-worker").secret?.keys).toEqual([
            "authentikDbPassword",
            "authentikSecretKey",
            "homarrOidcClientSecret",
            "immichOidcClientSecret",
        ]);
        expect(service("immich-server").secret?.keys).toEqual(["immichDbPassword", "immichOidcSettings"]);
        expect(service("beszel").secret).toBeUndefined();
        expect(containerOf("authentik-server").env?.filter((variable) => variable.valueFrom !== undefined)).toEqual([
            {
                name: "AUTHENTIK_SECRET_KEY",
                valueFrom: { secretKeyRef: { name: "authentik-server-secrets", key: "authentikSecretKey" } },
            },
            {
                name: "AUTHENTIK_POSTGRESQL__PASSWORD",
                valueFrom: { secretKeyRef: { name: "authentik-server-secrets", key: "authentikDbPassword" } },
            },
        ]);
        expect(JSON.stringify(cluster)).not.toContain("dummy-secret");
    });

    test("Authentik: two servers, one worker, the blueprint as a ConfigMap where the worker reads blueprints", () => {
        expect(workloadOf("authentik-server").spec.replicas).toBe(2);
        expect(workloadOf("authentik-worker").spec.replicas).toBe(1);
        expect(json(service("authentik-server").disruptionBudget?.spec)).toEqual({
            minAvailable: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": "authentik-server" } },
        });
        expect(cluster.services.filter((one) => one.disruptionBudget !== undefined).map((one) => one.name)).toEqual([
            "authentik-server",
        ]);
        expect(containerOf("authentik-server").args).toEqual(["server"]);
        expect(containerOf("authentik-worker").args).toEqual(["worker"]);
        const worker = service("authentik-worker");
        expect(worker.configMaps.map((map) => [map.metadata.name, Object.keys(map.data ?? {})])).toEqual([
            ["authentik-worker-blueprints", ["homelab.yaml"]],
        ]);
        expect((json(worker.configMaps) as { data: Record<string, string> }[])[0]?.data["homelab.yaml"]).toContain(
            'name: "beszel-forward-auth"',
        );
        expect(containerOf("authentik-worker").volumeMounts).toEqual([
            { name: "appdata", mountPath: "/data", subPath: "data" },
            { name: "appdata", mountPath: "/templates", subPath: "custom-templates" },
            { name: "appdata", mountPath: "/certs", subPath: "certs" },
            { name: "blueprints", mountPath: "/blueprints/homelab", readOnly: true },
        ]);
        const noBlueprint = renderCandidates(prod, { blueprint: undefined });
        expect(service("authentik-worker", noBlueprint).configMaps).toEqual([]);
        expect(containerOf("authentik-worker", noBlueprint).volumeMounts).toContainEqual({
            name: "appdata",
            mountPath: "/blueprints/homelab",
            subPath: "blueprints",
        });
    });

    test("Authentik's two servers: preferably on different nodes, each with its own /data and /templates (no shared node-bound claim)", () => {
        const server = service("authentik-server");
        expect(server.claims).toEqual([]);
        const pod = json(service("authentik-server").workload.object) as {
            spec: { strategy: unknown; template: { spec: { volumes: unknown; affinity: unknown } } };
        };
        expect(pod.spec.template.spec.volumes).toEqual([{ name: "appdata", emptyDir: {} }]);
        expect(containerOf("authentik-server").volumeMounts).toEqual([
            { name: "appdata", mountPath: "/data", subPath: "data" },
            { name: "appdata", mountPath: "/templates", subPath: "custom-templates" },
        ]);
        expect(pod.spec.template.spec.affinity).toEqual({
            podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                        weight: 100,
                        podAffinityTerm: {
                            topologyKey: "kubernetes.io/hostname",
                            labelSelector: { matchLabels: { "app.kubernetes.io/name": "authentik-server" } },
                        },
                    },
                ],
            },
        });
        expect(pod.spec.strategy).toEqual({ type: "RollingUpdate" });
        // A single pod keeps its claim and no affinity.
        const worker = json(service("authentik-worker").workload.object) as { spec: { template: { spec: object } } };
        expect(worker.spec.template.spec).not.toHaveProperty("affinity");
        expect(service("authentik-worker").claims.map((claim) => claim.metadata.name)).toEqual([
            "authentik-worker-appdata",
        ]);
    });

    test("replicas come from the catalog entry, not from the service's role", () => {
        const entries = catalog.map((entry): ServiceEntry => {
            if (entry.name === "authentik-server") return { ...entry, replicas: undefined };
            if (entry.name === "beszel") return { ...entry, replicas: 3 };
            return entry;
        });
        const rendered = renderCluster(specsOf(candidates, prod, entries), contextOf(prod));
        expect(workloadOf("authentik-server", rendered).spec.replicas).toBe(1);
        expect(service("authentik-server", rendered).disruptionBudget).toBeUndefined();
        expect(service("authentik-server", rendered).claims.map((claim) => claim.metadata.name)).toEqual([
            "authentik-server-appdata",
        ]);
        expect(workloadOf("beszel", rendered).spec.replicas).toBe(3);
        expect(json(service("beszel", rendered).disruptionBudget?.spec)).toMatchObject({ minAvailable: 2 });
    });

    test("Traefik from its catalog entry: the CRD provider of its namespace, a LoadBalancer on 80/443, its RBAC", () => {
        const args = containerOf("traefik").args ?? [];
        expect(args).toContain("--entrypoints.websecure.address=:443");
        expect(args).toContain("--ping=true");
        expect(args.filter((arg) => arg.startsWith("--providers."))).toEqual([
            "--providers.kubernetescrd=true",
            "--providers.kubernetescrd.namespaces=homelab",
        ]);
        const traefik = service("traefik");
        expect(json(traefik.services.map((svc) => svc.spec))).toEqual([
            {
                type: "ClusterIP",
                selector: { "app.kubernetes.io/name": "traefik" },
                ports: [{ name: "app", port: 8080, targetPort: 8080, protocol: "TCP" }],
            },
            {
                type: "LoadBalancer",
                selector: { "app.kubernetes.io/name": "traefik" },
                ports: [
                    { name: "tcp-80", port: 80, targetPort: 80, protocol: "TCP" },
                    { name: "tcp-443", port: 443, targetPort: 443, protocol: "TCP" },
                ],
            },
        ]);
        // No Docker socket, no file provider directory: only its certificate store.
        expect(containerOf("traefik").volumeMounts).toEqual([
            { name: "appdata", mountPath: "/letsencrypt", subPath: "letsencrypt" },
        ]);
        expect(json(traefik.rbac?.clusterRoleBinding)).toMatchObject({
            metadata: { name: "homelab-traefik" },
            roleRef: { kind: "ClusterRole", name: "homelab-traefik" },
            subjects: [{ kind: "ServiceAccount", name: "traefik", namespace: "homelab" }],
        });
        expect(workloadOf("traefik").spec.template.spec).toMatchObject({ serviceAccountName: "traefik" });
        // Only the ingress gets a service account token.
        const tokens = cluster.services.filter(
            (rendered) =>
                (
                    json(rendered.workload.object) as WorkloadJson & {
                        spec: { template: { spec: { automountServiceAccountToken: boolean } } };
                    }
                ).spec.template.spec.automountServiceAccountToken,
        );
        expect(tokens.map((rendered) => rendered.name)).toEqual(["traefik"]);
    });

    test("health checks become probes: the same HTTP endpoint or command, with the spec's timing", () => {
        expect(containerOf("immich-server").readinessProbe).toEqual({
            httpGet: { path: "/api/server/ping", port: 2283 },
            periodSeconds: 30,
            timeoutSeconds: 10,
            failureThreshold: 3,
        });
        expect(containerOf("authentik-server").livenessProbe).toEqual({
            exec: { command: ["ak", "healthcheck"] },
            periodSeconds: 30,
            timeoutSeconds: 10,
            failureThreshold: 3,
            initialDelaySeconds: 60,
        });
        expect(containerOf("autokuma").readinessProbe).toBeUndefined();
    });

    test("Immich's settings tmpfs is a RAM-backed emptyDir", () => {
        expect(workloadOf("immich-server").spec.template.spec.volumes).toContainEqual({
            name: "tmpfs-0",
            emptyDir: { medium: "Memory", sizeLimit: "1Mi" },
        });
        expect(containerOf("immich-server").volumeMounts).toContainEqual({
            name: "tmpfs-0",
            mountPath: "/run/homelab",
        });
    });

    test("awaitWorkloads: false marks what Pulumi waits for with skipAwait; true leaves it to Pulumi", () => {
        const marked = (rendered: RenderedCluster): string[] =>
            objectsOf(rendered, () => "")
                .map((object) => json(object) as { kind: string; metadata: { name: string; annotations?: object } })
                .filter((object) => JSON.stringify(object.metadata.annotations ?? {}).includes("skipAwait"))
                .map((object) => `${object.kind}/${object.metadata.name}`);
        expect(marked(renderCandidates(prod, { awaitWorkloads: true }))).toEqual([]);
        const skipped = marked(cluster);
        expect(skipped).toContain("Deployment/authentik-server");
        expect(skipped).toContain("StatefulSet/immich-postgres");
        expect(skipped).toContain("Service/traefik-lb");
        expect(skipped).toContain("PersistentVolumeClaim/immich-server-nas-photos");
        expect(skipped.filter((name) => /^(Secret|ConfigMap|IngressRoute|Middleware)\//.test(name))).toEqual([]);
        expect(workloadOf("beszel").metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
    });

    test("names and labels come from the entry", () => {
        const deployment = service("uptime-kuma").workload.object as Deployment;
        expect(json(deployment.metadata)).toEqual({
            name: "uptime-kuma",
            namespace: "homelab",
            labels: {
                "app.kubernetes.io/name": "uptime-kuma",
                "app.kubernetes.io/part-of": "homelab",
                "app.kubernetes.io/managed-by": "pulumi",
                "homelab.stack": "monitoring",
            },
            annotations: { "pulumi.com/skipAwait": "true" },
        });
        const set = service("immich-postgres").workload.object as StatefulSet;
        expect(json(set.spec)).toMatchObject({
            selector: { matchLabels: { "app.kubernetes.io/name": "immich-postgres" } },
        });
    });
});

function fail(): never {
    throw new Error("no spec rendered");
}

describe("the sandbox stack's cluster (Pulumi.sandbox.yaml)", () => {
    const sandbox = settingsOfStackFile(readStackFile(stackFilePath(repoRoot, "sandbox")));
    const specs = containerSpecs(catalog, sandbox).filter((spec) => spec.target === "k3s");
    const rendered = renderCluster(specs, contextOf(sandbox, { awaitWorkloads: true }));

    test("every candidate is on k3s there, under the sandbox's own hostnames, and every object validates", () => {
        expect(specs.map((spec) => spec.name).sort()).toEqual([...candidates].sort());
        expect(
            rendered.services.flatMap((one) => one.ingressRoutes.map((route) => route.spec.routes[0]?.match)),
        ).toEqual([
            "Host(`traefik.sandbox.giohosted.com`)",
            "Host(`auth.sandbox.giohosted.com`)",
            "Host(`photos.sandbox.giohosted.com`)",
            "Host(`beszel.sandbox.giohosted.com`)",
            "Host(`uptime.sandbox.giohosted.com`)",
        ]);
        const results = validateObjects(objectsOf(rendered, (key) => `placeholder-${key}`));
        expect(results.filter((result) => result.error !== null)).toEqual([]);
    });

    test("its Immich library is the sandbox's own NAS export, and its Traefik needs no DNS token (self-signed)", () => {
        expect(
            (json(service("immich-server", rendered).persistentVolumes) as { spec: { nfs: unknown } }[])[0]?.spec.nfs,
        ).toEqual({
            server: "192.168.30.12",
            path: "/mnt/user/sandbox/photos",
            readOnly: false,
        });
        expect(service("traefik", rendered).secret).toBeUndefined();
    });
});
