import type { Settings } from "../config/schema";
import { resolve, type ServiceEntry } from "../catalog/types";
import { edgeHost, type HostName } from "../topology";
import type { HostSettings } from "../config/schema";
import { proxyNetworkName } from "../hosts/endpoint";

/**
 * Pure functions from a catalog entry to the plain parts of its container: no Outputs, no
 * resources, so every rule here is tested directly.
 */

export interface Volume {
    hostPath: string;
    containerPath: string;
    readOnly: boolean;
}

/** The engine's socket on its host: as configured, else the one a unix:// endpoint names, else Docker's default. */
export function dockerSocketOf(host: HostSettings): string {
    if (host.dockerSocket !== undefined) return host.dockerSocket;
    return host.dockerHost?.startsWith("unix://") ? host.dockerHost.slice("unix://".length) : "/var/run/docker.sock";
}

/** The storage paths on one host: the stack-wide ones unless the host overrides them. */
export function storageFor(settings: Settings, host: HostSettings): Settings["storage"] {
    return { ...settings.storage, ...host.storage };
}

/** A catalog tmpfs as Docker mounts it: RAM only, small, writable by the service's own user. */
export const tmpfsOptions = "rw,noexec,nosuid,size=1m,mode=1777";

export function volumesFor(entry: ServiceEntry, settings: Settings, host: HostSettings): Volume[] {
    const storage = storageFor(settings, host);
    return entry.mounts.map((mount): Volume => {
        switch (mount.from) {
            case "appdata":
                return {
                    hostPath: [storage.appdata, mount.of ?? entry.name, mount.sub].filter(Boolean).join("/"),
                    containerPath: mount.target,
                    readOnly: false,
                };
            case "data":
                return {
                    hostPath: mount.sub === "" ? storage.data : `${storage.data}/${mount.sub}`,
                    containerPath: mount.target,
                    readOnly: mount.readOnly ?? false,
                };
            case "stacks":
                return { hostPath: storage.stacks, containerPath: storage.stacks, readOnly: false };
            case "docker-socket":
                return {
                    hostPath: dockerSocketOf(host),
                    containerPath: "/var/run/docker.sock",
                    readOnly: mount.readOnly,
                };
            case "scratch":
                return { hostPath: `${host.scratch}/${mount.sub}`, containerPath: mount.target, readOnly: false };
        }
    });
}

/** Plain (non-secret) environment: identity, time zone, then the entry's own variables. */
export function plainEnv(entry: ServiceEntry, settings: Settings): Record<string, string> {
    const identity: Record<string, string> =
        entry.user.kind === "puid" ? { PUID: String(settings.identity.uid), PGID: String(settings.identity.gid) } : {};
    return { ...identity, TZ: settings.timezone, ...resolve(entry.env, settings, {}) };
}

export function userFor(entry: ServiceEntry, settings: Settings): string | undefined {
    return entry.user.kind === "user" ? `${settings.identity.uid}:${settings.identity.gid}` : undefined;
}

export interface HealthcheckSpec {
    tests: string[];
    interval: string;
    timeout: string;
    retries: number;
    startPeriod: string;
    /** Probes this often during the start period, where the engine supports it. */
    startInterval?: string;
}

export function healthcheckFor(entry: ServiceEntry, host: HostSettings): HealthcheckSpec | undefined {
    const health = entry.health;
    // Written the way the engine reports them back (Go durations: "1m0s", not "60s"), or every
    // preview shows a healthcheck update that never settles.
    const timing = {
        interval: "30s",
        timeout: "10s",
        retries: 3,
        startPeriod: "1m0s",
        ...(host.healthcheckStartInterval ? { startInterval: "2s" } : {}),
    };
    switch (health.kind) {
        case "http": {
            const url = `http://localhost:${health.port}${health.path}`;
            const probe =
                health.client === "curl" ? ["curl", "-fsS", "-o", "/dev/null", url] : ["wget", "-q", "--spider", url];
            return { tests: ["CMD", ...probe], ...timing };
        }
        case "command":
            return { tests: ["CMD", ...health.test], ...timing };
        case "image":
        case "none":
            return undefined;
    }
}

/** Whether Traefik routes this service through Docker labels (same host) or the file provider. */
export function routedByLabels(entry: ServiceEntry, host: HostName): boolean {
    return entry.route !== undefined && host === edgeHost;
}

export const forwardAuthMiddleware = "authentik@file";

export function hostnameOf(entry: ServiceEntry, settings: Settings): string | undefined {
    return entry.route ? `${entry.route.subdomain}.${settings.domain}` : undefined;
}

export function traefikLabels(entry: ServiceEntry, settings: Settings, host: HostName): Record<string, string> {
    const route = entry.route;
    if (route === undefined || !routedByLabels(entry, host)) return {};
    const router = `traefik.http.routers.${entry.name}`;
    const labels: Record<string, string> = {
        "traefik.enable": "true",
        "traefik.docker.network": proxyNetworkName,
        [`${router}.rule`]: `Host(\`${route.subdomain}.${settings.domain}\`)`,
        [`${router}.entrypoints`]: "websecure",
        [`${router}.service`]: route.traefikService ?? entry.name,
    };
    if (route.forwardAuth) labels[`${router}.middlewares`] = forwardAuthMiddleware;
    if (route.traefikService === undefined && entry.port !== undefined) {
        labels[`traefik.http.services.${entry.name}.loadbalancer.server.port`] = String(entry.port);
    }
    return labels;
}

