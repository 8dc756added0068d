/**
 * Adoption of a running homelab (hand-run compose stacks on existing VMs) into a stack's state:
 * reads what runs on each Docker engine, matches containers to the catalog by container name and
 * writes three `pulumi import --file` documents (1-components, 2-vms, 3-docker) plus report.md.
 *
 *   npm run adopt -- --stack prod [--config-file F] [--out DIR] [--docker-host URL] [--qm-config DIR]
 *
 * Nothing here contacts Proxmox: VMs are imported by the <node>/<vmid> in the stack config, and
 * checked against the `qm config <vmid>` output the owner saved as <DIR>/<vmid>.conf (default
 * <out>/qm; scripts/adopt/qm.ts). Every difference, and every adopted VM without that file, is a
 * blocking item: the report lists them first and the command exits 1 after writing its files.
 * Docker engines are read with the `docker` CLI through each host's endpoint (ssh://deploy@<address>
 * in prod); --docker-host reads every host from one engine instead (the lab, tests).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { catalog } from "../catalog";
import { resolve, stackNames, type ServiceEntry } from "../catalog/types";
import { everyHost, hostNames, type HostName } from "../topology";
import { catalogProblems } from "../catalog/validate";
import { ConfigError, describeIssues } from "../config/errors";
import { configNamespace } from "../config/load";
import { settingsSchema, type Settings } from "../config/schema";
import { runtimeImage } from "../components/offline";
import { dockerEndpoint, proxyNetworkName } from "../hosts/docker";
import { vmHosts } from "../hosts/problems";
import { vmImportId } from "../hosts/proxmox";
import { vmChecks, type BlockingItem } from "./adopt/qm";

export type { BlockingItem } from "./adopt/qm";

// ---- what `docker inspect` says (only the fields adoption reads) ----------------------------------

export interface ContainerInspect {
    Id: string;
    Name: string;
    Image: string;
    Platform?: string;
    State: { Running: boolean };
    Config: {
        Image: string;
        Env?: string[] | null;
        Labels?: Record<string, string> | null;
        User?: string;
        Cmd?: string[] | null;
        Entrypoint?: string[] | null;
        Hostname?: string;
        Domainname?: string;
        WorkingDir?: string;
        StopSignal?: string;
        StopTimeout?: number | null;
        Tty?: boolean;
        OpenStdin?: boolean;
        Healthcheck?: {
            Test?: string[] | null;
            Interval?: number;
            Timeout?: number;
            StartPeriod?: number;
            StartInterval?: number;
            Retries?: number;
        } | null;
    };
    HostConfig: {
        Binds?: string[] | null;
        Mounts?: { Type: string; Source: string; Target: string; ReadOnly?: boolean }[] | null;
        NetworkMode: string;
        PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
        RestartPolicy?: { Name: string; MaximumRetryCount?: number };
        AutoRemove?: boolean;
        ReadonlyRootfs?: boolean;
        Privileged?: boolean;
        PublishAllPorts?: boolean;
        CapAdd?: string[] | null;
        CapDrop?: string[] | null;
        Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] | null;
        LogConfig?: { Type: string; Config?: Record<string, string> | null };
        ShmSize?: number;
        Init?: boolean | null;
        IpcMode?: string;
        Runtime?: string;
        UsernsMode?: string;
        Memory?: number;
        MemorySwap?: number;
        MemoryReservation?: number;
        CpuShares?: number;
        CpusetCpus?: string;
        SecurityOpt?: string[] | null;
    };
    NetworkSettings: {
        Networks?: Record<
            string,
            {
                Aliases?: string[] | null;
                IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
                Gateway?: string;
                IPAddress?: string;
                IPPrefixLen?: number;
                IPv6Gateway?: string;
                GlobalIPv6Address?: string;
                GlobalIPv6PrefixLen?: number;
                MacAddress?: string;
            }
        > | null;
    };
}

export interface NetworkInspect {
    Id: string;
    Name: string;
    Driver: string;
    Internal: boolean;
    Attachable: boolean;
    Labels?: Record<string, string> | null;
}

export interface ImageInspect {
    Id: string;
    RepoDigests?: string[] | null;
    Config?: { Env?: string[] | null; Labels?: Record<string, string> | null } | null;
}

/** One Docker engine as read: `endpoint` is the one the stack config gives its hosts (the program's). */
export interface EngineSnapshot {
    endpoint: string;
    containers: readonly ContainerInspect[];
    networks: readonly NetworkInspect[];
    images: readonly ImageInspect[];
}

// ---- the `pulumi import --file` document (CLI v3.274: components, providers, inputs, outputs) --------

export interface ImportResource {
    type: string;
    /** The reference other entries use in `parent`/`provider`; unique within the file. */
    name: string;
    /** The Pulumi resource name, when `name` is only a reference key. */
    logicalName?: string;
    id?: string;
    parent?: string;
    provider?: string;
    component?: boolean;
    version?: string;
    pluginDownloadUrl?: string;
    inputs?: Record<string, unknown>;
    /** The state as read from the engine; the provider's own Read is skipped (see containerState). */
    outputs?: Record<string, unknown>;
}

