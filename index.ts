import * as command from "@pulumi/command";
import { catalog } from "./catalog";
import { catalogSecretRequests } from "./catalog/secrets";
import { edgeHost, stackNames } from "./catalog/types";
import { assertCatalog } from "./catalog/validate";
import { ConfigError } from "./config/errors";
import { loadSecrets, loadSettings } from "./config/load";
import { Edge, edgeProblems, edgeProvidedSecrets, edgeSecretRequests } from "./components/edge";
import { TraefikRouteFile } from "./components/edge/route-file";
import { dynamicDirOnHost, routeDocument } from "./components/edge/routes";
import { hostSummary, serviceUrls } from "./components/outputs";
import { ServiceStack } from "./components/stack";
import { DockerHosts } from "./hosts/docker";
import { Machines, machineProblems, machineSecretRequests } from "./hosts/machines";
import { sshAccess } from "./hosts/ssh";

// Everything that can be wrong with the input fails here, before any resource is registered.
const settings = loadSettings();
assertCatalog(catalog, settings);
const services = catalog.filter((entry) => entry.enabled !== false);
const problems = [...edgeProblems(settings, services), ...machineProblems(settings)];
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
const edge = new Edge("edge", { settings, secrets, services });

for (const stack of stackNames) {
    new ServiceStack(stack, {
        stack,
        entries: services.filter((entry) => entry.stack === stack),
        hosts: fleet.hosts,
        settings,
        secrets: { ...secrets, ...edge.providedSecrets },
        hostReadiness: machines.readiness,
    });
}

const traefikHost = fleet.hosts[edgeHost];
if (traefikHost) {
    new TraefikRouteFile(
        "traefik-routes",
        {
            host: traefikHost,
            directory: dynamicDirOnHost(services, settings, traefikHost),
            content: JSON.stringify(routeDocument(services, settings, fleet.hosts), null, 2),
            ssh: ssh.forHost(traefikHost.endpoint, secrets),
        },
        { provider: commands, dependsOn: machines.readiness[edgeHost] },
    );
}

export const urls = serviceUrls(services, settings);
export const hosts = hostSummary(services, settings);
export const externalUrls = edge.externalUrls;
export const tunnelId = edge.tunnelId;
