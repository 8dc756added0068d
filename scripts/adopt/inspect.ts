/**
 * Reading a Docker engine: what `docker inspect` says about its containers, networks and the
 * images the containers run, through the `docker` CLI. Only the fields adoption reads are typed.
 */
import { spawnSync } from "node:child_process";

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
    Config?: {
        Env?: string[] | null;
        Labels?: Record<string, string> | null;
        /** The image's VOLUME paths, each mapped to an empty object. */
        Volumes?: Record<string, object> | null;
    } | null;
}

/** One Docker engine as read: `endpoint` is the one the program's Docker provider uses for it. */
export interface EngineSnapshot {
    endpoint: string;
    containers: readonly ContainerInspect[];
    networks: readonly NetworkInspect[];
    images: readonly ImageInspect[];
}

/** The name a container is known by (`docker inspect` prefixes it with a slash). */
export const containerName = (container: ContainerInspect): string => container.Name.replace(/^\//, "");

/**
 * Reads one engine: every container (running or not), network and the images the containers use.
 * `dockerHost` is where the CLI connects; it differs from `endpoint` when one engine stands in for
 * every host (the lab, tests).
 */
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