export interface ImportFile {
    /** Parents already in the state (imported by the components file), by URN. */
    nameTable?: Record<string, string>;
    resources: ImportResource[];
}

export interface PluginVersions {
    docker: string;
    proxmoxve: { version: string; server?: string };
}

export interface AdoptionInput {
    stack: string;
    /** The Pulumi project name (Pulumi.yaml), part of every URN. */
    project: string;
    settings: Settings;
    services: readonly ServiceEntry[];
    engines: readonly EngineSnapshot[];
    plugins: PluginVersions;
    /**
     * The saved `qm config <vmid>` outputs by VM id, and the folder the owner saves them in (named
     * in the report). Absent: no VM was checked, and each adopted one is a blocking item.
     */
    qm?: QmConfigs;
}

export interface QmConfigs {
    dir: string;
    texts: ReadonlyMap<number, string>;
}

export interface AdoptedContainer {
    container: string;
    resource: string;
    host: HostName;
    stack: string;
    imageMatches: boolean;
    composeProject?: string;
}

export interface Adoption {
    /** Imported first: the component resources the other files' resources are parented to. */
    components: ImportFile;
    /** The Proxmox provider and VMs; imported with protection on. */
    vms: ImportFile;
    /** The Docker providers, networks, images and containers; imported unprotected (see README). */
    docker: ImportFile;
    adopted: AdoptedContainer[];
    /** Catalog containers on a network that differs from the catalog: recreated, not imported. */
    recreate: { container: string; host: HostName; networks: string[] }[];
    /** Running on an engine of the stack, but no catalog entry is placed there under that name. */
    unknown: { endpoint: string; container: string; image: string; running: boolean }[];
    /** Placed by the catalog, but no container of that name runs on the host's engine. */
    missing: { service: string; host: HostName }[];
    networks: { resource: string; network: string; found: boolean; differences: string[] }[];
    /** What must be settled before `pulumi up`: VMs that differ from their `vm` block or were not checked. */
    blocking: BlockingItem[];
    /** Each VM compared with its `qm config`, and the outcome (for the report's VM section). */
    vmChecks: { host: HostName; vm: string; result: string }[];
    report: string;
}

// ---- the program's resource names (must match components/stack.ts and hosts/docker.ts) -------------

const types = {
    dockerHosts: "homelab:hosts:DockerHosts",
    dockerProvider: "pulumi:providers:docker",
    network: "docker:index/network:Network",
    service: "homelab:components:ServiceContainer",
    container: "docker:index/container:Container",
    image: "docker:index/remoteImage:RemoteImage",
    machines: "homelab:hosts:Machines",
    proxmoxProvider: "pulumi:providers:proxmoxve",
    proxmoxVms: "homelab:hosts:ProxmoxVms",
    vm: "proxmoxve:index/vmLegacy:VmLegacy",
} as const;

/** The ServiceStack component's type token (components/stack.ts): homelab:stacks:<PascalCase stack>. */
export function stackType(stack: string): string {
    return `homelab:stacks:${stack.replace(/(^|-)([a-z])/g, (_, __: string, letter: string) => letter.toUpperCase())}`;
}

interface Placement {
    resourceName: string;
    entry: ServiceEntry;
    host: HostName;
    endpoint: string;
}

/** Where the program places each entry (components/stack.ts `placements`): every-host entries once per engine. */
export function placementsOf(services: readonly ServiceEntry[], settings: Settings): Placement[] {
    const configured = hostNames.flatMap((name) => {
        const host = settings.hosts[name];
        return host === undefined ? [] : [{ name, endpoint: dockerEndpoint(name, host) }];
    });
    const firstPerEngine = configured.filter((h, i) => configured.findIndex((o) => o.endpoint === h.endpoint) === i);
    return services
        .filter((entry) => entry.enabled !== false)
        .flatMap((entry): Placement[] => {
            if (entry.host !== everyHost) {
                const host = configured.find((h) => h.name === entry.host);
                return host ? [{ resourceName: entry.name, entry, host: host.name, endpoint: host.endpoint }] : [];
            }
            return firstPerEngine.map((h) => ({
                resourceName: `${entry.name}-${h.name}`,
                entry,
                host: h.name,
                endpoint: h.endpoint,
            }));
        });
}

// ---- docker inspect → the provider's state --------------------------------------------------------

/** Go's time.Duration.String() for whole nanoseconds: the form the provider stores ("1m0s"). */
export function goDuration(ns: number): string {
    if (ns === 0) return "0s";
    const trim = (value: number): string => String(Number(value.toFixed(9)));
    if (ns < 1e3) return `${ns}ns`;
    if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
    if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
    const hours = Math.floor(ns / 3.6e12);
    const minutes = Math.floor((ns % 3.6e12) / 6e10);
    const seconds = trim((ns % 6e10) / 1e9);
    return `${hours > 0 ? `${hours}h` : ""}${hours > 0 || minutes > 0 ? `${minutes}m` : ""}${seconds}s`;
}

