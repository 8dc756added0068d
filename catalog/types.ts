import type { Settings } from "../config/schema";
import { everyHost, type HostName } from "../topology";

export const stackNames = [
    "infra",
    "auth",
    "cloudflared",
    "dns-sync",
    "arr",
    "torrent",
    "books",
    "photos",
    "monitoring",
    "plex",
] as const;
export type StackName = (typeof stackNames)[number];

export interface ImagePin {
    repository: string;
    tag: string;
    /** sha256 digest once known (Renovate fills these in). */
    digest?: string;
}

/** How a service is reached: internal (LAN + WireGuard via Traefik) or external (also through the tunnel). */
export interface Route {
    subdomain: string;
    exposure: "internal" | "external";
    forwardAuth: boolean;
    /** A Traefik-internal service instead of the container port (the dashboard's api@internal). */
    traefikService?: string;
}

/** UID/GID 2000:2000 through PUID/PGID or `user:`, or a recorded exception with its reason. */
export type UserModel =
    | { kind: "puid" }
    | { kind: "user" }
    | {
          kind: "exception";
          runsAs: string;
          reason: string;
          /**
           * Owner of its appdata when the image runs as a fixed user of its own (Seerr's node user).
           * Absent: created as root if missing and left to the image (a database entrypoint chowns it).
           */
          appdataOwner?: { uid: number; gid: number };
      };

export type Mount =
    /**
     * `<appdata>/<service>[/<sub>]` on the VM's local disk; with `of`, another service's appdata on
     * the same host, for containers of one app that share a directory (Authentik's server and worker).
     */
    | { from: "appdata"; sub?: string; target: string; of?: string }
    /** `<data>/<sub>` from the NAS, at the same path inside every container that shares it. */
    | { from: "data"; sub: string; target: string; readOnly?: boolean }
    /** The git-tracked compose stacks directory, at the same absolute path inside. */
    | { from: "stacks" }
    | { from: "docker-socket"; readOnly: boolean }
    /** Per-host scratch space off the appdata disk (Plex transcodes). */
    | { from: "scratch"; sub: string; target: string };

/**
 * Where the image keeps what must survive, read from its upstream source at the pinned tag
 * (catalog/validate.ts checks it): Docker gives a declared VOLUME that no mount covers an anonymous
 * volume on the VM's disk, outside every backup and lost when the container is replaced, so each
 * one needs a mount (a tmpfs where it holds nothing to keep); a state path needs a host mount.
 */
export interface ImageStorage {
    /** The `VOLUME` lines of the image and of its base images (what `docker image inspect` shows as Config.Volumes). */
    declaredVolumes: readonly string[];
    /** Where the app writes what it needs again after a restart (database, settings, library). */
    statePaths: readonly string[];
    /** The upstream files these were read from (repository, path, tag). */
    source: string;
}

export type Health =
    /** The container probes its own HTTP endpoint with a client the image ships. */
    | { kind: "http"; port: number; path: string; client: "curl" | "wget" }
    | { kind: "command"; test: readonly string[] }
    /** The image declares a HEALTHCHECK of its own; the endpoint is recorded for docs and tests. */
    | { kind: "image"; port: number; path: string }
    | { kind: "none"; reason: string };

export type Networking =
    /**
     * Bridge networks: the host's shared `proxy` network and/or the stack's internal network, and
     * for the tunnel's two ends the `tunnel` network (catalog/stacks/traefik.ts tunnelNetwork): the
     * connector at its fixed address, the ingress beside it.
     */
    | { mode: "bridge"; proxy: boolean; internal: boolean; tunnel?: "connector" | "ingress" }
    | { mode: "host" }
    /** Shares another service's network namespace (`container:<id>`), e.g. qBittorrent in Gluetun. */
    | { mode: "namespace"; of: string };

export interface PublishedPort {
    port: number;
    /** Host side; the container port when absent. */
    hostPort?: number;
    protocol: "tcp" | "udp";
    /** Why the port is on the host rather than only behind Traefik. */
    reason: string;
}

export interface Device {
    path: string;
    /** Optional devices (GPU for transcoding) are skipped on hosts that lack them. */
    optional: boolean;
    reason: string;
}

export type DatabaseDump =
    /** Every database and role of the cluster (Immich's documented backup). */
    | { tool: "pg_dumpall"; user: string }
    /** One database (Authentik's documented backup). */
    | { tool: "pg_dump"; user: string; database: string };

type FromSettings<T> = T | ((settings: Settings) => T);

/** What an app needs to sign users in with Authentik itself (OpenID Connect), from catalog/sso.ts. */
export interface OidcSettings {
    /** Authentik's issuer for this application: `<auth URL>/application/o/<service>/`. */
    issuer: string;
    clientId: string;
    /** Plain text only inside the function that builds a secret value; never stored elsewhere. */
    clientSecret: string;
    /** The service's own URL. */
    url: string;
}

