import type * as k8s from "@pulumi/kubernetes";
import type { Settings } from "../../config/schema";
import { exportLocation } from "../../config/proxmox";
import { resolve, type Mount, type ServiceEntry } from "../../catalog/types";
import { blueprintsTarget } from "../../catalog/stacks/auth";
import { staticMonitorsTarget } from "../../catalog/stacks/monitoring";
import { traefikDynamicDir, tunnelTrustArgs } from "../../catalog/stacks/traefik";
import { blueprintFileName } from "../sso/blueprint";
import { nasHost, type Roles } from "../../topology";
import type { ContainerSpec } from "../container-spec";
import { hostnameOf, storageFor, type HealthcheckSpec } from "../spec";
import { forwardAuthMiddleware, outpostPriority, outpostRouterRule, type ForwardAuth } from "../edge/routes";

/**
 * The second adapter of the container spec: pure functions from a ContainerSpec (and the stack's
 * settings) to the Kubernetes objects of one service on the k3s cluster. No Pulumi values, no
 * resources: components/kubernetes/index.ts registers what these return, and the tests validate
 * every object against the Kubernetes and Traefik schemas.
 *
 * Not rendered here: Traefik's CRDs (IngressRoute, Middleware, …). They are cluster-wide and
 * versioned with Traefik; they are installed with the cluster (k3s's own manifests directory or
 * Traefik's CRD bundle), before these objects.
 */

type ObjectMeta = k8s.types.input.meta.v1.ObjectMeta;
type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Probe = k8s.types.input.core.v1.Probe;
type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
/** An object whose name is known as plain data: the component names its resource after it. */
export type Named<T> = T & { metadata: ObjectMeta & { name: string } };
export type Deployment = Named<k8s.types.input.apps.v1.Deployment>;
export type StatefulSet = Named<k8s.types.input.apps.v1.StatefulSet>;
export type KubeService = Named<k8s.types.input.core.v1.Service>;
export type ConfigMap = Named<k8s.types.input.core.v1.ConfigMap>;
export type PersistentVolume = Named<k8s.types.input.core.v1.PersistentVolume>;
export type PersistentVolumeClaim = Named<k8s.types.input.core.v1.PersistentVolumeClaim>;
export type ServiceAccount = Named<k8s.types.input.core.v1.ServiceAccount>;
export type ClusterRole = Named<k8s.types.input.rbac.v1.ClusterRole>;
export type ClusterRoleBinding = Named<k8s.types.input.rbac.v1.ClusterRoleBinding>;
export type PodDisruptionBudget = Named<k8s.types.input.policy.v1.PodDisruptionBudget>;

/** k3s's bundled local-path provisioner: a directory on the node that runs the pod. */
export const localStorageClass = "local-path";

/**
 * The size a claim asks for. Neither local-path nor a static NFS volume enforces it; the catalog
 * records no size per service, so every claim asks for the same nominal amount.
 */
export const nominalClaimSize = "1Gi";

/** Where a Traefik CRD object lives: the apiVersion @kubernetes-models/traefik validates. */
export const traefikApiVersion = "traefik.io/v1alpha1";

/** Set on every object Pulumi waits for, when the cluster has no kubelet (the real-engine test). */
export const skipAwaitAnnotation = "pulumi.com/skipAwait";

/** The node label replicated pods prefer to differ in: one pod per node where the cluster has enough. */
export const nodeTopologyKey = "kubernetes.io/hostname";

export interface IngressRoute {
    apiVersion: typeof traefikApiVersion;
    kind: "IngressRoute";
    metadata: ObjectMeta & { name: string; namespace: string };
    spec: {
        entryPoints: string[];
        routes: {
            match: string;
            kind: "Rule";
            priority?: number;
            services: ({ name: string; port: number } | { name: string; kind: "TraefikService" })[];
            middlewares?: { name: string }[];
        }[];
    };
}

export interface Middleware {
    apiVersion: typeof traefikApiVersion;
    kind: "Middleware";
    metadata: ObjectMeta & { name: string; namespace: string };
    spec: { forwardAuth: ForwardAuth };
}

