/**
 * `docker inspect` → the state the Docker provider records: what an import file carries as each
 * resource's inputs and outputs, so that `pulumi import` takes the engine's resources as they are.
 */
import type { ContainerInspect, ImageInspect } from "./inspect";

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
export function inputsOf(state: Record<string, unknown>): Record<string, unknown> {
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