/**
 * How the app receives its OIDC settings: as env variables (issuer and client id plain, the secret
 * as a secret variable), or as one secret variable holding the app's whole settings document
 * (built with the secret inside, e.g. Immich's config file written to a tmpfs at start).
 */
export type OidcDelivery =
    | { kind: "env"; issuerVar: string; clientIdVar: string; clientSecretVar: string }
    | { kind: "document"; secretVar: string; document: (oidc: OidcSettings) => string };

/** Native OpenID Connect with Authentik instead of forward-auth. */
export interface OidcClient {
    /** The OAuth2 client id (not secret): Authentik's provider and the app's settings share it. */
    clientId: string;
    /** Where Authentik may send the browser back: a path on the service's URL, or a full URI (a mobile app). */
    redirects: readonly ({ path: string } | { uri: string })[];
    delivery: OidcDelivery;
}

/** Single sign-on through Authentik for a routed service (catalog/sso.ts). */
export interface Sso {
    /** The Authentik group let in (a policy binding on its application); catalog/sso.ts has the default. */
    access?: string;
    /** Sign in with Authentik through OIDC (the route then has no forward-auth). */
    oidc?: OidcClient;
}

/** A RAM-backed directory inside the container: nothing written there reaches the host's disk. */
export interface Tmpfs {
    target: string;
    reason: string;
}

export interface ServiceEntry {
    /** Catalog key, Pulumi name and container name (the one the compose stacks use). */
    name: string;
    title: string;
    stack: StackName;
    /** Where the image keeps its data, with the upstream source (checked against the mounts). */
    storage: ImageStorage;
    host: HostName | typeof everyHost;
    image: ImagePin;
    /** The port the app listens on inside the container. */
    port?: number;
    route?: Route;
    user: UserModel;
    mounts: readonly Mount[];
    env?: FromSettings<Readonly<Record<string, string>>>;
    /** Env var → secret config key (`homelab:<key>`). */
    secretEnv?: FromSettings<Readonly<Record<string, string>>>;
    health: Health;
    networking: Networking;
    command?: FromSettings<readonly string[]>;
    publish?: FromSettings<readonly PublishedPort[]>;
    /** A router port forward from the internet straight to this host (outside the tunnel). */
    portForward?: { port: number; reason: string };
    capabilities?: readonly string[];
    devices?: readonly Device[];
    shmSizeMb?: number;
    init?: boolean;
    /** Services this one starts after; `healthy` waits for the dependency's healthcheck. */
    dependsOn?: readonly { service: string; healthy: boolean }[];
    /** Holds data that must survive (databases): protected from deletion where the stack protects state. */
    stateful?: boolean;
    /**
     * How many pods run this service on k3s (one by default; a whole number ≥ 1). Only meaningful
     * there: Docker runs one container per host. With more than one, the pods spread across nodes
     * and each gets its appdata as a directory of its own that goes with the pod (emptyDir), since a
     * node-bound local-path claim cannot follow pods onto other nodes: only for a service that keeps
     * nothing there which must outlive a pod. Never a database (stateful or dumped).
     */
    replicas?: number;
    /**
     * Imports that hardlink or atomically move files from one part of the shared data tree to
     * another (`<data>/<from>` → `<data>/<to>`): both must be one filesystem, seen through one mount.
     */
    hardlinks?: { from: string; to: string };
    /**
     * A database whose consistent dump, not its live data directory, is what the Tier 1 backup
     * keeps: run inside the container (`docker exec`) as the database's own user.
     */
    dump?: DatabaseDump;
    /** False for a catalog option that the pinned versions do not need (Authentik's Redis). */
    enabled?: boolean;
    /** Authentik's side of its sign-in: the access group, or native OIDC (catalog/sso.ts). */
    sso?: Sso;
    tmpfs?: readonly Tmpfs[];
}

export function resolve<T>(value: FromSettings<T> | undefined, settings: Settings, fallback: T): T {
    if (value === undefined) return fallback;
    return typeof value === "function" ? (value as (settings: Settings) => T)(settings) : value;
}

export function imageRef(image: ImagePin): string {
    return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ""}`;
}

/**
 * The mount through which a container sees `<data>/<sub>` (the one with the longest matching
 * sub-path), and the path it has inside; undefined when no data mount covers it.
 */
export function dataMountFor(
    entry: ServiceEntry,
    sub: string,
): { mount: Extract<Mount, { from: "data" }>; containerPath: string } | undefined {
    const covering = entry.mounts
        .filter((mount): mount is Extract<Mount, { from: "data" }> => mount.from === "data")
        .filter((mount) => mount.sub === "" || sub === mount.sub || sub.startsWith(`${mount.sub}/`))
        .sort((a, b) => b.sub.length - a.sub.length)[0];
    if (covering === undefined) return undefined;
    const rest = covering.sub === "" ? sub : sub.slice(covering.sub.length).replace(/^\//, "");
    return { mount: covering, containerPath: rest === "" ? covering.target : `${covering.target}/${rest}` };
}
