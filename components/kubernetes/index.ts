import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { secretOf, type Secrets } from "../../config/load";
import type { Settings } from "../../config/schema";
import type { Roles } from "../../topology";
import type { ContainerSpec } from "../container-spec";
import {
    renderCluster,
    secretObject,
    type ClusterContext,
    type IngressRoute,
    type Middleware,
    type RenderedService,
} from "./render";

/**
 * The services whose catalog `target` is `k3s`, on a Kubernetes cluster: the second adapter of the
 * container spec (components/kubernetes/render.ts renders, this registers).
 *
 * Called from index.ts as
 *
 * ```ts
 * new ClusterServices("sandbox-k3s", {
 *     specs,            // containerSpecs(k3s entries, settings): the same specs the Docker adapter reads
 *     settings,         // the stack's Settings (domain → hostnames, identity → securityContext, NAS → NFS)
 *     secrets,          // Secrets from config/load.ts: every key a spec's secretEnv names
 *     namespace: "homelab",
 *     awaitWorkloads: true, // false only where no pod can run (the real-engine test)
 *     roles,            // topology `roles` (ingress, identity provider, blueprint reader, monitor agent)
 *     protectStateful,  // settings.protectStateful: StatefulSets, claims and NFS volumes protected
 *     blueprint: sso.blueprint, // optional: the Authentik blueprint, mounted into the worker as a ConfigMap
 *     monitors,         // optional: Uptime Kuma's monitor files, mounted into AutoKuma as a ConfigMap
 *     dependsOn: [traefikCrds], // optional: what every object waits for (children do not inherit opts.dependsOn)
 * }, { providers: [k3sProvider] });
 * ```
 *
 * Everything is rendered and checked before the first resource is registered: a spec the
 * cluster cannot run (a database on NFS, a Docker socket, another container's network
 * namespace, forward-auth without Authentik on the cluster) throws one message naming each.
 *
 * What it registers: the Namespace; per service a `homelab:kubernetes:KubernetesService` with its
 * Secret (values only as Pulumi secrets), ConfigMaps, NFS PersistentVolumes and claims,
 * Deployment or StatefulSet (databases), a PodDisruptionBudget where it runs twice, Services, Traefik's ServiceAccount and RBAC, and its
 * IngressRoute; then the forward-auth Middleware and the outpost's IngressRoute. Not Traefik's
 * CRDs: they are installed with the cluster, before these objects (see render.ts).
 */
export interface ClusterServicesArgs {
    /** The container specs of the services on this cluster, each service once. */
    specs: readonly ContainerSpec[];
    settings: Settings;
    /** Secret config values by key; each spec's `secretEnv` picks from these. */
    secrets: Secrets;
    /** The namespace the program creates and puts every namespaced object in. */
    namespace: string;
    /**
     * False marks every object Pulumi would wait for (workloads, Services, claims) with
     * `pulumi.com/skipAwait: "true"`: for an API server without kubelet, where no pod ever runs.
     */
    awaitWorkloads: boolean;
    roles: Pick<Roles, "ingress" | "identityProvider" | "blueprintReader" | "monitorAgent">;
    /**
     * Protect what holds state (the homelab:protectStateful of the stack): the StatefulSets, every
     * PersistentVolumeClaim (a local-path claim's directory goes with it) and the NFS PersistentVolumes.
     */
    protectStateful: boolean;
    /**
     * Uptime Kuma's monitor files (`monitorFiles(uptimeMonitors(...))`, file name → JSON) for the
     * monitor agent (AutoKuma) on the cluster: a ConfigMap at its static-monitors directory. Absent: none.
     */
    monitors?: Readonly<Record<string, string>>;
    /** The Authentik blueprint (YAML, no secrets in it) for the blueprint reader; absent: none mounted. */
    blueprint?: string;
    /** Storage class of the appdata claims; k3s's `local-path` by default. */
    storageClass?: string;
    /**
     * What every object waits for besides the namespace: Traefik's CRDs (before any IngressRoute
     * or Middleware), the cluster's readiness. Children do not inherit a component's dependsOn.
     */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The cluster's objects of one namespace. Providers come from `opts` (default providers stay disabled). */
export class ClusterServices extends pulumi.ComponentResource {
    public static readonly type = "homelab:kubernetes:ClusterServices";
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly services: Readonly<Record<string, KubernetesService>>;

