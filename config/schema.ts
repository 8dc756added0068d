import { z } from "zod";
import { cloudflareSchema } from "./cloudflare";
import { unifiSchema } from "./unifi";
import { backupsSchema, proxmoxSchema, vmSchema } from "./proxmox";
import { flag, integer, listOf, mapOf, port, section, text } from "./rules";
import { targetNames } from "../catalog/targets";

/**
 * The non-secret part of a stack's config (`homelab:*` keys in Pulumi.<stack>.yaml).
 * Every rule carries its own "what is allowed" text, because that text ends up in the
 * one error message a user sees for bad config (config/rules.ts; tests/config-texts.test.ts
 * walks the schema for a rule without one).
 */

const hostnameLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const domainText = 'a bare lower-case domain name such as "giohosted.com": no scheme, no path, no port';

export const domainSchema = text(domainText).refine(
    (value) => value.split(".").length >= 2 && value.split(".").every((label) => hostnameLabel.test(label)),
    {
        error: domainText,
    },
);

const absolutePath = text("an absolute path such as /opt/appdata")
    .regex(/^\/[^\0]*$/, { error: "an absolute path such as /opt/appdata" })
    .refine((value) => !value.endsWith("/") || value === "/", { error: "an absolute path without a trailing slash" });

const serviceId = integer("an integer from 1 to 65533 (root and nobody are not allowed)", 1, 65533);

const linuxUser = text("a Linux user name such as deploy").regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
    error: "a Linux user name such as deploy",
});

/**
 * How the Docker provider reaches a host's engine: over SSH (`docker system dial-stdio`, the
 * deploy user's key), a unix socket on this machine, or TCP. Over TCP only with TLS (dockerTls,
 * checked on the host below): a Docker API over plain TCP is root on that host for anyone who can
 * reach the port.
 */
const endpointText =
    "a Docker endpoint: ssh://user@host, unix:///path/to/docker.sock or tcp://host:port (with dockerTls)";
const dockerHost = text(endpointText).regex(/^(unix:\/\/\/\S+|ssh:\/\/[^@\s/]+@[^@\s/]+|tcp:\/\/[^\s/]+)$/, {
    error: endpointText,
});

/**
 * The client side of a TLS-protected tcp:// engine, as the Docker CLI takes it (DOCKER_CERT_PATH;
 * `dockerd --tlsverify`): a directory on the machine running Pulumi. The Docker provider reads the
 * files itself (its certPath, hosts/endpoint.ts dockerTlsArgs), so the client key never enters
 * Pulumi's state.
 */
const certPathText =
    "the absolute path of a directory holding ca.pem, cert.pem and key.pem (as DOCKER_CERT_PATH), such as /etc/homelab/docker-tls";
const dockerTlsSchema = section("the TLS settings of a tcp:// dockerHost", {
    certPath: text(certPathText)
        .regex(/^\/[^\0]*$/, { error: certPathText })
        .refine((value) => !value.endsWith("/"), { error: certPathText }),
});

const tcpEndpoint = (endpoint: string | undefined): boolean => endpoint?.startsWith("tcp://") === true;

