import { show } from "../config/errors";
import type { Settings } from "../config/schema";
import { roles } from "../topology";
import type { ServiceEntry, StackName } from "./types";

/**
 * Where a service runs: a container on its Docker host (every service, by default), or a workload
 * on the k3s cluster (Phase 6). The one list below says which services may go to the cluster and
 * why the others may not; the catalog validation, the policy pack and the docs all read it.
 */
export const targetNames = ["docker", "k3s"] as const;
export type Target = (typeof targetNames)[number];

export interface K3sVerdict {
    /** Whether the service is a Phase 6 migration candidate. */
    allowed: boolean;
    /** Why (the description's reason): the candidate's benefit, or what keeps it on Docker. */
    reason: string;
    /** For a candidate: what it is called where messages list what may run on k3s. */
    what?: string;
}

const notCandidate: K3sVerdict = { allowed: false, reason: "not a Phase 6 candidate" };

/**
 * The description's Phase 6 list, per stack. Every stack is decided here (a new stack fails to
 * typecheck until it is), and `k3sByService` overrides a stack's verdict for single services.
 */
export const k3sByStack: Readonly<Record<StackName, K3sVerdict>> = {
    photos: { allowed: true, reason: "Immich: HA and operator-managed upgrades", what: "Immich" },
    auth: { allowed: true, reason: "Authentik: identity provider high availability", what: "Authentik" },
    monitoring: {
        allowed: true,
        reason: "the monitoring stack (Beszel, Uptime Kuma)",
        what: "the monitoring stack (Beszel hub, Uptime Kuma, AutoKuma)",
    },
    arr: { allowed: false, reason: "hardlinks and atomic moves do not fit k8s storage" },
    torrent: { allowed: false, reason: "the VPN kill-switch model (qBittorrent in Gluetun's network namespace)" },
    books: { allowed: false, reason: "filesystem-dependent ingest workflows" },
    infra: notCandidate,
    cloudflared: notCandidate,
    "dns-sync": notCandidate,
    plex: notCandidate,
};

/** Single services whose verdict differs from their stack's. */
export const k3sByService: Readonly<Record<string, K3sVerdict>> = {
    [roles.ingress]: { allowed: true, reason: "Traefik: the natural k3s ingress controller", what: "Traefik" },
    "beszel-agent": {
        allowed: false,
        reason: "runs on every Docker host and reads that host's engine and network; it stays with the engines it watches",
    },
};

/** May this service run on k3s, and why (not). */
export function k3sVerdict(entry: Pick<ServiceEntry, "name" | "stack">): K3sVerdict {
    return k3sByService[entry.name] ?? k3sByStack[entry.stack];
}

/** The services that may run on k3s, in catalog order. */
export function k3sCandidates(entries: readonly ServiceEntry[]): ServiceEntry[] {
    return entries.filter((entry) => k3sVerdict(entry).allowed);
}

/** The one message for a service on k3s that may not be there (validation and the policy pack). */
export function k3sRefusal(entry: Pick<ServiceEntry, "name" | "stack">): string | undefined {
    const verdict = k3sVerdict(entry);
    if (verdict.allowed) return undefined;
    return `${entry.name} may not run on k3s: ${verdict.reason}; allowed on k3s: ${allowedOnK3s()}`;
}

/** "Immich, Authentik, … and Traefik": the candidates of the list above, as messages name them. */
function allowedOnK3s(): string {
    const names = [...Object.values(k3sByStack), ...Object.values(k3sByService)].flatMap((verdict) =>
        verdict.allowed && verdict.what !== undefined ? [verdict.what] : [],
    );
    const last = names.pop();
    return names.length === 0 ? (last ?? "nothing") : `${names.join(", ")} and ${last ?? ""}`;
}

/** Where a service runs in this stack: `homelab:targets.<service>`, else Docker. */
export function targetOf(entry: Pick<ServiceEntry, "name">, settings: Pick<Settings, "targets">): Target {
    return settings.targets[entry.name] ?? "docker";
}

/** Whether the stack deploys only its services on k3s (`homelab:cluster.only`, the sandbox). */
export function clusterOnly(settings: Pick<Settings, "cluster">): boolean {
    return settings.cluster?.only === true;
}

/** The enabled entries a stack deploys: all of them, or, in a cluster-only stack (the sandbox), those on k3s. */
export function deployedServices(entries: readonly ServiceEntry[], settings: Settings): ServiceEntry[] {
    return entries.filter(
        (entry) => entry.enabled !== false && (!clusterOnly(settings) || targetOf(entry, settings) === "k3s"),
    );
}