    constructor(name: string, args: ClusterServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        const context: ClusterContext = {
            settings: args.settings,
            namespace: args.namespace,
            roles: args.roles,
            awaitWorkloads: args.awaitWorkloads,
            storageClass: args.storageClass,
            blueprint: args.blueprint,
            monitors: args.monitors,
        };
        // Rendered and checked before anything is registered, this component included.
        const cluster = renderCluster(args.specs, context);
        for (const spec of args.specs) {
            for (const key of Object.values(spec.secretEnv)) secretOf(args.secrets, key, spec.name);
        }
        super(ClusterServices.type, name, {}, opts);

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: args.namespace, labels: { "app.kubernetes.io/part-of": "homelab" } } },
            { parent: this, dependsOn: args.dependsOn },
        );
        const first = [this.namespace, ...(args.dependsOn ?? [])];
        const after = { parent: this, dependsOn: first };
        const services: Record<string, KubernetesService> = {};
        for (const rendered of cluster.services) {
            services[rendered.name] = new KubernetesService(
                `${name}-${rendered.name}`,
                { rendered, secrets: args.secrets, protectStateful: args.protectStateful, dependsOn: first },
                { parent: this },
            );
        }
        this.services = services;
        for (const middleware of cluster.middlewares) {
            customResource(`${name}-${middleware.metadata.name}-middleware`, middleware, after);
        }
        for (const route of cluster.ingressRoutes) {
            customResource(`${name}-${route.metadata.name}-route`, route, after);
        }
        this.registerOutputs({});
    }
}

export interface KubernetesServiceArgs {
    /** One service's objects, from render.ts. */
    rendered: RenderedService;
    secrets: Secrets;
    /** Protect its StatefulSet, claims and NFS volumes (homelab:protectStateful). */
    protectStateful: boolean;
    /** What every object of the service waits for (its namespace, Traefik's CRDs). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** One service's objects on the cluster, registered as they were rendered. */
export class KubernetesService extends pulumi.ComponentResource {
    public static readonly type = "homelab:kubernetes:KubernetesService";
    public readonly workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet;

    constructor(name: string, args: KubernetesServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super(KubernetesService.type, name, {}, opts);
        const { rendered } = args;
        const first = args.dependsOn ?? [];
        // Fixed object names: the old object must go before its replacement takes the name.
        const child = { parent: this, deleteBeforeReplace: true, dependsOn: first };
        // What holds state: a deleted local-path claim takes its directory with it.
        const stateful = { ...child, protect: args.protectStateful };
        const before: pulumi.Input<pulumi.Resource>[] = [...first];
        if (rendered.secret !== undefined) {
            const object = secretObject(rendered.secret, (key) =>
                pulumi.secret(secretOf(args.secrets, key, rendered.name)),
            );
            before.push(new k8s.core.v1.Secret(`${name}-secrets`, object, child));
        }
        for (const configMap of rendered.configMaps) {
            before.push(new k8s.core.v1.ConfigMap(`${name}-${configMap.metadata.name}`, configMap, child));
        }
        const volumes = rendered.persistentVolumes.map(
            (volume) => new k8s.core.v1.PersistentVolume(`${name}-${volume.metadata.name}-pv`, volume, stateful),
        );
        for (const claim of rendered.claims) {
            before.push(
                new k8s.core.v1.PersistentVolumeClaim(`${name}-${claim.metadata.name}`, claim, {
                    ...stateful,
                    dependsOn: [...first, ...volumes],
                }),
            );
        }
        if (rendered.rbac !== undefined) {
            const { serviceAccount, clusterRole, clusterRoleBinding } = rendered.rbac;
            const role = new k8s.rbac.v1.ClusterRole(`${name}-cluster-role`, clusterRole, child);
            before.push(
                new k8s.core.v1.ServiceAccount(`${name}-service-account`, serviceAccount, child),
                new k8s.rbac.v1.ClusterRoleBinding(`${name}-cluster-role-binding`, clusterRoleBinding, {
                    ...child,
                    dependsOn: [...first, role],
                }),
            );
        }
        const workload = rendered.workload;
        this.workload =
            workload.kind === "StatefulSet"
                ? new k8s.apps.v1.StatefulSet(name, workload.object, { ...stateful, dependsOn: before })
                : new k8s.apps.v1.Deployment(name, workload.object, { ...child, dependsOn: before });
        if (rendered.disruptionBudget !== undefined) {
            new k8s.policy.v1.PodDisruptionBudget(`${name}-disruption-budget`, rendered.disruptionBudget, child);
        }
        for (const service of rendered.services) {
            new k8s.core.v1.Service(`${name}-${service.metadata.name}-service`, service, child);
        }
        for (const route of rendered.ingressRoutes) {
            customResource(`${name}-route`, route, child);
        }
        this.registerOutputs({});
    }
}

/** A Traefik CRD object (traefik.io/v1alpha1); its CRDs are installed with the cluster. */
function customResource(
    name: string,
    object: IngressRoute | Middleware,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        { apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata, spec: object.spec },
        opts,
    );
}