const hostSchema = section("the settings of one host", {
    address: z.ipv4({ error: "an IPv4 address such as 192.168.30.11" }),
    /** Explicit endpoint; without it the host is reached as ssh://<deployUser>@<address>. */
    dockerHost: dockerHost.optional(),
    /** TLS for a tcp:// dockerHost; required with one, meaningless without. */
    dockerTls: dockerTlsSchema.optional(),
    /**
     * Where the engine's socket is on the host, for the containers that mount it (Traefik,
     * Dockman, the Beszel agent); Docker's /var/run/docker.sock unless the endpoint is a unix
     * socket or this says otherwise (the fleet lab's hosts each have their own).
     */
    dockerSocket: absolutePath.optional(),
    deployUser: linuxUser.optional(),
    /** Host devices that exist on this machine; a service asking for another one does without it. */
    devices: listOf(absolutePath, "a list of device paths such as [/dev/net/tun, /dev/dri]").default([]),
    /** Where this host keeps appdata and the shared tree, when not at the stack-wide paths (Unraid: /mnt/user). */
    storage: section("where this host keeps appdata and the shared data tree", {
        appdata: absolutePath.optional(),
        data: absolutePath.optional(),
    }).optional(),
    /** Scratch space off the appdata disk, e.g. Plex transcodes (RAM-backed /tmp on Unraid). */
    scratch: absolutePath.default("/tmp/homelab"),
    /** Whether containers may use the host's network namespace here (Plex, the Beszel agent). */
    hostNetwork: flag().default(true),
    /**
     * Whether this host's engine takes a healthcheck start interval (Docker 25 and later; Debian
     * 13's docker.io is 26, Debian 12's is 20.10): probes every few seconds while a container
     * starts, so a replaced service is healthy in seconds instead of one full interval.
     */
    healthcheckStartInterval: flag().default(true),
    /**
     * Create the shared data tree's directories here, owned by the service identity. Only where
     * no NAS provides them (the lab): on a VM an empty directory would hide a missing NFS mount.
     */
    createDataDirectories: flag().default(false),
    /** The Proxmox VM this host is (prod); absent for the NAS and in the lab. */
    vm: vmSchema.optional(),
})
    .refine((host) => host.dockerHost !== undefined || host.deployUser !== undefined, {
        error: "a deployUser (reached as ssh://<deployUser>@<address>) or an explicit dockerHost",
        path: ["deployUser"],
    })
    .refine((host) => !tcpEndpoint(host.dockerHost) || host.dockerTls !== undefined, {
        error:
            "ssh://user@host or unix:///path/to/docker.sock, or tcp://host:port only with " +
            "dockerTls: { certPath: <a directory holding ca.pem, cert.pem and key.pem> } " +
            "(a Docker API over plain TCP is root on the host for anyone who can reach the port)",
        path: ["dockerHost"],
    })
    .refine((host) => host.dockerTls === undefined || tcpEndpoint(host.dockerHost), {
        error: (issue) => {
            const host = issue.input as { address?: unknown; dockerHost?: unknown; deployUser?: unknown };
            const reached =
                typeof host.dockerHost === "string"
                    ? `at ${JSON.stringify(host.dockerHost)}`
                    : typeof host.deployUser === "string" && typeof host.address === "string"
                      ? `at ${JSON.stringify(`ssh://${host.deployUser}@${host.address}`)}`
                      : "over SSH";
            return `no dockerTls: it applies to a tcp:// dockerHost only, and this host is reached ${reached}`;
        },
        path: ["dockerTls"],
    });

export const certificateModes = ["letsencrypt", "letsencrypt-staging", "self-signed"] as const;

const traefikSchema = section("Traefik's settings", {
    certificates: z.enum(certificateModes, { error: `one of ${certificateModes.join(", ")}` }),
    acmeEmail: z.email({ error: "an e-mail address for the ACME account" }).optional(),
    httpPort: port().default(80),
    httpsPort: port().default(443),
});

const storageSchema = section("where the stacks keep their files", {
    appdata: absolutePath,
    stacks: absolutePath,
    /** The one tree the arr apps and the download client share (TRaSH layout). */
    data: absolutePath,
});

const countryText = "a country name as Gluetun's SERVER_COUNTRIES takes it, such as Netherlands";

const vpnSchema = section("the VPN (Gluetun) settings", {
    provider: text("a Gluetun VPN_SERVICE_PROVIDER such as protonvpn").min(1, {
        error: "a Gluetun VPN_SERVICE_PROVIDER such as protonvpn",
    }),
    type: z.enum(["wireguard", "openvpn"], { error: "wireguard or openvpn" }),
    serverCountries: listOf(
        text(countryText).min(1, { error: countryText }),
        "a list of country names such as [Netherlands]",
    ).default([]),
});

const adguardSchema = section("the AdGuard Home instances", {
    originUrl: z.url({ error: "an http(s) URL of the primary AdGuard Home" }),
    replicaUrls: listOf(
        z.url({ error: "an http(s) URL of a replica AdGuard Home" }),
        "a list of the http(s) URLs of the replica AdGuard Homes",
    ).min(1, {
        error: "at least one replica URL",
    }),
    syncCron: text('a 5-field cron expression such as "*/10 * * * *"').regex(/^(\S+\s+){4}\S+$/, {
        error: 'a 5-field cron expression such as "*/10 * * * *"',
    }),
});

/** k3s releases as INSTALL_K3S_VERSION takes them: v<major>.<minor>.<patch>+k3s<n>, never a channel. */
export const k3sVersionPattern = /^v1\.\d+\.\d+\+k3s\d+$/;

const clusterNodeSchema = section("one k3s node", {
    /** The node's name: the VM's name and the guest's hostname. */
    name: text("a lower-case host name such as k3s-01").regex(hostnameLabel, {
        error: "a lower-case host name such as k3s-01",
    }),
    address: z.ipv4({ error: "an IPv4 address such as 192.168.30.21" }),
    /** The Proxmox VM this node is; absent for a machine that exists already. */
    vm: vmSchema.optional(),
});

/**
 * The k3s cluster (Phase 6): server nodes installed over SSH by the program (one for the sandbox,
 * three for embedded etcd HA), or an API server that exists already (`kubeconfigPath`: no VMs, no
 * install). Rules across keys (node count, version with nodes) are in hosts/k3s-config.ts.
 */
