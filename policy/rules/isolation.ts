import type { ResourceValidationPolicy } from "@pulumi/policy";
import { capabilityName } from "../../catalog/policy";
import type { ContextOf, PolicyContext } from "../context";
import { containerPolicy, describeAllowed, list, record, text, type Container } from "./read";

/** What a container may reach on its host: namespaces, the Docker socket, the network, capabilities, devices. */

const declare = "declare the need in its catalog entry and the reason in catalog/policy.ts";

const hostNamespaces = [
    ["pidMode", "PID"],
    ["ipcMode", "IPC"],
    ["usernsMode", "user"],
    ["cgroupnsMode", "cgroup"],
] as const;

function privileged(container: Container): string[] {
    const problems: string[] = [];
    if (container.props.privileged === true) {
        problems.push(`${container.name}: runs privileged; no container may (add only the capability it needs)`);
    }
    for (const [field, namespace] of hostNamespaces) {
        if (text(container.props[field]) === "host") {
            problems.push(
                `${container.name}: shares the host's ${namespace} namespace (${field} "host"); no container may`,
            );
        }
    }
    return problems;
}

/** Bind mounts from `volumes` and from `mounts` of type bind. */
function hostMounts(container: Container): { source: string; readOnly: boolean }[] {
    const volumes = list(container.props.volumes)
        .map(record)
        .map((volume) => ({ source: text(volume.hostPath), readOnly: volume.readOnly === true }));
    const binds = list(container.props.mounts)
        .map(record)
        .filter((mount) => text(mount.type) === "bind")
        .map((mount) => ({ source: text(mount.source), readOnly: mount.readOnly === true }));
    return [...volumes, ...binds].flatMap(({ source, readOnly }) =>
        source === undefined ? [] : [{ source, readOnly }],
    );
}

/** The socket itself, or a directory (or the root) that holds it. */
function exposesDockerSocket(source: string): boolean {
    const path = source.replace(/\/+$/, "");
    return /(^|\/)docker\.sock$/.test(path) || ["", "/run", "/var/run"].includes(path);
}

function dockerSocket(container: Container, { allowed }: PolicyContext): string[] {
    const allowance = allowed.dockerSocket.find((item) => item.service === container.name);
    return hostMounts(container)
        .filter((mount) => exposesDockerSocket(mount.source))
        .flatMap((mount) => {
            if (allowance === undefined) {
                const who = describeAllowed(allowed.dockerSocket, (item) => item.service);
                return [
                    `${container.name}: mounts the Docker socket (${mount.source}); allowed only for ${who}; ${declare}`,
                ];
            }
            if (allowance.readOnly && !mount.readOnly) {
                return [
                    `${container.name}: mounts the Docker socket read-write; it may only read it (${allowance.reason})`,
                ];
            }
            return [];
        });
}

function hostNetwork(container: Container, { allowed }: PolicyContext): string[] {
    if (text(container.props.networkMode) !== "host") return [];
    if (allowed.hostNetwork.some((item) => item.service === container.name)) return [];
    const who = describeAllowed(allowed.hostNetwork, (item) => item.service);
    return [`${container.name}: uses host networking; allowed only for ${who}; ${declare}`];
}

const everyAddress = ["", "0.0.0.0", "::", "[::]"];

function publishedPorts(container: Container, { allowed }: PolicyContext): string[] {
    const mine = allowed.publishedPorts.filter((item) => item.service === container.name);
    const problems: string[] = [];
    for (const port of list(container.props.ports).map(record)) {
        const internal = typeof port.internal === "number" ? port.internal : undefined;
        const protocol = text(port.protocol) ?? "tcp";
        const label = `${internal ?? "?"}/${protocol}`;
        if (!mine.some((item) => item.port === internal && item.protocol === protocol)) {
            const ports = describeAllowed(mine, (item) => `${item.port}/${item.protocol}`);
            problems.push(
                `${container.name}: publishes ${label}; allowed for it: ${ports}; ` +
                    "publish through the catalog entry's `publish`, with its reason",
            );
        }
        const ip = text(port.ip);
        // An address not known yet (preview) is judged at `up`.
        if (ip !== undefined ? everyAddress.includes(ip) : port.ip === undefined) {
            problems.push(`${container.name}: publishes ${label} on every address; give it the host's address (ip)`);
        }
    }
    return problems;
}

function capabilities(container: Container, { allowed }: PolicyContext): string[] {
    const added = list(record(container.props.capabilities).adds).flatMap((value) => {
        const capability = text(value);
        return capability === undefined ? [] : [capabilityName(capability)];
    });
    const which = describeAllowed(allowed.capabilities, (item) => `${item.service} ${item.capability}`);
    return added
        .filter((name) => !allowed.capabilities.some((i) => i.service === container.name && i.capability === name))
        .map((name) => `${container.name}: adds capability ${name}; allowed: ${which}; ${declare}`);
}

function devices(container: Container, { allowed }: PolicyContext): string[] {
    const paths = list(container.props.devices).flatMap((device) => {
        const path = text(record(device).hostPath);
        return path === undefined ? [] : [path];
    });
    const which = describeAllowed(allowed.devices, (item) => `${item.service} ${item.path}`);
    return paths
        .filter((path) => !allowed.devices.some((item) => item.service === container.name && item.path === path))
        .map(
            (path) =>
                `${container.name}: gets host device ${path}; allowed: ${which}; declare it in the entry's devices`,
        );
}

export function isolationPolicies(contextOf: ContextOf): ResourceValidationPolicy[] {
    return [
        containerPolicy(
            "no-privileged-containers",
            "No container runs privileged or shares the host's PID, IPC, user or cgroup namespace.",
            contextOf,
            privileged,
        ),
        containerPolicy(
            "docker-socket-allowlist",
            "Only allowlisted containers (Traefik, Dockman, the Beszel agent) mount the Docker socket, read-only where the app allows.",
            contextOf,
            dockerSocket,
        ),
        containerPolicy(
            "host-network-allowlist",
            "Only allowlisted containers (Plex, the Beszel agent) use the host's network.",
            contextOf,
            hostNetwork,
        ),
        containerPolicy(
            "published-ports-allowlist",
            "Only allowlisted ports of allowlisted containers are published, each on an explicit host address.",
            contextOf,
            publishedPorts,
        ),
        containerPolicy(
            "capabilities-allowlist",
            "Containers add only allowlisted capabilities (Gluetun: NET_ADMIN).",
            contextOf,
            capabilities,
        ),
        containerPolicy(
            "devices-allowlist",
            "Containers get only allowlisted host devices (Gluetun: /dev/net/tun, Plex: /dev/dri).",
            contextOf,
            devices,
        ),
    ];
}
