import { z } from "zod";
import { cloudflareSchema } from "./cloudflare";
import { backupsSchema, proxmoxSchema, vmSchema } from "./proxmox";
import { targetNames } from "../catalog/targets";

/**
 * The non-secret part of a stack's config (`homelab:*` keys in Pulumi.<stack>.yaml).
 * Every rule carries its own "what is allowed" text, because that text ends up in the
 * one error message a user sees for bad config.
 */

const hostnameLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const domainSchema = z
    .string()
    .refine((value) => value.split(".").length >= 2 && value.split(".").every((label) => hostnameLabel.test(label)), {
        error: 'a bare lower-case domain name such as "giohosted.com": no scheme, no path, no port',
    });

const absolutePath = z
    .string()
    .regex(/^\/[^\0]*$/, { error: "an absolute path such as /opt/appdata" })
    .refine((value) => !value.endsWith("/") || value === "/", { error: "an absolute path without a trailing slash" });

const serviceId = z
    .number({ error: "an integer from 1 to 65533 (root and nobody are not allowed)" })
    .int({ error: "an integer from 1 to 65533 (root and nobody are not allowed)" })
    .min(1, { error: "an integer from 1 to 65533 (root and nobody are not allowed)" })
    .max(65533, { error: "an integer from 1 to 65533 (root and nobody are not allowed)" });

const dockerHost = z.string().regex(/^(unix:\/\/\/|ssh:\/\/[^@\s]+@[^\s]+|tcp:\/\/[^\s]+)/, {
    error: "a Docker endpoint: unix:///path/to/docker.sock, ssh://user@host or tcp://host:port",
});

const hostSchema = z
    .strictObject({
        address: z.ipv4({ error: "an IPv4 address such as 192.168.30.11" }),
        /** Explicit endpoint; without it the host is reached as ssh://<deployUser>@<address>. */
        dockerHost: dockerHost.optional(),
        /**
         * Where the engine's socket is on the host, for the containers that mount it (Traefik,
         * Dockman, the Beszel agent); Docker's /var/run/docker.sock unless the endpoint is a unix
         * socket or this says otherwise (the fleet lab's hosts each have their own).
         */
        dockerSocket: absolutePath.optional(),
        deployUser: z
            .string()
            .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "a Linux user name such as deploy" })
            .optional(),
        /** Host devices that exist on this machine; a service asking for another one does without it. */
        devices: z.array(absolutePath).default([]),
        /** Where this host keeps appdata and the shared tree, when not at the stack-wide paths (Unraid: /mnt/user). */
        storage: z.strictObject({ appdata: absolutePath.optional(), data: absolutePath.optional() }).optional(),
        /** Scratch space off the appdata disk, e.g. Plex transcodes (RAM-backed /tmp on Unraid). */
        scratch: absolutePath.default("/tmp/homelab"),
        /** Whether containers may use the host's network namespace here (Plex, the Beszel agent). */
        hostNetwork: z.boolean().default(true),
        /**
         * Whether this host's engine takes a healthcheck start interval (Docker 25 and later; Debian
         * 13's docker.io is 26, Debian 12's is 20.10): probes every few seconds while a container
         * starts, so a replaced service is healthy in seconds instead of one full interval.
         */
        healthcheckStartInterval: z.boolean().default(true),
        /**
         * Create the shared data tree's directories here, owned by the service identity. Only where
         * no NAS provides them (the lab): on a VM an empty directory would hide a missing NFS mount.
         */
        createDataDirectories: z.boolean().default(false),
        /** The Proxmox VM this host is (prod); absent for the NAS and in the lab. */
        vm: vmSchema.optional(),
    })
    .refine((host) => host.dockerHost !== undefined || host.deployUser !== undefined, {
        error: "a deployUser (reached as ssh://<deployUser>@<address>) or an explicit dockerHost",
        path: ["deployUser"],
    });

export const certificateModes = ["letsencrypt", "letsencrypt-staging", "self-signed"] as const;

const traefikSchema = z.strictObject({
    certificates: z.enum(certificateModes, { error: `one of ${certificateModes.join(", ")}` }),
    acmeEmail: z.email({ error: "an e-mail address for the ACME account" }).optional(),
    httpPort: z.number().int().min(1).max(65535).default(80),
    httpsPort: z.number().int().min(1).max(65535).default(443),
});

const storageSchema = z.strictObject({
    appdata: absolutePath,
    stacks: absolutePath,
    /** The one tree the arr apps and the download client share (TRaSH layout). */
    data: absolutePath,
});

const vpnSchema = z.strictObject({
    provider: z.string().min(1, { error: "a Gluetun VPN_SERVICE_PROVIDER such as protonvpn" }),
    type: z.enum(["wireguard", "openvpn"], { error: "wireguard or openvpn" }),
    serverCountries: z.array(z.string().min(1)).default([]),
});

const adguardSchema = z.strictObject({
    originUrl: z.url({ error: "an http(s) URL of the primary AdGuard Home" }),
    replicaUrls: z.array(z.url({ error: "an http(s) URL of a replica AdGuard Home" })).min(1, {
        error: "at least one replica URL",
    }),
    syncCron: z.string().regex(/^(\S+\s+){4}\S+$/, { error: 'a 5-field cron expression such as "*/10 * * * *"' }),
});