/** A service's secret config values as one k8s Secret: data key = secret config key (`homelab:<key>`). */
export interface RenderedSecret {
    metadata: ObjectMeta & { name: string; namespace: string };
    /** The secret config keys it holds, sorted; their values are filled in only as Pulumi secrets. */
    keys: string[];
}

export type Workload = { kind: "Deployment"; object: Deployment } | { kind: "StatefulSet"; object: StatefulSet };

/** Every object of one service on the cluster. */
export interface RenderedService {
    name: string;
    labels: Record<string, string>;
    secret?: RenderedSecret;
    configMaps: ConfigMap[];
    /** Cluster-scoped: the NAS library over NFS (named with the namespace, so two namespaces never clash). */
    persistentVolumes: PersistentVolume[];
    claims: PersistentVolumeClaim[];
    workload: Workload;
    /** Where it runs more than once: a drained node never takes every replica at once. */
    disruptionBudget?: PodDisruptionBudget;
    services: KubeService[];
    /** The ingress's identity and the read access its kubernetescrd provider needs. */
    rbac?: { serviceAccount: ServiceAccount; clusterRole: ClusterRole; clusterRoleBinding: ClusterRoleBinding };
    ingressRoutes: IngressRoute[];
}

/** The namespace's objects: one per service, plus the forward-auth middleware and the outpost's route. */
export interface RenderedCluster {
    services: RenderedService[];
    middlewares: Middleware[];
    ingressRoutes: IngressRoute[];
}

export interface ClusterContext {
    settings: Settings;
    namespace: string;
    /** Who routes, who signs in, who reads the blueprint (topology `roles`). */
    roles: Pick<Roles, "ingress" | "identityProvider" | "blueprintReader" | "monitorAgent">;
    /** False: every object Pulumi would wait for carries `pulumi.com/skipAwait: "true"`. */
    awaitWorkloads: boolean;
    /** The storage class of appdata claims; k3s's local-path by default. */
    storageClass?: string;
    /** The Authentik blueprint (YAML) the blueprint reader gets as a ConfigMap; absent: none. */
    blueprint?: string;
    /** Uptime Kuma's monitor files (file name → JSON) the monitor agent gets as a ConfigMap; absent: none. */
    monitors?: Readonly<Record<string, string>>;
}

/** The secret as the API receives it, with each key's value from `valueOf` (a Pulumi secret in the component). */
export function secretObject<T>(
    secret: RenderedSecret,
    valueOf: (key: string) => T,
): {
    apiVersion: "v1";
    kind: "Secret";
    metadata: RenderedSecret["metadata"];
    type: "Opaque";
    stringData: Record<string, T>;
} {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: secret.metadata,
        type: "Opaque",
        stringData: Object.fromEntries(secret.keys.map((key) => [key, valueOf(key)])),
    };
}

export function labelsOf(entry: ServiceEntry): Record<string, string> {
    return {
        "app.kubernetes.io/name": entry.name,
        "app.kubernetes.io/part-of": "homelab",
        "app.kubernetes.io/managed-by": "pulumi",
        "homelab.stack": entry.stack,
    };
}

const selectorOf = (entry: ServiceEntry): Record<string, string> => ({ "app.kubernetes.io/name": entry.name });

/** A database: its data must survive, so it runs as a StatefulSet on local storage only. */
export function isDatabase(entry: ServiceEntry): boolean {
    return entry.stateful === true || entry.dump !== undefined;
}

const slug = (value: string): string =>
    value
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");