/**
 * The settings the Docker side of the program sees: the stack's, with no Docker host in a
 * cluster-only stack (its homelab:hosts only name the NAS the cluster's NFS volumes come from).
 */
export function dockerSettings(settings: Settings): Settings {
    return clusterOnly(settings) ? { ...settings, hosts: {} } : settings;
}

/**
 * The settings the cluster's workloads are resolved with: the stack's, plus the ingress (Traefik)
 * on k3s once any routed service is there: the cluster's IngressRoutes need a Traefik of their own,
 * while the edge host's keeps routing every service still on Docker.
 */
export function clusterSettings(services: readonly ServiceEntry[], settings: Settings): Settings {
    const routedOnK3s = services.some((entry) => entry.route !== undefined && targetOf(entry, settings) === "k3s");
    if (!routedOnK3s || settings.targets[roles.ingress] === "k3s") return settings;
    return { ...settings, targets: { ...settings.targets, [roles.ingress]: "k3s" } };
}

/**
 * Problems with `homelab:targets`: unknown services, services that may not run on k3s, and k3s
 * services without a cluster. Services that start after another one, or share its network
 * namespace, must run on the same target (a Docker container cannot wait for a pod).
 */
export function targetProblems(entries: readonly ServiceEntry[], settings: Settings): string[] {
    const problems: string[] = [];
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    for (const [service, target] of Object.entries(settings.targets)) {
        const key = `homelab:targets.${service}`;
        const entry = byName.get(service);
        if (entry === undefined) {
            problems.push(`${key}: ${show(service)} is not a service of the catalog; expected a catalog service name`);
            continue;
        }
        if (target !== "k3s") continue;
        const refusal = k3sRefusal(entry);
        if (refusal !== undefined) problems.push(`${key}: ${show(target)} is not allowed; ${refusal}`);
    }
    const enabled = entries.filter((entry) => entry.enabled !== false);
    const ingress = byName.get(roles.ingress);
    const dockerHosts = !clusterOnly(settings);
    if (ingress !== undefined && targetOf(ingress, settings) === "k3s" && dockerHosts) {
        const stay = enabled.filter((entry) => entry.route !== undefined && targetOf(entry, settings) === "docker");
        if (stay.length > 0) {
            problems.push(
                `homelab:targets.${roles.ingress}: "k3s" is not allowed while routed services stay on Docker ` +
                    `(${stay.map((entry) => entry.name).join(", ")}); the cluster's Traefik routes only the cluster, ` +
                    "and the cluster gets it anyway once a routed service is on k3s: expected docker until every routed service has moved",
            );
        }
    }
    const onK3s = enabled.filter((entry) => targetOf(entry, settings) === "k3s");
    if (!dockerHosts && onK3s.length === 0) {
        problems.push(
            "homelab:cluster.only: true is not allowed where no service runs on k3s; expected " +
                "homelab:targets putting services on the cluster, or false",
        );
    }
    if (onK3s.length > 0 && settings.cluster === undefined) {
        problems.push(
            `homelab:cluster: (missing) is not allowed where homelab:targets puts ${onK3s.map((e) => e.name).join(", ")} on k3s; ` +
                "expected { nodes, k3sVersion } of the cluster, or { kubeconfigPath } of an existing API server",
        );
    }
    const identity = byName.get(roles.identityProvider);
    const identityOnK3s = identity !== undefined && targetOf(identity, settings) === "k3s";
    for (const entry of onK3s.filter((candidate) => candidate.route?.forwardAuth === true)) {
        if (identityOnK3s) continue;
        problems.push(
            `homelab:targets.${entry.name}: "k3s" is not allowed while ${roles.identityProvider} runs on Docker; ` +
                `${entry.name} is behind forward-auth, which the cluster's ingress asks of an Authentik outpost on the cluster; ` +
                `expected ${roles.identityProvider} (and its stack) on k3s first`,
        );
    }
    for (const entry of enabled) {
        const needs = [
            ...(entry.networking.mode === "namespace" ? [entry.networking.of] : []),
            ...(entry.dependsOn ?? []).map((need) => need.service),
        ];
        for (const service of needs) {
            const other = byName.get(service);
            if (other === undefined || other.enabled === false) continue;
            const mine = targetOf(entry, settings);
            const theirs = targetOf(other, settings);
            if (mine !== theirs) {
                problems.push(
                    `homelab:targets.${entry.name}: ${show(mine)} is not allowed while ${service} runs on ${theirs}; ` +
                        `${entry.name} starts after ${service}, so expected both on the same target`,
                );
            }
        }
    }
    return problems;
}