/** Labels that say where a container comes from: adoption and the real-engine tests read them. */
export function ownershipLabels(entry: ServiceEntry, host: HostName): Record<string, string> {
    return { "homelab.service": entry.name, "homelab.stack": entry.stack, "homelab.host": host };
}

/** Dockman's updater skips a container whose label is "true" (below). */
export const dockmanUpdateDisableLabel = "dockman.update.disable";

/**
 * The labels that make Dockman show a program container in its stack and service, and keep both
 * Dockman and docker compose from acting on it: the program is its only owner.
 *
 * Dockman (RA341/dockman v3.2.0) groups what the Docker API lists by these two labels
 * (core/internal/docker/handler_containers.go ToProto: StackName ← com.docker.compose.project,
 * ServiceName ← com.docker.compose.service). Its updater pulls and recreates every container
 * unless `dockman.update.disable` is "true" (core/internal/docker/updater/updater.go,
 * DockmanUpdateDisableLabel / hasDisableUpdateLabel in containerUpdate).
 *
 * Compose only ever acts on containers it lists, and it lists by more than the project label:
 * - compose v2 and later (Dockman's image runs v5.0.1; docker/compose pkg/compose/containers.go
 *   getDefaultFilters, since v2.17.0, commit 4ea44797f "only consider containers with config_hash
 *   labels"): every lookup (up, down, --remove-orphans, restart) filters on the
 *   `com.docker.compose.config-hash` label being present.
 * - compose v1 (Debian's docker-compose 1.29; compose/project.py Project._labeled_containers,
 *   Project.labels, OneOffFilter.update_labels, and compose/service.py Service.labels): up and
 *   --remove-orphans (Project.find_orphan_containers) filter on `com.docker.compose.oneoff=False`.
 *   Only `down` lists with OneOffFilter.include, and then takes just the services its own file
 *   declares (Project.containers → matches_service_names): a compose file that declares a
 *   catalog service under a catalog stack's project name would stop and remove it. Nothing the
 *   program writes declares one (the stacks directory gets no compose file from it), and the
 *   README says so.
 * So the program sets the project and service labels and never `config-hash` or `oneoff`.
 */
export function dockmanLabels(entry: ServiceEntry): Record<string, string> {
    return {
        "com.docker.compose.project": entry.stack,
        "com.docker.compose.service": entry.name,
        [dockmanUpdateDisableLabel]: "true",
    };
}

/** A directory a service needs on its host before its container starts, with the owner it runs as. */
export interface OwnedDirectory {
    path: string;
    uid: number;
    gid: number;
    mode: string;
    /**
     * Whether an existing directory gets this owner too (the top directory only). False where the
     * image's entrypoint takes ownership itself (a database): it is created if missing, never changed.
     */
    enforceOwner: boolean;
}

/** Who owns a service's host directories: the identity it runs as, or a recorded exception. */
export function directoryOwner(entry: ServiceEntry, settings: Settings): Omit<OwnedDirectory, "path"> {
    const { uid, gid } = settings.identity;
    if (entry.user.kind !== "exception") return { uid, gid, mode: "0750", enforceOwner: true };
    const owner = entry.user.appdataOwner;
    return owner === undefined
        ? { uid: 0, gid: 0, mode: "0755", enforceOwner: false }
        : { ...owner, mode: "0750", enforceOwner: true };
}

/**
 * The host directories a service writes to, parents first: its appdata (Docker would create a
 * missing bind source as root, which a service running as 2000:2000 cannot write), the stacks
 * directory, its scratch space and, where the host itself holds the data tree (the lab), the
 * data paths it uses.
 */
export function directoriesFor(entry: ServiceEntry, settings: Settings, host: HostSettings): OwnedDirectory[] {
    const storage = storageFor(settings, host);
    const owner = directoryOwner(entry, settings);
    const shared = { uid: settings.identity.uid, gid: settings.identity.gid, mode: "0775", enforceOwner: true };
    const dataPath = (sub: string): string => (sub === "" ? storage.data : `${storage.data}/${sub}`);
    const directories: OwnedDirectory[] = [];
    const add = (path: string, how: Omit<OwnedDirectory, "path">): void => {
        if (!directories.some((directory) => directory.path === path)) directories.push({ path, ...how });
    };
    const addData = (sub: string): void => {
        const parts = sub.split("/").filter(Boolean);
        for (let i = 0; i <= parts.length; i++) add(dataPath(parts.slice(0, i).join("/")), shared);
    };
    for (const mount of entry.mounts) {
        if (mount.from === "appdata") {
            const service = mount.of ?? entry.name;
            add(`${storage.appdata}/${service}`, owner);
            if (mount.sub !== undefined) add(`${storage.appdata}/${service}/${mount.sub}`, owner);
        } else if (mount.from === "stacks") {
            // The bootstrap makes it on a VM; the lab has no bootstrap.
            add(storage.stacks, { ...shared, mode: "0755" });
        } else if (mount.from === "scratch") {
            add(`${host.scratch}/${mount.sub}`, owner);
        } else if (mount.from === "data" && host.createDataDirectories) {
            addData(mount.sub);
        }
    }
    if (entry.hardlinks !== undefined && host.createDataDirectories) {
        addData(entry.hardlinks.from);
        addData(entry.hardlinks.to);
    }
    return directories;
}
