import { tunnelNetworkProblems } from "./catalog/stacks/traefik";
import { monitorProblems } from "./components/monitoring/monitors";
import { catalogSecretRequests } from "./catalog/secrets";
import type { ServiceEntry } from "./catalog/types";
import { ssoProvidedSecretKeys } from "./catalog/sso";
import { deployedServices, dockerSettings } from "./catalog/targets";
import { assertCatalog } from "./catalog/validate";
import { ConfigError } from "./config/errors";
import type { SecretRequest } from "./config/load";
import type { Settings } from "./config/schema";
import { edgeProblems, edgeProvidedSecrets, edgeSecretRequests } from "./components/edge";
import { clusterProblems, clusterSecretRequests } from "./hosts/k3s-config";
import { machineProblems, machineSecretRequests } from "./hosts/machines";
import { sshAccess, type SshAccess } from "./hosts/ssh";

/** The program's input once everything that can be wrong with it has been checked. */
export interface CheckedInput {
    /** The enabled catalog entries this stack deploys (on Docker or on k3s). */
    services: ServiceEntry[];
    ssh: SshAccess;
    /** Every secret the stack needs, with who needs it. */
    secretRequests: SecretRequest[];
}

/**
 * Everything that can be wrong with the settings and the catalog, checked together before any
 * resource is registered: one ConfigError listing every problem with its key, value and what is
 * allowed.
 */
export function checkInput(settings: Settings, catalog: readonly ServiceEntry[]): CheckedInput {
    assertCatalog(catalog, settings);
    const services = deployedServices(catalog, settings);
    const problems = [
        ...edgeProblems(settings, services),
        ...machineProblems(settings, services),
        ...clusterProblems(settings),
        ...monitorProblems(settings, services),
        ...tunnelNetworkProblems(settings),
    ];
    if (problems.length > 0) throw new ConfigError(problems);
    const ssh = sshAccess(dockerSettings(settings));
    return {
        services,
        ssh,
        secretRequests: [
            // The OIDC client secrets come from SingleSignOn, which builds them for the whole catalog.
            ...catalogSecretRequests(services, settings, [
                ...edgeProvidedSecrets(settings),
                ...ssoProvidedSecretKeys(catalog),
            ]),
            ...ssh.secretRequests,
            ...edgeSecretRequests(settings),
            ...machineSecretRequests(settings),
            ...clusterSecretRequests(settings),
        ],
    };
}
