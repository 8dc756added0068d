import * as command from "@pulumi/command";
import { catalog } from "./catalog";
import { blueprintsTarget } from "./catalog/stacks/auth";
import { staticMonitorsTarget } from "./catalog/stacks/monitoring";
import { traefikDynamicDir } from "./catalog/stacks/traefik";
import { stackNames } from "./catalog/types";
import { roles, type HostName } from "./topology";
import { loadSecrets, loadSettings } from "./config/load";
import { Edge } from "./components/edge";
import { routeDocument, routeFileName } from "./components/edge/routes";
import { hostSummary, serviceUrls } from "./components/outputs";
import { monitorFiles, uptimeMonitors } from "./components/monitoring/monitors";
import { SingleSignOn } from "./components/sso";
import { inProcessProvider } from "./components/dynamic-provider";
import { containerSpecs, mountedDirectory } from "./components/container-spec";
import { ServiceStack } from "./components/stack";
import { hostReadiness } from "./hosts/directories";
import { HostFileSet } from "./hosts/file-set";
import { HostFile } from "./hosts/host-file";
import { DockerHosts, type DockerHost } from "./hosts/docker";
import { Machines } from "./hosts/machines";
import { traefikCrdsUrl } from "./hosts/k3s-scripts";
import { clusterSettings, dockerSettings } from "./catalog/targets";
import type * as OnCluster from "./components/kubernetes/on-demand";
import { checkInput } from "./input";

// Everything that can be wrong with the input fails here, before any resource is registered.
const settings = loadSettings();
const { services, ssh, secretRequests } = checkInput(settings, catalog);
const secrets = loadSecrets(secretRequests);
// What the Docker side sees: a cluster-only stack (the sandbox) has no Docker host.
const onDocker = dockerSettings(settings);

// Remote commands exist only where Docker hosts are reached over SSH (prod); the lab needs no command plugin.
const commands = ssh.secretRequests.length > 0 ? new command.Provider("command", {}) : undefined;
// Every in-process resource (the lab's directories, watched files and generated secrets) goes
// through one provider: the engine starts each provider resource as a process of its own.
const inProcess = inProcessProvider("in-process");
const machines = new Machines("machines", { settings: onDocker, secrets }, { provider: commands });
const fleet = new DockerHosts("hosts", { settings: onDocker, dependsOn: machines.dockerDependencies });
const edge = new Edge("edge", { settings, secrets, services, roles });

// Containers start only once their host is bootstrapped and their directories have their owners.
// Services whose target is k3s get no container: the cluster runs them (below).
const containers = containerSpecs(services, onDocker).filter((spec) => spec.target === "docker");
const readiness = hostReadiness({
    hosts: fleet.hosts,
    containers,
    settings: onDocker,
    machines: machines.readiness,
    sshFor: (host) => ssh.forHost(host.endpoint, secrets),
    inProcess,
    provider: commands,
});
const hostOf = (name: HostName): DockerHost => {
    const host = fleet.hosts[name];
    if (host === undefined) throw new Error(`host ${name} has no Docker provider`);
    return host;
};

/** Where the program writes files a service watches: the host directory mounted at `target` in its container. */
const watched = (service: string, target: string, after: typeof readiness) => {
    const found = mountedDirectory(containers, service, target);
    return (
        found && {
            host: hostOf(found.spec.host),
            directory: found.hostPath,
            ssh: ssh.forHost(found.spec.endpoint, secrets),
            after: after[found.spec.host],
        }
    );
};

// Authentik's providers, applications and access from the catalog: a blueprint in the worker's
// blueprint directory, and the OIDC client secrets the apps and the worker get.
const sso = new SingleSignOn(
    "sso",
    {
        catalog,
        settings,
        inProcess: commands === undefined,
        inProcessProvider: inProcess,
        blueprint: watched(roles.blueprintReader, blueprintsTarget, readiness),
    },
    { provider: commands },
);

for (const stack of stackNames) {
    const members = containers.filter((spec) => spec.entry.stack === stack);
    // A stack with nothing on Docker (all of it on k3s, or a cluster-only stack) has no component.
    if (members.length === 0) continue;
    new ServiceStack(stack, {
        stack,
        containers: members,
        hosts: fleet.hosts,
        protectStateful: settings.protectStateful,
        secrets: { ...secrets, ...edge.providedSecrets, ...sso.providedSecrets },
        hostReadiness: readiness,
    });
}

// Routes to services on other hosts and the forward-auth middleware, where Traefik watches.
const routes = watched(roles.ingress, traefikDynamicDir, machines.readiness);
if (routes) {
    new HostFile(
        "traefik-routes",
        {
            ...routes,
            fileName: routeFileName,
            content: JSON.stringify(routeDocument(services, settings, fleet.hosts, roles), null, 2),
            inProcess,
        },
        { provider: commands, aliases: [{ type: "homelab:edge:TraefikRouteFile" }] },
    );
}

// Uptime Kuma's monitors (one per routed URL, plus public-DNS and split-horizon probes where the
// edge is managed: components/monitoring/monitors.ts), where AutoKuma reads them: a directory on its
// Docker host, or a ConfigMap on the cluster (below) when AutoKuma runs on k3s.
const monitorSet = monitorFiles(uptimeMonitors(services, settings));
const monitors = watched(roles.monitorAgent, staticMonitorsTarget, readiness);
if (monitors) {
    new HostFileSet(
        "uptime-monitors",
        {
            ...monitors,
            files: monitorSet,
            ownedSuffix: ".json",
            inProcess,
        },
        { provider: commands },
    );
}

// The k3s cluster and the services on it (Phase 6): only where homelab:targets puts services there.
// The cluster gets its own Traefik (the ingress's catalog entry) once any routed service is on it.
const onCluster = clusterSettings(services, settings);
const workloads = containerSpecs(services, onCluster).filter((spec) => spec.target === "k3s");
if (settings.cluster !== undefined && workloads.length > 0) {
    // Traefik's CRDs are versioned with the catalog's Traefik, whether or not Traefik itself has moved.
    const ingress = catalog.find((entry) => entry.name === roles.ingress);
    if (ingress === undefined)
        throw new Error(`k3s: the catalog has no ${roles.ingress} entry for the cluster's ingress`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only here (on-demand.ts says why)
    const { K3sCluster, ClusterServices } = require("./components/kubernetes/on-demand") as typeof OnCluster;
    const cluster = new K3sCluster("k3s", {
        cluster: settings.cluster,
        secrets,
        traefikCrds: traefikCrdsUrl(ingress.image.tag),
        vms: machines.clusterVms,
    });
    new ClusterServices(
        "k3s-services",
        {
            specs: workloads,
            settings: onCluster,
            secrets: { ...secrets, ...edge.providedSecrets, ...sso.providedSecrets },
            namespace: settings.cluster.namespace,
            awaitWorkloads: settings.cluster.awaitWorkloads,
            roles,
            protectStateful: settings.protectStateful,
            blueprint: workloads.some((spec) => spec.name === roles.blueprintReader) ? sso.blueprint : undefined,
            monitors: workloads.some((spec) => spec.name === roles.monitorAgent) ? monitorSet : undefined,
            // Children do not inherit a component's dependsOn: the component hands it to each object.
            // The installs put Traefik's CRDs in place, before any IngressRoute or Middleware.
            dependsOn: cluster.ready,
        },
        { providers: [cluster.provider] },
    );
}

export const urls = serviceUrls(services, settings);
export const hosts = hostSummary(services, onDocker);
export const externalUrls = edge.externalUrls;
export const tunnelId = edge.tunnelId;