/** Everything about a spec the cluster cannot run, one message each. */
export function clusterProblems(spec: ContainerSpec, context: ClusterContext): string[] {
    const { entry } = spec;
    const where = `k3s: ${entry.name}`;
    const problems: string[] = [];
    const ingress = entry.name === context.roles.ingress;
    for (const mount of entry.mounts) {
        if (mount.from === "data" && isDatabase(entry)) {
            problems.push(
                `${where}.mounts: data mount ${JSON.stringify(mount.sub)} at ${mount.target} is not allowed on a database ` +
                    "(stateful or dumped); expected its data on the cluster's local storage (appdata), never the NAS over NFS",
            );
        }
        if (mount.from === "data") {
            const problem = nfsProblem(context.settings, entry.name);
            if (problem !== undefined) problems.push(problem);
        }
        if (mount.from === "stacks" || mount.from === "scratch" || (mount.from === "docker-socket" && !ingress)) {
            problems.push(
                `${where}.mounts: ${JSON.stringify(mount.from)} is not allowed on k3s (a host path of a Docker VM); ` +
                    "expected appdata, a NAS data mount or a tmpfs",
            );
        }
    }
    if (spec.network.mode === "namespace") {
        problems.push(
            `${where}.networking: namespace of ${JSON.stringify(spec.network.of)} is not allowed on k3s ` +
                "(a pod cannot join another pod's network); expected bridge or host networking",
        );
    }
    // Optional devices (a GPU) are done without, as on a Docker host that lacks them.
    const required = (entry.devices ?? []).filter((device) => !device.optional).map((device) => device.path);
    if (required.length > 0) {
        problems.push(
            `${where}.devices: ${required.join(", ")} is not allowed on k3s (no device plugin); expected no required devices`,
        );
    }
    if (spec.init === true) {
        problems.push(`${where}.init: true is not allowed on k3s (pods have no Docker init); expected no init`);
    }
    return problems;
}

function nfsProblem(settings: Settings, service: string): string | undefined {
    if (settings.hosts[nasHost] !== undefined) return undefined;
    return (
        `k3s: homelab:hosts.${nasHost}: (missing) is not allowed while ${service} mounts the NAS library; ` +
        "expected the NAS host, whose address is the NFS server"
    );
}

/**
 * Where the NAS serves `<data>/<sub>` over NFS: the export mounted at the longest prefix of `sub`
 * (homelab:proxmox.nfs.exports, as the VMs mount them), else the NAS's own data path.
 */
