import { ConfigError, show } from "../config/errors";
import type { Settings } from "../config/schema";
import { retired, ssoProblems } from "./sso";
import { storageProblems } from "./storage";
import { clusterOnly, targetOf, targetProblems } from "./targets";
import { dataMountFor, stackNames, type ServiceEntry } from "./types";
import { everyHost, hostNames } from "../topology";

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function duplicates(values: readonly string[]): string[] {
    return [...new Set(values.filter((value, i) => values.indexOf(value) !== i))];
}

/**
 * Checks the catalog against itself and against the stack's hosts. Returns every problem, so one
 * error can name them all; an empty list means the catalog can be deployed.
 */
export function catalogProblems(entries: readonly ServiceEntry[], settings: Settings): string[] {
    const problems: string[] = [];
    const enabled = entries.filter((entry) => entry.enabled !== false);
    const byName = new Map(enabled.map((entry) => [entry.name, entry]));
    const configuredHosts = Object.keys(settings.hosts);

    for (const name of duplicates(entries.map((entry) => entry.name))) {
        problems.push(`catalog: service name ${show(name)} is declared twice; allowed: one entry per service name`);
    }
    const subdomains = enabled.flatMap((entry) => (entry.route ? [entry.route.subdomain] : []));
    for (const subdomain of duplicates(subdomains)) {
        const owners = enabled.filter((entry) => entry.route?.subdomain === subdomain).map((entry) => entry.name);
        problems.push(
            `catalog: hostname ${show(`${subdomain}.${settings.domain}`)} is routed to ${owners.join(" and ")}; ` +
                "allowed: one service per hostname",
        );
    }
    for (const host of configuredHosts.filter((host) => !(hostNames as readonly string[]).includes(host))) {
        problems.push(
            `homelab:hosts.${host}: ${show(host)} is not a host of the homelab; allowed: ${hostNames.join(", ")}`,
        );
    }

    // A cluster-only stack (the sandbox) deploys only its k3s services.
    const onDocker = (entry: ServiceEntry) => targetOf(entry, settings) === "docker" && !clusterOnly(settings);
    for (const entry of enabled) {
        const where = `catalog: ${entry.name}`;
        if (!(stackNames as readonly string[]).includes(entry.stack)) {
            problems.push(`${where}.stack: ${show(entry.stack)} is not a stack; allowed: ${stackNames.join(", ")}`);
        }
        if (onDocker(entry) && entry.host !== everyHost && !configuredHosts.includes(entry.host)) {
            problems.push(
                `${where}.host: ${show(entry.host)} is not a host in homelab:hosts; allowed: ${[...configuredHosts, everyHost].join(", ")}`,
            );
        }
        problems.push(...storageProblems(entry, settings));
        if (entry.route) {
            if (!dnsLabel.test(entry.route.subdomain)) {
                problems.push(
                    `${where}.route.subdomain: ${show(entry.route.subdomain)} is not allowed; expected one lower-case DNS label such as "sonarr"`,
                );
            }
            if (entry.port === undefined && entry.route.traefikService === undefined) {
                problems.push(`${where}.port: (missing) is not allowed; a routed service needs its container port`);
            }
        }
        if (entry.networking.mode === "namespace") {
            const owner = byName.get(entry.networking.of);
            if (!owner || owner.host !== entry.host || owner.stack !== entry.stack) {
                problems.push(
                    `${where}.networking.of: ${show(entry.networking.of)} is not allowed; expected a service of the same stack and host`,
                );
            }
        }
        if (entry.hardlinks !== undefined) {
            const { from, to } = entry.hardlinks;
            const fromMount = dataMountFor(entry, from)?.mount;
            if (fromMount === undefined || fromMount !== dataMountFor(entry, to)?.mount) {
                const mounted = entry.mounts.flatMap((mount) =>
                    mount.from === "data" ? [mount.sub || "(the whole tree)"] : [],
                );
                problems.push(
                    `${where}.mounts: data mounts ${show(mounted)} do not put ${show(from)} and ${show(to)} behind one mount; ` +
                        `its imports hardlink and move between them, which fails across mounts (EXDEV); ` +
                        `expected one data mount that covers both, such as data("")`,
                );
            }
        }
        if (entry.replicas !== undefined) {
            if (!Number.isInteger(entry.replicas) || entry.replicas < 1) {
                problems.push(
                    `${where}.replicas: ${show(entry.replicas)} is not allowed; expected a whole number of pods, 1 or more`,
                );
            } else if (entry.replicas > 1 && (entry.stateful === true || entry.dump !== undefined)) {
                problems.push(
                    `${where}.replicas: ${show(entry.replicas)} is not allowed on a database (stateful or dumped); ` +
                        "expected 1: one writer of its data directory",
                );
            }
        }
        for (const mount of entry.mounts) {
            if (mount.from !== "appdata" || mount.of === undefined) continue;
            const owner = byName.get(mount.of);
            if (owner === undefined || owner.host !== entry.host || mount.of === entry.name) {
                problems.push(
                    `${where}.mounts: appdata of ${show(mount.of)} at ${show(mount.target)} is not allowed; ` +
                        "expected another enabled service on the same host",
                );
            }
        }
        for (const dependency of entry.dependsOn ?? []) {
            const target = byName.get(dependency.service);
            if (!target || target.host !== entry.host) {
                problems.push(
                    `${where}.dependsOn: ${show(dependency.service)} is not allowed; expected an enabled service on the same host`,
                );
            }
        }
        for (const device of onDocker(entry) ? (entry.devices ?? []) : []) {
            for (const host of hostsOf(entry, configuredHosts)) {
                const available = settings.hosts[host]?.devices ?? [];
                if (!device.optional && !available.includes(device.path)) {
                    problems.push(
                        `homelab:hosts.${host}.devices: ${show(available)} lacks ${show(device.path)}, which ${entry.name} needs (${device.reason})`,
                    );
                }
            }
        }
    }
    return [...problems, ...ssoProblems(entries, retired), ...targetProblems(entries, settings)];
}

function hostsOf(entry: ServiceEntry, configuredHosts: readonly string[]): string[] {
    return entry.host === everyHost ? [...configuredHosts] : [entry.host];
}

export function assertCatalog(entries: readonly ServiceEntry[], settings: Settings): void {
    const problems = catalogProblems(entries, settings);
    if (problems.length > 0) throw new ConfigError(problems);
}
