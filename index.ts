import * as command from "@pulumi/command";
import { catalog } from "./catalog";
import { catalogSecretRequests } from "./catalog/secrets";
import { edgeHost, stackNames } from "./catalog/types";
import { assertCatalog } from "./catalog/validate";
import { loadSecrets, loadSettings } from "./config/load";
import { dynamicDirOnHost, routeDocument } from "./components/edge/routes";
import { TraefikRouteFile } from "./components/edge/route-file";
import { hostSummary, serviceUrls } from "./components/outputs";
import { ServiceStack } from "./components/stack";
import { DockerHosts } from "./hosts/docker";
import { sshAccess } from "./hosts/ssh";

// Everything that can be wrong with the input fails here, before any resource is registered.
const settings = loadSettings();
assertCatalog(catalog, settings);
const services = catalog.filter((entry) => entry.enabled !== false);
const ssh = sshAccess(settings);
const secrets = loadSecrets([...catalogSecretRequests(services, settings), ...ssh.secretRequests]);

const fleet = new DockerHosts("hosts", { settings });
const commands = new command.Provider("command", {});

for (const stack of stackNames) {
    new ServiceStack(stack, {
        stack,
        entries: services.filter((entry) => entry.stack === stack),
        hosts: fleet.hosts,
        settings,
        secrets,
    });
}

const edge = fleet.hosts[edgeHost];
if (edge) {
    new TraefikRouteFile(
        "traefik-routes",
        {
            host: edge,
            directory: dynamicDirOnHost(services, settings, edge),
            content: JSON.stringify(routeDocument(services, settings, fleet.hosts), null, 2),
            ssh: ssh.forHost(edge.endpoint, secrets),
        },
        { provider: commands },
    );
}

export const urls = serviceUrls(services, settings);
export const hosts = hostSummary(services, settings);