export function nfsSourceOf(settings: Settings, sub: string, service: string): { server: string; path: string } {
    const nas = settings.hosts[nasHost];
    if (nas === undefined) throw new Error(nfsProblem(settings, service));
    const join = (base: string, rest: string): string => (rest === "" ? base : `${base}/${rest}`);
    const covering = Object.entries(settings.proxmox?.nfs?.exports ?? {})
        .map(([key, value]) => exportLocation(key, value))
        .filter(({ at }) => at === "" || sub === at || sub.startsWith(`${at}/`))
        .sort((a, b) => b.at.length - a.at.length)[0];
    if (covering !== undefined) {
        const rest = covering.at === "" ? sub : sub.slice(covering.at.length).replace(/^\//, "");
        return { server: nas.address, path: join(covering.path, rest) };
    }
    return { server: nas.address, path: join(storageFor(settings, nas).data, sub) };
}

/** Go durations as the spec writes them ("30s", "1m0s") in whole seconds. */
export function seconds(duration: string): number {
    let total = 0;
    for (const [, amount, unit] of duration.matchAll(/(\d+)(h|m|s)/g)) {
        total += Number(amount) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
    }
    return total;
}

/**
 * The catalog's health check as probes: the same HTTP endpoint (also where the image declares
 * its own HEALTHCHECK, which Kubernetes ignores) or the same command, with the spec's timing.
 */
export function probesOf(spec: ContainerSpec): { readinessProbe?: Probe; livenessProbe?: Probe } {
    const health = spec.entry.health;
    const timing: HealthcheckSpec | undefined = spec.healthcheck;
    const period = timing === undefined ? 30 : seconds(timing.interval);
    const common = {
        periodSeconds: period,
        timeoutSeconds: timing === undefined ? 10 : seconds(timing.timeout),
        failureThreshold: timing?.retries ?? 3,
    };
    const startPeriod = timing === undefined ? 60 : seconds(timing.startPeriod);
    let handler: Pick<Probe, "httpGet" | "exec">;
    switch (health.kind) {
        case "http":
        case "image":
            handler = { httpGet: { path: health.path, port: health.port } };
            break;
        case "command":
            handler = { exec: { command: [...health.test] } };
            break;
        case "none":
            return {};
    }
    return {
        readinessProbe: { ...handler, ...common },
        livenessProbe: { ...handler, ...common, initialDelaySeconds: startPeriod },
    };
}

/**
 * The UID/GID model as Docker has it: `user` runs as the service identity (runAsUser/runAsGroup)
 * and its volumes are group-owned by it (fsGroup); `puid` images start as root and drop to
 * PUID/PGID themselves (env), so only fsGroup; an exception keeps its recorded user, with fsGroup
 * only where the catalog records an owner for its appdata.
 */
export function podSecurityContextOf(entry: ServiceEntry, settings: Settings): PodSecurityContext | undefined {
    const { uid, gid } = settings.identity;
    switch (entry.user.kind) {
        case "user":
            return { runAsUser: uid, runAsGroup: gid, fsGroup: gid };
        case "puid":
            return { fsGroup: gid };
        case "exception":
            return entry.user.appdataOwner === undefined ? undefined : { fsGroup: entry.user.appdataOwner.gid };
    }
}

const tmpfsSize = (options: string): string | undefined => {
    const size = /(?:^|,)size=(\d+)([kmg])(?:,|$)/.exec(options);
    if (size === null) return undefined;
    return `${size[1]}${{ k: "Ki", m: "Mi", g: "Gi" }[size[2] as "k" | "m" | "g"]}`;
};

interface VolumePlan {
    volumes: Volume[];
    mounts: VolumeMount[];
    configMaps: ConfigMap[];
    persistentVolumes: PersistentVolume[];
    claims: PersistentVolumeClaim[];
}

function awaitAnnotations(context: ClusterContext): Record<string, string> | undefined {
    return context.awaitWorkloads ? undefined : { [skipAwaitAnnotation]: "true" };
}

function meta(
    name: string,
    entry: ServiceEntry,
    context: ClusterContext,
    awaited = false,
): ObjectMeta & {
    name: string;
    namespace: string;
} {
    const annotations = awaited ? awaitAnnotations(context) : undefined;
    return {
        name,
        namespace: context.namespace,
        labels: labelsOf(entry),
        ...(annotations === undefined ? {} : { annotations }),
    };
}

/** The mounts the ingress does without on k3s: the Docker socket and the file provider's directory. */
function dockerOnly(mount: Mount, entry: ServiceEntry, context: ClusterContext): boolean {
    if (entry.name !== context.roles.ingress) return false;
    return mount.from === "docker-socket" || (mount.from === "appdata" && mount.target === traefikDynamicDir);
}

function volumesOf(spec: ContainerSpec, context: ClusterContext): VolumePlan {
    const { entry } = spec;
    const plan: VolumePlan = { volumes: [], mounts: [], configMaps: [], persistentVolumes: [], claims: [] };
    const appdataClaim = `${entry.name}-appdata`;
    const blueprint =
        entry.name === context.roles.blueprintReader && context.blueprint !== undefined ? context.blueprint : undefined;
    const monitors =
        entry.name === context.roles.monitorAgent && context.monitors !== undefined ? context.monitors : undefined;
    let appdataUsed = false;
    for (const mount of entry.mounts) {
        if (dockerOnly(mount, entry, context)) continue;
        if (mount.from === "appdata") {
            if (monitors !== undefined && mount.target === staticMonitorsTarget) {
                // The files the program writes into AutoKuma's static-monitor directory on a Docker host.
                const name = `${entry.name}-monitors`;
                plan.configMaps.push({
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    metadata: meta(name, entry, context),
                    data: { ...monitors },
                });
                plan.volumes.push({ name: "monitors", configMap: { name } });
                plan.mounts.push({ name: "monitors", mountPath: mount.target, readOnly: true });
                continue;
            }
            if (blueprint !== undefined && mount.target === blueprintsTarget) {
                const name = `${entry.name}-blueprints`;
                plan.configMaps.push({
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    metadata: meta(name, entry, context),
                    data: { [blueprintFileName]: blueprint },
                });
                plan.volumes.push({ name: "blueprints", configMap: { name } });
                plan.mounts.push({ name: "blueprints", mountPath: mount.target, readOnly: true });
                continue;
            }
            appdataUsed = true;
            plan.mounts.push({
                name: "appdata",
                mountPath: mount.target,
                ...(mount.sub === undefined ? {} : { subPath: mount.sub }),
            });
        } else if (mount.from === "data") {
            const part = slug(mount.sub) || "root";
            const claim = `${entry.name}-nas-${part}`;
            const volume = `${context.namespace}-${claim}`;
            const source = nfsSourceOf(context.settings, mount.sub, entry.name);
            const access = mount.readOnly === true ? "ReadOnlyMany" : "ReadWriteMany";
            plan.persistentVolumes.push({
                apiVersion: "v1",
                kind: "PersistentVolume",
                metadata: { name: volume, labels: labelsOf(entry) },
                spec: {
                    capacity: { storage: nominalClaimSize },
                    accessModes: [access],
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: "",
                    mountOptions: (context.settings.proxmox?.nfs?.options ?? "hard,noatime")
                        .split(",")
                        .filter((option) => option !== "" && option !== "_netdev"),
                    nfs: { server: source.server, path: source.path, readOnly: mount.readOnly ?? false },
                    claimRef: { namespace: context.namespace, name: claim },
                },
            });
            plan.claims.push({
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: meta(claim, entry, context, true),
                spec: {
                    accessModes: [access],
                    storageClassName: "",
                    volumeName: volume,
                    resources: { requests: { storage: nominalClaimSize } },
                },
            });
            const name = `nas-${part}`;
            plan.volumes.push({ name, persistentVolumeClaim: { claimName: claim, readOnly: mount.readOnly ?? false } });
            plan.mounts.push({ name, mountPath: mount.target, readOnly: mount.readOnly ?? false });
        }
    }
    if (appdataUsed && replicasOf(entry) > 1) {
        // Pods on several nodes cannot share a node-bound local-path claim: each pod's appdata is its
        // own, gone with the pod (the catalog allows replicas only where nothing there must outlive it).
        plan.volumes.unshift({ name: "appdata", emptyDir: {} });
    } else if (appdataUsed) {
        plan.claims.unshift({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: meta(appdataClaim, entry, context, true),
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: context.storageClass ?? localStorageClass,
                resources: { requests: { storage: nominalClaimSize } },
            },
        });
        plan.volumes.unshift({ name: "appdata", persistentVolumeClaim: { claimName: appdataClaim } });
    }
    Object.entries(spec.tmpfs ?? {}).forEach(([target, options], i) => {
        const size = tmpfsSize(options);
        const name = `tmpfs-${i}`;
        plan.volumes.push({ name, emptyDir: { medium: "Memory", ...(size === undefined ? {} : { sizeLimit: size }) } });
        plan.mounts.push({ name, mountPath: target });
    });
    if (spec.shmSizeMb !== undefined) {
        plan.volumes.push({ name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${spec.shmSizeMb}Mi` } });
        plan.mounts.push({ name: "shm", mountPath: "/dev/shm" });
    }
    return plan;
}

/**
 * Traefik's static arguments on the cluster: the CRD provider of this namespace instead of Docker
 * and the file provider, and no forwarded-header trust. The trusted address is the tunnel
 * connector's on the edge host's Docker `tunnel` network (catalog/stacks/traefik.ts); on the
 * cluster the connector's requests arrive through a node's address and ServiceLB, which every LAN
 * client's request shares, so nothing there may be trusted.
 */
export function ingressArgs(command: readonly string[], namespace: string): string[] {
    return [
        ...command.filter((arg) => !arg.startsWith("--providers.") && !tunnelTrustArgs.includes(arg)),
        "--providers.kubernetescrd=true",
        `--providers.kubernetescrd.namespaces=${namespace}`,
    ];
}

const portName = (protocol: string, port: number): string => `${protocol}-${port}`;

function containerOf(
    spec: ContainerSpec,
    context: ClusterContext,
    plan: VolumePlan,
    secret?: RenderedSecret,
): Container {
    const { entry } = spec;
    const published = resolve(entry.publish, context.settings, []);
    const ports = [
        ...(entry.port === undefined ? [] : [{ containerPort: entry.port, protocol: "TCP" }]),
        ...published
            .filter((port) => port.port !== entry.port)
            .map((port) => ({
                containerPort: port.port,
                protocol: port.protocol.toUpperCase(),
                name: portName(port.protocol, port.port),
            })),
    ];
    const command = spec.command;
    const args = entry.name === context.roles.ingress ? ingressArgs(command ?? [], context.namespace) : command;
    const env = [
        ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
        ...Object.entries(spec.secretEnv).map(([name, key]) => ({
            name,
            valueFrom: { secretKeyRef: { name: secret?.metadata.name ?? "", key } },
        })),
    ];
    const capabilities = spec.capabilities?.map((cap) => cap.replace(/^CAP_/, ""));
    return {
        name: entry.name,
        image: spec.image,
        imagePullPolicy: "IfNotPresent",
        // Docker's `command` replaces the image's CMD: Kubernetes calls that `args`.
        ...(args === undefined ? {} : { args: [...args] }),
        ...(env.length === 0 ? {} : { env }),
        ...(ports.length === 0 ? {} : { ports }),
        ...(plan.mounts.length === 0 ? {} : { volumeMounts: plan.mounts }),
        ...probesOf(spec),
        ...(capabilities === undefined ? {} : { securityContext: { capabilities: { add: capabilities } } }),
    };
}

/** The catalog's pod count (ServiceEntry.replicas, validated ≥ 1); one by default. */
export function replicasOf(entry: ServiceEntry): number {
    return entry.replicas ?? 1;
}

/** Replicated pods prefer different nodes (preferred, not required: a one-node sandbox still runs them). */
function spreadOf(entry: ServiceEntry): k8s.types.input.core.v1.Affinity {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                {
                    weight: 100,
                    podAffinityTerm: {
                        topologyKey: nodeTopologyKey,
                        labelSelector: { matchLabels: selectorOf(entry) },
                    },
                },
            ],
        },
    };
}

/** The read access Traefik's kubernetescrd provider needs (Traefik v3's documented RBAC). */
export const ingressRules: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["services", "secrets", "nodes"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    {
        apiGroups: ["traefik.io"],
        resources: [
            "middlewares",
            "middlewaretcps",
            "ingressroutes",
            "traefikservices",
            "ingressroutetcps",
            "ingressrouteudps",
            "tlsoptions",
            "tlsstores",
            "serverstransports",
            "serverstransporttcps",
        ],
        verbs: ["get", "list", "watch"],
    },
];

function rbacOf(entry: ServiceEntry, context: ClusterContext): RenderedService["rbac"] {
    const clusterWide = `${context.namespace}-${entry.name}`;
    const labels = labelsOf(entry);
    return {
        serviceAccount: { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(entry.name, entry, context) },
        clusterRole: {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: clusterWide, labels },
            rules: ingressRules,
        },
        clusterRoleBinding: {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: clusterWide, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterWide },
            subjects: [{ kind: "ServiceAccount", name: entry.name, namespace: context.namespace }],
        },
    };
}

function servicesOf(spec: ContainerSpec, context: ClusterContext): KubeService[] {
    const { entry } = spec;
    const published = resolve(entry.publish, context.settings, []);
    const services: KubeService[] = [];
    if (entry.port !== undefined) {
        services.push({
            apiVersion: "v1",
            kind: "Service",
            metadata: meta(entry.name, entry, context, true),
            spec: {
                type: "ClusterIP",
                selector: selectorOf(entry),
                ports: [{ name: "app", port: entry.port, targetPort: entry.port, protocol: "TCP" }],
            },
        });
    }
    if (published.length > 0) {
        // What Docker publishes on the host's address, the cluster publishes on its load balancer (k3s ServiceLB).
        services.push({
            apiVersion: "v1",
            kind: "Service",
            metadata: meta(`${entry.name}-lb`, entry, context, true),
            spec: {
                type: "LoadBalancer",
                selector: selectorOf(entry),
                ports: published.map((port) => ({
                    name: portName(port.protocol, port.port),
                    port: port.hostPort ?? port.port,
                    targetPort: port.port,
                    protocol: port.protocol.toUpperCase(),
                })),
            },
        });
    }
    return services;
}

function ingressRoutesOf(entry: ServiceEntry, context: ClusterContext): IngressRoute[] {
    const route = entry.route;
    const host = hostnameOf(entry, context.settings);
    if (route === undefined || host === undefined) return [];
    const service =
        route.traefikService !== undefined
            ? { name: route.traefikService, kind: "TraefikService" as const }
            : entry.port !== undefined
              ? { name: entry.name, port: entry.port }
              : undefined;
    if (service === undefined) return [];
    return [
        {
            apiVersion: traefikApiVersion,
            kind: "IngressRoute",
            metadata: meta(entry.name, entry, context),
            spec: {
                entryPoints: ["websecure"],
                routes: [
                    {
                        match: `Host(\`${host}\`)`,
                        kind: "Rule",
                        services: [service],
                        ...(route.forwardAuth ? { middlewares: [{ name: forwardAuthName }] } : {}),
                    },
                ],
            },
        },
    ];
}