/** A value adoption never copies: the catalog's secret env vars (their values come from config instead). */
export const secretPlaceholder = "(secret: not copied by adoption)";

function parseBind(bind: string): Record<string, unknown> {
    const [source = "", target = "", mode = ""] = bind.split(":");
    const named = !source.startsWith("/");
    return {
        containerPath: target,
        fromContainer: "",
        hostPath: named ? "" : source,
        readOnly: mode.split(",").includes("ro"),
        selinuxRelabel: "",
        volumeName: named ? source : "",
    };
}

/**
 * The container as the Docker provider records it after creating it, built from `docker inspect`.
 * The provider's Read cannot recover env, labels, volumes, log options, ports or devices of a
 * container it did not create (it never reads them back), so an import through Read alone would
 * show every one of them as changed. Env vars and labels the image itself sets are left out, as the
 * provider does; the values of `secretVariables` are never copied (see secretPlaceholder).
 */
export function containerState(
    container: ContainerInspect,
    image: ImageInspect | undefined,
    secretVariables: readonly string[],
): Record<string, unknown> {
    const config = container.Config;
    const host = container.HostConfig;
    const imageEnv = new Set(image?.Config?.Env ?? []);
    const imageLabels = image?.Config?.Labels ?? {};
    const envs = (config.Env ?? [])
        .filter((line) => !imageEnv.has(line))
        .map((line) => {
            const variable = line.slice(0, line.indexOf("="));
            return secretVariables.includes(variable) ? `${variable}=${secretPlaceholder}` : line;
        })
        .sort();
    const labels = Object.entries(config.Labels ?? {})
        .filter(([label, value]) => imageLabels[label] !== value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, value]) => ({ label, value }));
    const shortId = container.Id.slice(0, 12);
    const networks = Object.entries(container.NetworkSettings.Networks ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const ports = Object.entries(host.PortBindings ?? {})
        .flatMap(([key, bindings]) => {
            const [internal = "0", protocol = "tcp"] = key.split("/");
            return (bindings ?? []).map((binding) => ({
                external: Number(binding.HostPort),
                internal: Number(internal),
                ip: binding.HostIp === "" ? "0.0.0.0" : binding.HostIp,
                protocol,
            }));
        })
        .sort((a, b) => a.internal - b.internal || a.protocol.localeCompare(b.protocol));
    const health = config.Healthcheck;
    const capabilities =
        (host.CapAdd ?? []).length > 0 || (host.CapDrop ?? []).length > 0
            ? { adds: host.CapAdd ?? [], drops: host.CapDrop ?? [] }
            : null;
    return {
        __meta: JSON.stringify({ schema_version: "2" }),
        id: container.Id,
        name: container.Name.replace(/^\//, ""),
        image: container.Image,
        envs,
        labels,
        volumes: (host.Binds ?? []).map(parseBind),
        mounts: (host.Mounts ?? []).map((mount) => ({
            readOnly: mount.ReadOnly ?? false,
            source: mount.Source,
            target: mount.Target,
            type: mount.Type,
        })),
        logDriver: host.LogConfig?.Type ?? "json-file",
        logOpts: host.LogConfig?.Config ?? {},
        ports,
        devices: (host.Devices ?? []).map((device) => ({
            containerPath: device.PathInContainer,
            hostPath: device.PathOnHost,
            permissions: device.CgroupPermissions,
        })),
        capabilities,
        healthcheck:
            health?.Test && health.Test.length > 0
                ? {
                      interval: goDuration(health.Interval ?? 0),
                      retries: health.Retries ?? 0,
                      startInterval: goDuration(health.StartInterval ?? 0),
                      startPeriod: goDuration(health.StartPeriod ?? 0),
                      tests: health.Test,
                      timeout: goDuration(health.Timeout ?? 0),
                  }
                : null,
        command: config.Cmd ?? [],
        entrypoints: config.Entrypoint ?? [],
        user: config.User ?? "",
        hostname: config.Hostname ?? "",
        domainname: config.Domainname ?? "",
        workingDir: config.WorkingDir ?? "",
        networkMode: host.NetworkMode,
        networksAdvanced: networks.map(([name, endpoint]) => ({
            // The daemon adds the container's short id itself; it is not part of anyone's configuration.
            aliases: (endpoint.Aliases ?? []).filter((alias) => alias !== shortId).sort(),
            driverOpts: [],
            gwPriority: null,
            ipv4Address: endpoint.IPAMConfig?.IPv4Address ?? "",
            ipv6Address: endpoint.IPAMConfig?.IPv6Address ?? "",
            linkLocalIps: [],
            macAddress: "",
            name,
        })),
        networkDatas: networks.map(([name, endpoint]) => ({
            gateway: endpoint.Gateway ?? "",
            globalIpv6Address: endpoint.GlobalIPv6Address ?? "",
            globalIpv6PrefixLength: endpoint.GlobalIPv6PrefixLen ?? 0,
            ipAddress: endpoint.IPAddress ?? "",
            ipPrefixLength: endpoint.IPPrefixLen ?? 0,
            ipv6Gateway: endpoint.IPv6Gateway ?? "",
            macAddress: endpoint.MacAddress ?? "",
            networkName: name,
        })),
        restart: host.RestartPolicy?.Name ?? "no",
        maxRetryCount: host.RestartPolicy?.MaximumRetryCount ?? 0,
        init: host.Init ?? false,
        shmSize: Math.floor((host.ShmSize ?? 0) / 1024 / 1024),
        ipcMode: host.IpcMode ?? "",
        runtime: host.Runtime ?? "",
        platform: container.Platform ?? "",
        usernsMode: host.UsernsMode ?? "",
        privileged: host.Privileged ?? false,
        publishAllPorts: host.PublishAllPorts ?? false,
        readOnly: host.ReadonlyRootfs ?? false,
        rm: host.AutoRemove ?? false,
        memory: Math.floor((host.Memory ?? 0) / 1024 / 1024),
        memorySwap: Math.max(0, Math.floor((host.MemorySwap ?? 0) / 1024 / 1024)),
        memoryReservation: Math.floor((host.MemoryReservation ?? 0) / 1024 / 1024),
        cpuShares: host.CpuShares ?? 0,
        cpuSet: host.CpusetCpus ?? "",
        securityOpts: host.SecurityOpt ?? [],
        stdinOpen: config.OpenStdin ?? false,
        tty: config.Tty ?? false,
        stopSignal: config.StopSignal ?? "",
        stopTimeout: config.StopTimeout ?? 0,
        hosts: [],
        ulimits: [],
        uploads: [],
        deviceReadBps: [],
        deviceReadIops: [],
        deviceWriteBps: [],
        deviceWriteIops: [],
        deviceRequests: [],
        // How the provider manages the container, not how it runs: the provider's defaults, as
        // after `terraform import`; a stopped container reads as must-run false, as the provider's Read does.
        attach: false,
        logs: false,
        start: true,
        mustRun: container.State.Running,
        removeVolumes: true,
        wait: false,
        waitTimeout: 60,
        containerReadRefreshTimeoutMilliseconds: 15000,
    };
}

/** The provider's own inputs for a state: everything but what only the engine computes. */
function inputsOf(state: Record<string, unknown>): Record<string, unknown> {
    const computed = new Set(["__meta", "id", "networkDatas", "hostname", "ipcMode", "runtime", "platform", "imageId"]);
    return Object.fromEntries(Object.entries(state).filter(([key]) => !computed.has(key)));
}

/** The RemoteImage as the provider records it (its Terraform resource has no importer, so Read cannot adopt it). */
export function imageState(reference: string, image: ImageInspect): Record<string, unknown> {
    const repository = reference.replace(/@.*$/, "").replace(/:[^:/]*$/, "");
    const repoDigest = (image.RepoDigests ?? []).find((digest) => digest.startsWith(`${repository}@`)) ?? "";
    return {
        id: `${image.Id}${reference}`,
        name: reference,
        imageId: image.Id,
        repoDigest,
        // Adoption must never remove an image a running container uses; the program keeps them too.
        keepLocally: true,
        platform: "",
        build: null,
        forceRemove: null,
        pullTriggers: null,
        triggers: null,
    };
}

// ---- matching and the import documents ------------------------------------------------------------

const containerName = (container: ContainerInspect): string => container.Name.replace(/^\//, "");

function secretVariablesOf(entry: ServiceEntry, settings: Settings): string[] {
    return Object.keys(resolve(entry.secretEnv, settings, {}));
}

/** Network property differences the program would replace the network for (Docker cannot change them in place). */
function networkDifferences(
    found: NetworkInspect,
    wanted: { driver: string; internal: boolean; attachable: boolean },
): string[] {
    const differences: string[] = [];
    const labels = Object.keys(found.Labels ?? {});
    if (labels.length > 0) differences.push(`labels ${labels.join(", ")} (catalog: none)`);
    if (found.Driver !== wanted.driver) differences.push(`driver ${found.Driver} (catalog: ${wanted.driver})`);
    if (found.Internal !== wanted.internal)
        differences.push(`internal ${found.Internal} (catalog: ${wanted.internal})`);
    if (found.Attachable !== wanted.attachable) {
        differences.push(`attachable ${found.Attachable} (catalog: ${wanted.attachable})`);
    }
    return differences;
}

/**
 * Collects the import entries. Components go into a file of their own, imported first: in a
 * `pulumi import` the providers are created before anything else, so a provider's parent (the
 * DockerHosts and Machines components) must already be in the state. The other files name their
 * parents in `nameTable` by URN.
 */
class ImportDocuments {
    private readonly components = new Map<string, ImportResource>();

    constructor(
        private readonly stack: string,
        private readonly project: string,
    ) {}

    component(type: string, name: string, logicalName: string, parent?: string): string {
        if (!this.components.has(name)) {
            this.components.set(name, {
                type,
                name,
                ...(logicalName === name ? {} : { logicalName }),
                ...(parent === undefined ? {} : { parent }),
                component: true,
            });
        }
        return name;
    }

    private qualifiedType(name: string): string {
        const component = this.components.get(name);
        if (component === undefined) throw new Error(`adopt: no component ${name}`);
        return component.parent === undefined
            ? component.type
            : `${this.qualifiedType(component.parent)}$${component.type}`;
    }

    urnOf(name: string): string {
        const component = this.components.get(name);
        if (component === undefined) throw new Error(`adopt: no component ${name}`);
        return `urn:pulumi:${this.stack}::${this.project}::${this.qualifiedType(name)}::${component.logicalName ?? name}`;
    }

    componentFile(): ImportFile {
        return { resources: [...this.components.values()] };
    }

    /** Resources whose parents are components (by URN) or other entries of the same file (by name). */
    file(resources: readonly ImportResource[]): ImportFile {
        const parents = [...new Set(resources.flatMap((r) => (r.parent === undefined ? [] : [r.parent])))];
        const nameTable = Object.fromEntries(
            parents.filter((name) => this.components.has(name)).map((name) => [name, this.urnOf(name)]),
        );
        return resources.length === 0 ? { resources: [] } : { nameTable, resources: [...resources] };
    }
}

export function adoption(input: AdoptionInput): Adoption {
    const { settings, plugins } = input;
    const documents = new ImportDocuments(input.stack, input.project);
    const placements = placementsOf(input.services, settings);
    const docker: ImportResource[] = [];
    const adopted: AdoptedContainer[] = [];
    const networks: Adoption["networks"] = [];
    const differing = new Set<string>();
    const recreate: Adoption["recreate"] = [];
    const added = new Set<string>();
    const add = (resource: ImportResource): void => {
        if (added.has(resource.name)) return;
        added.add(resource.name);
        docker.push(resource);
    };
    const engineOf = (endpoint: string): EngineSnapshot | undefined =>
        input.engines.find((e) => e.endpoint === endpoint);
    const configured = hostNames.filter((name) => settings.hosts[name] !== undefined);
    const endpointOf = (host: HostName): string => {
        const hostSettings = settings.hosts[host];
        if (hostSettings === undefined) throw new Error(`homelab:hosts.${host} is not configured`);
        return dockerEndpoint(host, hostSettings);
    };

    const dockerHosts = (): string => documents.component(types.dockerHosts, "hosts", "hosts");
    const providerOf = (host: HostName): string => {
        const name = `hosts-${host}`;
        add({
            type: types.dockerProvider,
            name,
            parent: dockerHosts(),
            version: plugins.docker,
            inputs: { host: endpointOf(host) },
        });
        return name;
    };
    const stackComponent = (stack: string): string => documents.component(stackType(stack), `stack:${stack}`, stack);
    const adoptNetwork = (
        resource: string,
        network: string,
        host: HostName,
        parent: () => string,
        wanted: { driver: string; internal: boolean; attachable: boolean },
    ): void => {
        const found = engineOf(endpointOf(host))?.networks.find((n) => n.Name === network);
        networks.push({
            resource,
            network,
            found: found !== undefined,
            differences: found ? networkDifferences(found, wanted) : [],
        });
        if (found === undefined) return;
        // The program would replace a differing network, and Docker cannot: its name is taken and
        // containers use it. Neither it nor the containers on it are imported (see the report).
        if (networkDifferences(found, wanted).length > 0) {
            differing.add(`${endpointOf(host)}\0${network}`);
            return;
        }
        add({
            type: types.network,
            name: `network:${resource}`,
            logicalName: resource,
            id: found.Id,
            parent: parent(),
            provider: providerOf(host),
            version: plugins.docker,
        });
    };

    // The proxy network: one per engine, owned by the engine's first host (hosts/docker.ts).
    const proxyOwners = configured.filter((h, i) => configured.findIndex((o) => endpointOf(o) === endpointOf(h)) === i);
    for (const host of proxyOwners) {
        adoptNetwork(`hosts-${host}-${proxyNetworkName}`, proxyNetworkName, host, dockerHosts, {
            driver: "bridge",
            internal: false,
            attachable: false,
        });
    }
    // A stack's internal network, on the host of its first service that uses it (components/stack.ts).
    for (const stack of stackNames) {
        const first = placements.find(
            (p) => p.entry.stack === stack && p.entry.networking.mode === "bridge" && p.entry.networking.internal,
        );
        if (first === undefined) continue;
        adoptNetwork(`${stack}-internal`, `${stack}-internal`, first.host, () => stackComponent(stack), {
            driver: "bridge",
            internal: true,
            attachable: false,
        });
    }

    const matched = new Set<string>();
    const missing: Adoption["missing"] = [];
    for (const placement of placements) {
        const engine = engineOf(placement.endpoint);
        const container = engine?.containers.find((c) => containerName(c) === placement.entry.name);
        if (engine === undefined || container === undefined) {
            missing.push({ service: placement.entry.name, host: placement.host });
            continue;
        }
        matched.add(`${placement.endpoint}\0${container.Id}`);
        const blocking = Object.keys(container.NetworkSettings.Networks ?? {}).filter((network) =>
            differing.has(`${placement.endpoint}\0${network}`),
        );
        if (blocking.length > 0) {
            recreate.push({ container: placement.entry.name, host: placement.host, networks: blocking });
            continue;
        }
        const image = engine.images.find((i) => i.Id === container.Image);
        const provider = providerOf(placement.host);
        const service = documents.component(
            types.service,
            `service:${placement.resourceName}`,
            placement.resourceName,
            stackComponent(placement.entry.stack),
        );
        if (image !== undefined) {
            const state = imageState(container.Config.Image, image);
            add({
                type: types.image,
                name: `image:${placement.resourceName}-image`,
                logicalName: `${placement.resourceName}-image`,
                id: String(state.id),
                parent: service,
                provider,
                version: plugins.docker,
                inputs: { name: state.name, keepLocally: true },
                outputs: state,
            });
        }
        const state = containerState(container, image, secretVariablesOf(placement.entry, settings));
        add({
            type: types.container,
            name: `container:${placement.resourceName}`,
            logicalName: placement.resourceName,
            id: container.Id,
            parent: service,
            provider,
            version: plugins.docker,
            inputs: inputsOf(state),
            outputs: state,
        });
        adopted.push({
            container: placement.entry.name,
            resource: placement.resourceName,
            host: placement.host,
            stack: placement.entry.stack,
            imageMatches: container.Config.Image === runtimeImage(placement.entry, settings).image,
            composeProject: container.Config.Labels?.["com.docker.compose.project"],
        });
    }
    const unknown = input.engines.flatMap((engine) =>
        engine.containers
            .filter((c) => !matched.has(`${engine.endpoint}\0${c.Id}`))
            .map((c) => ({
                endpoint: engine.endpoint,
                container: containerName(c),
                image: c.Config.Image,
                running: c.State.Running,
            })),
    );

    const vms = vmResources(settings, plugins, documents);
    const checks = vmChecks(
        vmHosts(settings).map(({ name, vm }) => ({
            host: name,
            vm,
            adopt: vm.adopt,
            configFile: `Pulumi.${input.stack}.yaml`,
        })),
        input.qm ?? { dir: `.adopt/${input.stack}/qm`, texts: new Map() },
    );
    const result = {
        components: documents.componentFile(),
        vms: documents.file(vms),
        docker: documents.file(docker),
        adopted,
        recreate,
        unknown,
        missing,
        networks,
        blocking: checks.blocking,
        vmChecks: checks.checked,
    };
    return { ...result, report: adoptionReport(input.stack, result) };
}

/**
 * The existing Proxmox VMs (`vm.adopt: true`) by the <node>/<vmid> in config (hosts/proxmox.ts), under
 * the components the program nests them in. VMs with adopt false are the program's to create.
 */
function vmResources(settings: Settings, plugins: PluginVersions, documents: ImportDocuments): ImportResource[] {
    const vms = vmHosts(settings).filter(({ vm }) => vm.adopt);
    const proxmox = settings.proxmox;
    if (vms.length === 0 || proxmox === undefined) return [];
    const plugin = { version: plugins.proxmoxve.version, pluginDownloadUrl: plugins.proxmoxve.server };
    const machines = documents.component(types.machines, "machines", "machines");
    const machineVms = documents.component(types.proxmoxVms, "machines-vms", "machines-vms", machines);
    return [
        {
            type: types.proxmoxProvider,
            name: "machines-proxmox",
            parent: machines,
            ...plugin,
            // The API token is a secret: it never goes into this file. The provider reads it from
            // PROXMOX_VE_API_TOKEN during the import; the first `pulumi up` stores the config's.
            inputs: { endpoint: proxmox.endpoint, insecure: proxmox.insecure },
        },
        ...vms.map(({ name, vm }) => ({
            type: types.vm,
            name: `machines-vms-${name}`,
            id: vmImportId(vm),
            parent: machineVms,
            provider: "machines-proxmox",
            ...plugin,
        })),
    ];
}

// ---- the report ---------------------------------------------------------------------------------

type ReportInput = Omit<Adoption, "report">;

/** A `|` inside a value would end its table cell. */
const cell = (text: string): string => text.replace(/\|/g, "\\|");

function blockingSection(result: ReportInput): string[] {
    const lines = [`## Blocking before \`pulumi up\` (${result.blocking.length})`, ""];
    if (result.blocking.length === 0) {
        lines.push("None: every VM checked matches its `vm` block.");
        return lines;
    }
    lines.push(
        "A VM that differs from its `vm` block shows in `pulumi preview --diff` only as an in-place update of the",
        "adopted VM, easy to approve without noticing (an unchecked VM may hide one). Settle each item: take the real",
        "value into the stack config, or change the VM deliberately and save its `qm config` again. Then run the",
        "adoption again: it exits 1 until none is left.",
        "",
        "| VM | what | configured | real | fix |",
        "|---|---|---|---|---|",
    );
    for (const item of result.blocking) {
        lines.push(
            `| ${item.host} (${item.vm}) | ${cell(item.what)} | ${cell(item.configured)} | ${cell(item.real)} | ${cell(item.fix)} |`,
        );
    }
    return lines;
}

export function adoptionReport(stack: string, result: ReportInput): string {
    const lines = [`# Adoption report: stack ${stack}`, "", ...blockingSection(result), ""];
    const vms = result.vms.resources.filter((r) => r.type === types.vm);
    lines.push("## Proxmox VMs (`vm.adopt: true`, by id from the stack config; Proxmox was not contacted)", "");
    if (vms.length === 0) lines.push("None.");
    for (const vm of vms) {
        const check = result.vmChecks.find((c) => c.vm === vm.id);
        lines.push(`- ${vm.name}: ${vm.id ?? ""}${check === undefined ? "" : ` (qm config: ${check.result})`}`);
    }
    // VMs no longer marked adopt (imported earlier) whose qm config was still saved.
    const alsoChecked = result.vmChecks.filter((c) => !vms.some((vm) => vm.id === c.vm));
    for (const check of alsoChecked)
        lines.push(`- ${check.host}: ${check.vm}, not marked adopt (qm config: ${check.result})`);
    if (vms.length > 0) {
        lines.push(
            "",
            "After importing 2-vms.json, set each one's `vm.adopt` to false: `pulumi import` records no import id,",
            "so the program's own import of an adopted VM (by <node>/<vmid>) would plan to import it a second time.",
        );
    }
    lines.push("", "## Networks", "");
    for (const network of result.networks) {
        const state = network.found
            ? network.differences.length === 0
                ? "found, imported"
                : `found, not imported: it differs (${network.differences.join("; ")})`
            : "not found: `pulumi up` creates it";
        lines.push(`- ${network.network} (${network.resource}): ${state}`);
    }
    if (result.recreate.length > 0) {
        lines.push(
            "",
            `## To recreate instead of adopt (${result.recreate.length})`,
            "",
            "Docker cannot change a network in place, and the program's replacement would clash with the",
            "network's name while these containers use it. Before `pulumi up`, remove them and the network",
            "(`docker compose down` in their stack directory: appdata stays on disk); `pulumi up` recreates both.",
            "",
        );
        for (const c of result.recreate) lines.push(`- ${c.container} on ${c.host} (on ${c.networks.join(", ")})`);
    }
    lines.push("", `## Adopted containers (${result.adopted.length})`, "");
    lines.push("| container | stack | host | image as catalog pins it | compose project |", "|---|---|---|---|---|");
    for (const c of result.adopted) {
        lines.push(
            `| ${c.container} | ${c.stack} | ${c.host} | ${c.imageMatches ? "yes" : "no: replaced by the pinned image"} | ${c.composeProject ?? "-"} |`,
        );
    }
    if (result.adopted.some((c) => c.composeProject !== undefined)) {
        lines.push(
            "",
            "Compose labels its containers (`com.docker.compose.*`) and Docker cannot change a container's labels:",
            "the first `pulumi up` recreates each adopted compose container once (same name, same appdata).",
        );
    }
    lines.push("", `## Running but not in the catalog (${result.unknown.length})`, "");
    for (const c of result.unknown) {
        lines.push(`- ${c.container} (${c.image}, ${c.running ? "running" : "stopped"}) on ${c.endpoint}`);
    }
    lines.push("", `## In the catalog but not running (${result.missing.length}): \`pulumi up\` creates them`, "");
    for (const m of result.missing) lines.push(`- ${m.service} on ${m.host}`);
    return `${lines.join("\n")}\n`;
}

// ---- the command --------------------------------------------------------------------------------

interface StackFile {
    config?: Record<string, unknown>;
}

/** The non-secret settings of a stack config file, validated like the program does (secure values are skipped). */
export function readSettings(configFile: string): Settings {
    const file = parse(fs.readFileSync(configFile, "utf8")) as StackFile;
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(file.config ?? {})) {
        if (!key.startsWith(`${configNamespace}:`)) continue;
        if (typeof value === "object" && value !== null && "secure" in value) continue;
        let parsed: unknown = value;
        if (typeof value === "string") {
            try {
                parsed = JSON.parse(value);
            } catch {
                parsed = value;
            }
        }
        raw[key.slice(configNamespace.length + 1)] = parsed;
    }
    const result = settingsSchema.safeParse(raw);
    if (!result.success) throw new ConfigError(describeIssues(configNamespace, raw, result.error.issues));
    return result.data;
}

/** Reads one engine: every container (running or not), network and the images the containers use. */
export function readEngine(endpoint: string, dockerHost: string): EngineSnapshot {
    const run = (args: string[]): string => {
        const result = spawnSync("docker", args, {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: dockerHost },
            maxBuffer: 256 * 1024 * 1024,
        });
        if (result.status !== 0) throw new Error(`docker ${args[0] ?? ""} (${dockerHost}): ${result.stderr.trim()}`);
        return result.stdout;
    };
    const ids = (args: string[]): string[] =>
        run(args)
            .split("\n")
            .filter((line) => line !== "");
    const inspect = <T>(kind: string, list: string[]): T[] =>
        list.length === 0 ? [] : (JSON.parse(run([kind, "inspect", ...list])) as T[]);
    const containers = inspect<ContainerInspect>("container", ids(["ps", "-a", "--no-trunc", "--format", "{{.ID}}"]));
    const networks = inspect<NetworkInspect>("network", ids(["network", "ls", "--no-trunc", "--format", "{{.ID}}"]));
    const images = inspect<ImageInspect>("image", [...new Set(containers.map((c) => c.Image))]);
    return { endpoint, containers, networks, images };
}

