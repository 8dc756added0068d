import * as command from "@pulumi/command";
import { catalog } from "./catalog";
import { catalogSecretRequests } from "./catalog/secrets";
import { blueprintsTarget } from "./catalog/stacks/auth";
import { staticMonitorsTarget } from "./catalog/stacks/monitoring";
import type * as pulumi from "@pulumi/pulumi";
import { stackNames } from "./catalog/types";
import { edgeHost, roles, type HostName } from "./topology";
import { assertCatalog } from "./catalog/validate";
import { ConfigError } from "./config/errors";
import { loadSecrets, loadSettings } from "./config/load";
import { Edge, edgeProblems, edgeProvidedSecrets, edgeSecretRequests } from "./components/edge";
import { dynamicDirOnHost, routeDocument, routeFileName } from "./components/edge/routes";
import { hostSummary, serviceUrls } from "./components/outputs";
import { monitorFiles, uptimeMonitors } from "./components/monitoring/monitors";
import { SingleSignOn } from "./components/sso";
import { containerSpecs, placements } from "./components/container-spec";
import { ServiceStack } from "./components/stack";
import { HostDirectories, hostDirectories } from "./hosts/directories";
import { HostFileSet } from "./hosts/file-set";
import { HostFile } from "./hosts/host-file";
import { DockerHosts, type DockerHost } from "./hosts/docker";
import { Machines, machineProblems, machineSecretRequests } from "./hosts/machines";
import { sshAccess } from "./hosts/ssh";

// Everything that can be wrong with the input fails here, before any resource is registered.
const settings = loadSettings();
assertCatalog(catalog, settings);
const services = catalog.filter((entry) => entry.enabled !== false);
const problems = [...edgeProblems(settings, services), ...machineProblems(settings, services)];
if (problems.length > 0) throw new ConfigError(problems);
const ssh = sshAccess(settings);
const secrets = loadSecrets([
    ...catalogSecretRequests(services, settings, edgeProvidedSecrets(settings)),
    ...ssh.secretRequests,
    ...edgeSecretRequests(settings),
    ...machineSecretRequests(settings),
]);

// Remote commands exist only where hosts are reached over SSH (prod); the lab needs no command plugin.
const commands = ssh.secretRequests.length > 0 ? new command.Provider("command", {}) : undefined;
const machines = new Machines("machines", { settings, secrets }, { provider: commands });
const fleet = new DockerHosts("hosts", { settings, dependsOn: machines.dockerDependencies });
const edge = new Edge("edge", { settings, secrets, services, roles });

// Containers start only once their host is bootstrapped and their directories have their owners.
const readiness: Partial<Record<HostName, pulumi.Resource[]>> = {};
const placed = placements(services, settings);
const hostOf = (name: HostName): DockerHost => {
    const host = fleet.hosts[name];
    if (host === undefined) throw new Error(`host ${name} has no Docker provider`);
    return host;
};
for (const host of Object.values(fleet.hosts)) {
    const directories = hostDirectories(
        placed.filter((placement) => placement.host === host.name).map((placement) => placement.entry),
        settings,
        host,
    );
    const after = machines.readiness[host.name] ?? [];
    if (directories.length === 0) {
        readiness[host.name] = after;
        continue;
    }
    const created = new HostDirectories(
        `directories-${host.name}`,
        { host, directories, ssh: ssh.forHost(host.endpoint, secrets), after },
        { provider: commands },
    );
    readiness[host.name] = [...after, created.ready];
}

// Authentik's providers, applications and access from the catalog: a blueprint in the worker's
// blueprint directory, and the OIDC client secrets the apps and the worker get.
const containers = containerSpecs(services, settings);
const worker = containers.find((spec) => spec.name === roles.blueprintReader);
const blueprintDirectory = worker?.mounts.find((volume) => volume.containerPath === blueprintsTarget);
const sso = new SingleSignOn(
    "sso",
    {
        catalog,
        settings,
        inProcess: commands === undefined,
        blueprint:
            worker && blueprintDirectory
                ? {
                      host: hostOf(worker.host),
                      directory: blueprintDirectory.hostPath,
                      ssh: ssh.forHost(worker.endpoint, secrets),
                      after: readiness[worker.host],
                  }
                : undefined,
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

const traefikHost = fleet.hosts[edgeHost];
if (traefikHost) {
    new HostFile(
        "traefik-routes",
        {
            host: traefikHost,
            directory: dynamicDirOnHost(services, settings, traefikHost, roles),
            fileName: routeFileName,
            content: JSON.stringify(routeDocument(services, settings, fleet.hosts, roles), null, 2),
            ssh: ssh.forHost(traefikHost.endpoint, secrets),
            after: machines.readiness[edgeHost],
        },
        { provider: commands, aliases: [{ type: "homelab:edge:TraefikRouteFile" }] },
    );
}

// Uptime Kuma's monitors, one file per routed URL, where AutoKuma reads them.
const agent = containers.find((spec) => spec.name === roles.monitorAgent);
if (agent !== undefined) {
    const host = hostOf(agent.host);
    const directory = agent.mounts.find((volume) => volume.containerPath === staticMonitorsTarget);
    if (directory === undefined) throw new Error(`${agent.name}: no mount at ${staticMonitorsTarget}`);
    new HostFileSet(
        "uptime-monitors",
        {
            host,
            directory: directory.hostPath,
            files: monitorFiles(uptimeMonitors(services, settings)),
            ownedSuffix: ".json",
            ssh: ssh.forHost(host.endpoint, secrets),
            after: readiness[host.name],
        },
        { provider: commands },
    );
}

export const urls = serviceUrls(services, settings);
export const hosts = hostSummary(services, settings);
export const externalUrls = edge.externalUrls;
export const tunnelId = edge.tunnelId;