/** The Middleware's name, as the Docker route document names it. */
export const forwardAuthName = "authentik";

/** One service's objects. Throws the cluster's problems with this spec, before anything is registered. */
export function renderService(spec: ContainerSpec, context: ClusterContext): RenderedService {
    const problems = clusterProblems(spec, context);
    if (problems.length > 0) throw new Error(problems.join("\n"));
    const { entry } = spec;
    const labels = labelsOf(entry);
    const keys = [...new Set(Object.values(spec.secretEnv))].sort();
    const secret: RenderedSecret | undefined =
        keys.length === 0 ? undefined : { metadata: meta(`${entry.name}-secrets`, entry, context), keys };
    const plan = volumesOf(spec, context);
    const ingress = entry.name === context.roles.ingress;
    const rbac = ingress ? rbacOf(entry, context) : undefined;
    const replicas = replicasOf(entry);
    const securityContext = podSecurityContextOf(entry, context.settings);
    const template = {
        metadata: { labels },
        spec: {
            containers: [containerOf(spec, context, plan, secret)],
            ...(plan.volumes.length === 0 ? {} : { volumes: plan.volumes }),
            ...(securityContext === undefined ? {} : { securityContext }),
            ...(spec.network.mode === "host" ? { hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" } : {}),
            // Docker links no other containers' addresses into the env; neither does the cluster.
            enableServiceLinks: false,
            automountServiceAccountToken: ingress,
            ...(ingress ? { serviceAccountName: entry.name } : {}),
            ...(replicas > 1 ? { affinity: spreadOf(entry) } : {}),
        },
    };
    const workloadMeta = meta(entry.name, entry, context, true);
    const selector = { matchLabels: selectorOf(entry) };
    const claimed = plan.claims.length > 0;
    const workload: Workload = isDatabase(entry)
        ? {
              kind: "StatefulSet",
              object: {
                  apiVersion: "apps/v1",
                  kind: "StatefulSet",
                  metadata: workloadMeta,
                  spec: { serviceName: entry.name, replicas, selector, template },
              },
          }
        : {
              kind: "Deployment",
              object: {
                  apiVersion: "apps/v1",
                  kind: "Deployment",
                  metadata: workloadMeta,
                  spec: {
                      replicas,
                      selector,
                      template,
                      // One pod at a time on a single-writer volume, as Docker replaces one container.
                      strategy: { type: claimed && replicas === 1 ? "Recreate" : "RollingUpdate" },
                  },
              },
          };
    const disruptionBudget: PodDisruptionBudget | undefined =
        replicas > 1
            ? {
                  apiVersion: "policy/v1",
                  kind: "PodDisruptionBudget",
                  metadata: meta(entry.name, entry, context),
                  spec: { minAvailable: replicas - 1, selector },
              }
            : undefined;
    return {
        name: entry.name,
        labels,
        ...(secret === undefined ? {} : { secret }),
        ...(disruptionBudget === undefined ? {} : { disruptionBudget }),
        configMaps: plan.configMaps,
        persistentVolumes: plan.persistentVolumes,
        claims: plan.claims,
        workload,
        services: servicesOf(spec, context),
        ...(rbac === undefined ? {} : { rbac }),
        ingressRoutes: ingressRoutesOf(entry, context),
    };
}

/**
 * Every object of these specs in one namespace: each service's own, the forward-auth middleware
 * and the outpost's route when a route asks for forward-auth. All problems are thrown at once,
 * before anything is registered.
 */
export function renderCluster(specs: readonly ContainerSpec[], context: ClusterContext): RenderedCluster {
    const problems = specs.flatMap((spec) => clusterProblems(spec, context));
    const names = specs.map((spec) => spec.name);
    const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
    for (const name of new Set(duplicates)) {
        problems.push(
            `k3s: ${name}: placed twice is not allowed; expected one container spec per service (an every-host entry runs once on the cluster)`,
        );
    }
    const guarded = specs.filter((spec) => spec.entry.route?.forwardAuth === true);
    const provider = specs.find((spec) => spec.name === context.roles.identityProvider);
    if (guarded.length > 0 && (provider === undefined || provider.entry.port === undefined)) {
        problems.push(
            `k3s: ${guarded.map((spec) => spec.name).join(", ")}: route.forwardAuth on the cluster is not allowed without ` +
                `${context.roles.identityProvider} on the cluster; expected ${context.roles.identityProvider} with target k3s, or no forward-auth`,
        );
    }
    if (problems.length > 0) throw new Error([...new Set(problems)].join("\n"));
    const services = specs.map((spec) => renderService(spec, context));
    if (provider === undefined || provider.entry.port === undefined || guarded.length === 0) {
        return { services, middlewares: [], ingressRoutes: [] };
    }
    const outpost = `http://${provider.name}:${provider.entry.port}`;
    const hostRules = guarded
        .flatMap((spec) => hostnameOf(spec.entry, context.settings) ?? [])
        .map((host) => `Host(\`${host}\`)`)
        .join(" || ");
    return {
        services,
        middlewares: [
            {
                apiVersion: traefikApiVersion,
                kind: "Middleware",
                metadata: meta(forwardAuthName, provider.entry, context),
                spec: { forwardAuth: forwardAuthMiddleware(outpost) },
            },
        ],
        ingressRoutes: [
            {
                apiVersion: traefikApiVersion,
                kind: "IngressRoute",
                metadata: meta(`${provider.name}-outpost`, provider.entry, context),
                spec: {
                    entryPoints: ["websecure"],
                    routes: [
                        {
                            match: outpostRouterRule(hostRules),
                            priority: outpostPriority,
                            kind: "Rule",
                            services: [{ name: provider.name, port: provider.entry.port }],
                        },
                    ],
                },
            },
        ],
    };
}

/** Every object of a rendered cluster as the API receives it (secret values from `valueOf`), for validation and tests. */
export function objectsOf(cluster: RenderedCluster, valueOf: (key: string) => unknown): object[] {
    return [
        ...cluster.services.flatMap((service) => [
            ...(service.secret === undefined ? [] : [secretObject(service.secret, valueOf)]),
            ...service.configMaps,
            ...service.persistentVolumes,
            ...service.claims,
            ...(service.rbac === undefined
                ? []
                : [service.rbac.serviceAccount, service.rbac.clusterRole, service.rbac.clusterRoleBinding]),
            service.workload.object,
            ...(service.disruptionBudget === undefined ? [] : [service.disruptionBudget]),
            ...service.services,
            ...service.ingressRoutes,
        ]),
        ...cluster.middlewares,
        ...cluster.ingressRoutes,
    ];
}