export const clusterSchema = section("the k3s cluster", {
    nodes: listOf(clusterNodeSchema, "a list of k3s nodes, each { name, address, vm? }").default([]),
    /** INSTALL_K3S_VERSION, pinned (e.g. v1.33.5+k3s1). */
    k3sVersion: text("a pinned k3s release such as v1.33.5+k3s1 (no channel, no latest)")
        .regex(k3sVersionPattern, { error: "a pinned k3s release such as v1.33.5+k3s1 (no channel, no latest)" })
        .optional(),
    /** The user the program reaches the nodes as over SSH (cloud-init creates it on a VM). */
    deployUser: linuxUser.default("deploy"),
    /** The namespace every workload of the homelab goes into. */
    namespace: text("a Kubernetes namespace name such as homelab")
        .regex(hostnameLabel, { error: "a Kubernetes namespace name such as homelab" })
        .default("homelab"),
    /**
     * The stack deploys only its services on k3s (the sandbox): no Docker container, no Docker
     * provider, nothing on any Docker host; homelab:hosts then only says where the NAS serves NFS.
     */
    only: flag().default(false),
    /** Wait for workloads to become ready; false only where no pod can run (the offline API-server test). */
    awaitWorkloads: flag().default(true),
    /** The kubeconfig of an API server that exists already; its content is read as a secret. */
    kubeconfigPath: text("an absolute path to a kubeconfig file")
        .regex(/^\/[^\0]*$/, { error: "an absolute path to a kubeconfig file" })
        .optional(),
});

const timezoneText = 'an IANA time zone such as "Europe/Berlin"';

export const settingsSchema = section("the homelab settings", {
    domain: domainSchema,
    timezone: text(timezoneText).refine((tz) => Intl.supportedValuesOf("timeZone").includes(tz) || tz === "UTC", {
        error: timezoneText,
    }),
    identity: section("the user and group every service runs as", { uid: serviceId, gid: serviceId }),
    hosts: mapOf(
        text("a host name such as docker-prod-01"),
        hostSchema,
        "a map from host names (docker-prod-01, ...) to their settings",
    ),
    storage: storageSchema,
    lanSubnet: z.cidrv4({ error: "an IPv4 CIDR such as 192.168.30.0/24" }),
    traefik: traefikSchema,
    vpn: vpnSchema,
    adguard: adguardSchema,
    /**
     * Offline testing only: run every catalog service from a local stand-in image (no registry
     * here), except the services in `keep`, whose catalog image was built locally.
     */
    offline: section("the offline stand-in images", {
        standInImage: text("a local image tag such as homelab-standin:local").min(1, {
            error: "a local image tag such as homelab-standin:local",
        }),
        keep: listOf(text("a catalog service name such as traefik"), "a list of catalog service names").default([]),
        /** Per-service stand-in images, to change one service's image in a test. */
        images: mapOf(
            text("a catalog service name such as traefik"),
            text("a local image tag such as homelab-standin:local"),
            "a map from catalog service names to local image tags",
        ).default({}),
    }).optional(),
    /**
     * How the program writes its files and directories on the hosts (directories, Traefik's route
     * document, the Authentik blueprint, the monitor files): `ssh`, with @pulumi/command over SSH as
     * the deploy user (prod), or `local`, in-process on the machine running Pulumi, for labs whose
     * hosts all share this machine's filesystem (the lab, the fleet lab). Docker itself is reached at
     * each host's endpoint either way.
     */
    hostFiles: z.enum(["ssh", "local"], { error: "ssh or local" }).default("ssh"),
    /** Protect stateful resources (databases, VMs, the tunnel) from `pulumi destroy`. */
    protectStateful: flag(),
    /** Whether the Cloudflare edge (tunnel, DNS) and the AdGuard rewrite are managed here. */
    edge: flag(),
    cloudflare: cloudflareSchema.optional(),
    unifi: unifiSchema.optional(),
    proxmox: proxmoxSchema.optional(),
    backups: backupsSchema.optional(),
    /**
     * Where services run when not on Docker: service name → `k3s` (catalog/targets.ts says which
     * may). Every service absent here runs on Docker, so a stack without this key moves nothing.
     */
    targets: mapOf(
        text("a catalog service name such as immich-server"),
        z.enum(targetNames, { error: targetNames.join(" or ") }),
        `a map from catalog service names to where they run (${targetNames.join(" or ")})`,
    ).default({}),
    cluster: clusterSchema.optional(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type HostSettings = z.infer<typeof hostSchema>;
export type ClusterSettings = z.infer<typeof clusterSchema>;
export type ClusterNode = z.infer<typeof clusterNodeSchema>;
export type CertificateMode = (typeof certificateModes)[number];