function pluginVersions(): PluginVersions {
    const pulumiField = (pkg: string): { version: string; server?: string } =>
        (
            JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as {
                pulumi: { version: string; server?: string };
            }
        ).pulumi;
    return { docker: pulumiField("@pulumi/docker").version, proxmoxve: pulumiField("@muhlba91/pulumi-proxmoxve") };
}

interface Options {
    stack: string;
    configFile: string;
    out: string;
    dockerHost?: string;
    /** Where the owner saved each VM's `qm config <vmid>` as <vmid>.conf. */
    qmDir: string;
}

function parseArgs(argv: readonly string[]): Options {
    const value = (flag: string): string | undefined => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const stack = value("--stack");
    if (stack === undefined) {
        throw new Error(
            "usage: npm run adopt -- --stack <prod|lab> [--config-file F] [--out DIR] [--docker-host URL] [--qm-config DIR]",
        );
    }
    const out = value("--out") ?? path.join(root, ".adopt", stack);
    return {
        stack,
        configFile: value("--config-file") ?? path.join(root, `Pulumi.${stack}.yaml`),
        out,
        dockerHost: value("--docker-host"),
        qmDir: value("--qm-config") ?? path.join(out, "qm"),
    };
}

/** The saved `qm config` outputs of these VM ids (`<dir>/<vmid>.conf`), where the owner saved one. */
export function readQmConfigs(dir: string, vmIds: readonly number[]): Map<number, string> {
    const texts = new Map<number, string>();
    for (const vmId of vmIds) {
        const file = path.join(dir, `${vmId}.conf`);
        if (fs.existsSync(file)) texts.set(vmId, fs.readFileSync(file, "utf8"));
    }
    return texts;
}