/** k3s releases as INSTALL_K3S_VERSION takes them: v<major>.<minor>.<patch>+k3s<n>, never a channel. */
export const k3sVersionPattern = /^v1\.\d+\.\d+\+k3s\d+$/;

const clusterNodeSchema = z.strictObject({
    /** The node's name: the VM's name and the guest's hostname. */
    name: z.string().regex(hostnameLabel, { error: "a lower-case host name such as k3s-01" }),
    address: z.ipv4({ error: "an IPv4 address such as 192.168.30.21" }),
    /** The Proxmox VM this node is; absent for a machine that exists already. */
    vm: vmSchema.optional(),
});

/**
 * The k3s cluster (Phase 6): server nodes installed over SSH by the program (one for the sandbox,
 * three for embedded etcd HA), or an API server that exists already (`kubeconfigPath`: no VMs, no
 * install). Rules across keys (node count, version with nodes) are in hosts/k3s-config.ts.
 */
export const clusterSchema = z.strictObject({
    nodes: z.array(clusterNodeSchema).default([]),
    /** INSTALL_K3S_VERSION, pinned (e.g. v1.33.5+k3s1). */
    k3sVersion: z
        .string()
        .regex(k3sVersionPattern, { error: "a pinned k3s release such as v1.33.5+k3s1 (no channel, no latest)" })
        .optional(),
    /** The user the program reaches the nodes as over SSH (cloud-init creates it on a VM). */
    deployUser: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "a Linux user name such as deploy" })
        .default("deploy"),
    /** The namespace every workload of the homelab goes into. */
    namespace: z
        .string()
        .regex(hostnameLabel, { error: "a Kubernetes namespace name such as homelab" })
        .default("homelab"),
    /**
     * The stack deploys only its services on k3s (the sandbox): no Docker container, no Docker
     * provider, nothing on any Docker host; homelab:hosts then only says where the NAS serves NFS.
     */
    only: z.boolean().default(false),
    /** Wait for workloads to become ready; false only where no pod can run (the offline API-server test). */
    awaitWorkloads: z.boolean().default(true),
    /** The kubeconfig of an API server that exists already; its content is read as a secret. */
    kubeconfigPath: z
        .string()
        .regex(/^\/[^\0]*$/, { error: "an absolute path to a kubeconfig file" })
        .optional(),
});

export const settingsSchema = z.strictObject({
    domain: domainSchema,
    timezone: z.string().refine((tz) => Intl.supportedValuesOf("timeZone").includes(tz) || tz === "UTC", {
        error: 'an IANA time zone such as "Europe/Berlin"',
    }),
    identity: z.strictObject({ uid: serviceId, gid: serviceId }),
    hosts: z.record(z.string(), hostSchema),
    storage: storageSchema,
    lanSubnet: z.cidrv4({ error: "an IPv4 CIDR such as 192.168.30.0/24" }),
    traefik: traefikSchema,
    vpn: vpnSchema,
    adguard: adguardSchema,
    /**
     * Offline testing only: run every catalog service from a local stand-in image (no registry
     * here), except the services in `keep`, whose catalog image was built locally.
     */
    offline: z
        .strictObject({
            standInImage: z.string().min(1, { error: "a local image tag such as homelab-standin:local" }),
            keep: z.array(z.string()).default([]),
            /** Per-service stand-in images, to change one service's image in a test. */
            images: z.record(z.string(), z.string()).default({}),
        })
        .optional(),
    /**
     * How the program writes its files and directories on the hosts (directories, Traefik's route
     * document, the Authentik blueprint, the monitor files): `ssh`, with @pulumi/command over SSH as
     * the deploy user (prod), or `local`, in-process on the machine running Pulumi, for labs whose
     * hosts all share this machine's filesystem (the lab, the fleet lab). Docker itself is reached at
     * each host's endpoint either way.
     */
    hostFiles: z.enum(["ssh", "local"], { error: "ssh or local" }).default("ssh"),
    /** Protect stateful resources (databases, VMs, the tunnel) from `pulumi destroy`. */
    protectStateful: z.boolean(),
    /** Whether the Cloudflare edge (tunnel, DNS) and the AdGuard rewrite are managed here. */
    edge: z.boolean(),
    cloudflare: cloudflareSchema.optional(),
    proxmox: proxmoxSchema.optional(),
    backups: backupsSchema.optional(),
    /**
     * Where services run when not on Docker: service name → `k3s` (catalog/targets.ts says which
     * may). Every service absent here runs on Docker, so a stack without this key moves nothing.
     */
    targets: z.record(z.string(), z.enum(targetNames, { error: targetNames.join(" or ") })).default({}),
    cluster: clusterSchema.optional(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type HostSettings = z.infer<typeof hostSchema>;
export type ClusterSettings = z.infer<typeof clusterSchema>;
export type ClusterNode = z.infer<typeof clusterNodeSchema>;
export type CertificateMode = (typeof certificateModes)[number];
