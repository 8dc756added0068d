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
import { containerSpecs, mountedDirectory } from "./components/container-spec";
import { ServiceStack } from "./components/stack";
import { hostReadiness } from "./hosts/directories";
import { HostFileSet } from "./hosts/file-set";
import { HostFile } from "./hosts/host-file";
import { DockerHosts, type DockerHost } from "./hosts/docker";
import { Machines } from "./hosts/machines";
import { checkInput } from "./input";

// Everything that can be wrong with the input fails here, before any resource is registered.
const settings = loadSettings();
const { services, ssh, secretRequests } = checkInput(settings, catalog);
const secrets = loadSecrets(secretRequests);

// Remote commands exist only where hosts are reached over SSH (prod); the lab needs no command plugin.
const commands = ssh.secretRequests.length > 0 ? new command.Provider("command", {}) : undefined;
const machines = new Machines("machines", { settings, secrets }, { provider: commands });
const fleet = new DockerHosts("hosts", { settings, dependsOn: machines.dockerDependencies });
const edge = new Edge("edge", { settings, secrets, services, roles });

// Containers start only once their host is bootstrapped and their directories have their owners.
const containers = containerSpecs(services, settings);
const readiness = hostReadiness({
    hosts: fleet.hosts,
    containers,
    settings,
    machines: machines.readiness,
    sshFor: (host) => ssh.forHost(host.endpoint, secrets),
    provider: commands,
});
const hostOf = (name: HostName): DockerHost => {
    const host = fleet.hosts[name];
    if (host === undefined) throw new Error(`host ${name} has no Docker provider`);
    return host;
};

// Authentik's providers, applications and access from the catalog: a blueprint in the worker's
// blueprint directory, and the OIDC client secrets the apps and the worker get.
const blueprints = mountedDirectory(containers, roles.blueprintReader, blueprintsTarget);
const sso = new SingleSignOn(
    "sso",
    {
        catalog,
        settings,
        inProcess: commands === undefined,
        blueprint: blueprints && {
            host: hostOf(blueprints.spec.host),
            directory: blueprints.hostPath,
            ssh: ssh.forHost(blueprints.spec.endpoint, secrets),
            after: readiness[blueprints.spec.host],
        },
    },
    { provider: commands },
);

for (const stack of stackNames) {
    new ServiceStack(stack, {
        stack,
        containers: containers.filter((spec) => spec.entry.stack === stack),
        hosts: fleet.hosts,
        protectStateful: settings.protectStateful,
        secrets: { ...secrets, ...edge.providedSecrets, ...sso.providedSecrets },
        hostReadiness: readiness,
    });
}

// Routes to services on other hosts and the forward-auth middleware, where Traefik watches.
const routes = mountedDirectory(containers, roles.ingress, traefikDynamicDir);
if (routes) {
    new HostFile(
        "traefik-routes",
        {
            host: hostOf(routes.spec.host),
            directory: routes.hostPath,
            fileName: routeFileName,
            content: JSON.stringify(routeDocument(services, settings, fleet.hosts, roles), null, 2),
            ssh: ssh.forHost(routes.spec.endpoint, secrets),
            after: machines.readiness[routes.spec.host],
        },
        { provider: commands, aliases: [{ type: "homelab:edge:TraefikRouteFile" }] },
    );
}

// Uptime Kuma's monitors, one file per routed URL, where AutoKuma reads them.
const monitors = mountedDirectory(containers, roles.monitorAgent, staticMonitorsTarget);
if (monitors) {
    new HostFileSet(
        "uptime-monitors",
        {
            host: hostOf(monitors.spec.host),
            directory: monitors.hostPath,
            files: monitorFiles(uptimeMonitors(services, settings)),
            ownedSuffix: ".json",
            ssh: ssh.forHost(monitors.spec.endpoint, secrets),
            after: readiness[monitors.spec.host],
        },
        { provider: commands },
    );
}

export const urls = serviceUrls(services, settings);
export const hosts = hostSummary(services, settings);
export const externalUrls = edge.externalUrls;
export const tunnelId = edge.tunnelId;