/** A path as the owner typed it or can paste it: relative to the working directory when inside it. */
function shown(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

const root = path.resolve(__dirname, "..");

export interface AdoptRun {
    adoption: Adoption;
    /** 1 when the report has blocking items: the files are written all the same. */
    exitCode: 0 | 1;
    reportFile: string;
}

/** The command: `read` is how an engine is read (the `docker` CLI; a test passes snapshots). */
export function main(
    argv: readonly string[],
    read: (endpoint: string, dockerHost: string) => EngineSnapshot = readEngine,
): AdoptRun {
    const options = parseArgs(argv);
    const settings = readSettings(options.configFile);
    const problems = catalogProblems(catalog, settings);
    if (problems.length > 0) throw new ConfigError(problems);
    const endpoints = [...new Set(Object.entries(settings.hosts).map(([name, host]) => dockerEndpoint(name, host)))];
    const engines = endpoints.map((endpoint) => read(endpoint, options.dockerHost ?? endpoint));
    const vmIds = vmHosts(settings).map(({ vm }) => vm.vmId);
    const project = (parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string }).name;
    const result = adoption({
        stack: options.stack,
        project,
        settings,
        services: catalog,
        engines,
        plugins: pluginVersions(),
        qm: { dir: shown(options.qmDir), texts: readQmConfigs(options.qmDir, vmIds) },
    });
    fs.mkdirSync(options.out, { recursive: true, mode: 0o700 });
    const write = (file: string, content: string): void => {
        fs.writeFileSync(path.join(options.out, file), content, { mode: 0o600 });
    };
    write("1-components.json", `${JSON.stringify(result.components, null, 2)}\n`);
    write("2-vms.json", `${JSON.stringify(result.vms, null, 2)}\n`);
    write("3-docker.json", `${JSON.stringify(result.docker, null, 2)}\n`);
    write("report.md", result.report);
    console.log(result.report);
    console.log(`Wrote ${options.out}/{1-components,2-vms,3-docker}.json and report.md`);
    const reportFile = shown(path.join(options.out, "report.md"));
    if (result.blocking.length === 0) return { adoption: result, exitCode: 0, reportFile };
    // One line, last, on stderr: the report above is long and a non-zero exit alone says nothing.
    console.error(
        `adopt: ${result.blocking.length} blocking item${result.blocking.length === 1 ? "" : "s"} before \`pulumi up\`: see "Blocking before \`pulumi up\`" in ${reportFile}`,
    );
    return { adoption: result, exitCode: 1, reportFile };
}

if (require.main === module) {
    try {
        process.exitCode = main(process.argv.slice(2)).exitCode;
    } catch (error) {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    }
}
