import { z } from "zod";
import { nasHost } from "../topology";

/**
 * Config for the Proxmox VMs, the host bootstrap and the backups
 * (`homelab:proxmox`, `homelab:backups`, `homelab:hosts.<vm host>.vm`). Absent in the lab.
 * Rules that span keys (addresses in subnets, names that must exist elsewhere) live in
 * hosts/problems.ts, because a schema only sees its own value.
 */

/** A VM below this runs the Docker engine and a stack into swap. */
export const memoryFloorMb = 2048;

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const absolutePath = z
    .string()
    .regex(/^\/[^\0\s]*$/, { error: "an absolute path without spaces such as /mnt/user/media" })
    .refine((value) => !value.endsWith("/") || value === "/", { error: "an absolute path without a trailing slash" });

/** A path below storage.data: "" is the data root itself, else segments such as media or media/movies. */
const relativePath = z.string().regex(/^([A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*)?$/, {
    error: 'a path below storage.data without a leading or trailing slash, such as photos, or "" for the data root',
});

/** A ZFS dataset (a pool's root dataset is the pool name): pool[/dataset...], never a snapshot. */
const zfsDataset = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/, {
    error: "a ZFS pool or dataset name such as tank/photos",
});

const nodeName = z.string().regex(label, { error: "a Proxmox node name such as pve-prod-01" });
const datastore = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, { error: "a Proxmox storage id such as local-lvm" });
const vmId = z
    .number({ error: "a Proxmox VM id: an integer from 100 to 999999999" })
    .int({ error: "a Proxmox VM id: an integer from 100 to 999999999" })
    .min(100, { error: "a Proxmox VM id: an integer from 100 to 999999999" })
    .max(999999999, { error: "a Proxmox VM id: an integer from 100 to 999999999" });
const ipv4 = z.ipv4({ error: "an IPv4 address such as 192.168.30.1" });

/** A systemd calendar event (`OnCalendar=`, and Proxmox backup schedules, which use the same syntax). */
const calendar = z
    .string()
    .regex(/^[A-Za-z0-9*:,./~ -]+$/, { error: 'a systemd calendar event such as "*-*-* 03:00:00" or "daily"' });
const cron = z.string().regex(/^(\S+\s+){4}\S+$/, { error: 'a 5-field cron expression such as "30 3 * * *"' });

const sshPublicKey = z
    .string()
    .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) /, {
        error: 'an OpenSSH public key line such as "ssh-ed25519 AAAA... deploy@homelab" (never the private key)',
    })
    .regex(/^\S+ [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/, { error: "one OpenSSH public key on one line" });

const diskSchema = z.strictObject({
    datastore,
    sizeGb: z
        .number({ error: "a disk size in GiB, at least 8" })
        .int({ error: "a disk size in GiB, at least 8" })
        .min(8, { error: "a disk size in GiB, at least 8" }),
});

const networkSchema = z.strictObject({
    bridge: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/, { error: "a Linux bridge name such as vmbr0" }),
    /** The VLAN tag on a VLAN-aware bridge; leave it out when the bridge port is already on the VLAN. */
    vlan: z.number().int().min(1).max(4094, { error: "a VLAN id from 1 to 4094" }).optional(),
    /** The VM's subnet; its address (homelab:hosts.<name>.address) and the gateway must lie inside. */
    subnet: z.cidrv4({ error: "an IPv4 CIDR such as 192.168.30.0/24" }),
    gateway: ipv4,
    dns: z.array(ipv4).min(1, { error: "at least one DNS server address" }),
    searchDomain: z
        .string()
        .regex(/^[a-z0-9.-]+$/, { error: "a DNS search domain" })
        .optional(),
});

export const vmSchema = z
    .strictObject({
        node: nodeName,
        vmId,
        /** First-boot disk from a cloud image: a key of homelab:proxmox.images ... */
        image: z.string().min(1, { error: "a key of homelab:proxmox.images" }).optional(),
        /** ... or a full clone of an existing Proxmox template. Exactly one of the two. */
        templateId: vmId.optional(),
        cores: z.number().int().min(1).max(128, { error: "a number of vCPU cores from 1 to 128" }),
        /** `host` passes the node's CPU through (no live migration between different CPUs). */
        cpuType: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: "a QEMU CPU type such as host" }),
        memoryMb: z
            .number({ error: `memory in MiB, at least ${memoryFloorMb}` })
            .int({ error: `memory in MiB, at least ${memoryFloorMb}` })
            .min(memoryFloorMb, { error: `memory in MiB, at least ${memoryFloorMb} (a Docker VM below that swaps)` }),
        /** The first disk is the boot disk (scsi0), then scsi1, ... */
        disks: z.array(diskSchema).min(1, { error: "at least the boot disk" }),
        network: networkSchema,
        /** The deploy user's authorized keys, written by cloud-init at first boot. */
        sshKeys: z.array(sshPublicKey).min(1, { error: "at least one SSH public key for the deploy user" }),
        /** Whether Proxmox expects the QEMU guest agent (the bootstrap installs it). */
        agent: z.boolean().default(false),
        /** NAS exports (keys of homelab:proxmox.nfs.exports) this VM mounts; all of them by default. */
        mounts: z.array(z.string()).optional(),
        /** Adopt the existing VM <node>/<vmId> (Pulumi `import`) instead of creating it. */
        adopt: z.boolean().default(false),
    })
    .refine((vm) => (vm.image === undefined) !== (vm.templateId === undefined), {
        error: "exactly one of image (a cloud image key) or templateId (a template to clone)",
        path: ["image"],
    });

const imageSchema = z.strictObject({
    url: z.url({ protocol: /^https?$/, error: "an http(s) URL of a cloud image" }),
    /** Proxmox's `import` content needs a .qcow2/.raw/.vmdk name. */
    fileName: z.string().regex(/^[A-Za-z0-9._-]+\.(qcow2|raw|vmdk)$/, { error: "a file name ending in .qcow2" }),
    datastore: datastore.default("local"),
    checksum: z
        .string()
        .regex(/^[a-f0-9]{32,128}$/, { error: "a hex digest" })
        .optional(),
    checksumAlgorithm: z.enum(["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]).optional(),
});

/**
 * One NAS export: its path on the NAS, mounted at <storage.data>/<key> (the short form), or
 * `{ path, at }` mounted at <storage.data>/<at>, where at "" is the data root itself. One export
 * at the root holds media/ and downloads/ as one filesystem (hardlinks, atomic moves); other
 * exports mount below it (/data/photos), and systemd mounts them after the root one.
 */
const nfsExportSchema = z.union(
    [
        absolutePath,
        z.strictObject({
            path: absolutePath,
            at: relativePath.optional(),
        }),
    ],
    {
        error:
            "an absolute path on the NAS such as /mnt/user/photos (mounted at <storage.data>/<key>), or { path, at } " +
            'mounted at <storage.data>/<at>, such as { path: /mnt/user/data, at: "" } for the data root',
    },
);

export type NfsExport = z.infer<typeof nfsExportSchema>;

/** Where an export lives on the NAS and where it mounts, relative to storage.data ("" = the data root). */
export function exportLocation(key: string, value: NfsExport): { path: string; at: string } {
    return typeof value === "string" ? { path: value, at: key } : { path: value.path, at: value.at ?? key };
}

export const proxmoxSchema = z.strictObject({
    /** The Proxmox VE API, e.g. https://192.168.30.5:8006/ (the token is the secret homelab:proxmoxApiToken). */
    endpoint: z.url({ protocol: /^https$/, error: "the https URL of the Proxmox VE API, e.g. https://pve:8006/" }),
    /** Skip TLS verification: only for the self-signed certificate a fresh Proxmox install has. */
    insecure: z.boolean().default(false),
    images: z.record(z.string().regex(label, { error: "an image key such as debian-13" }), imageSchema).default({}),
    /** The NAS exports the Docker VMs mount (the NAS is homelab:hosts.nas-prod-01). */
    nfs: z
        .strictObject({
            exports: z.record(z.string().regex(label, { error: "an export key such as photos" }), nfsExportSchema),
            /** Mount options besides _netdev, which is always set. */
            options: z
                .string()
                .regex(/^[A-Za-z0-9_=.,-]*$/, { error: "comma-separated NFS mount options" })
                .default("hard,noatime"),
        })
        .optional(),
});

const keepSchema = z.strictObject({
    last: z.number().int().min(1).optional(),
    daily: z.number().int().min(1).optional(),
    weekly: z.number().int().min(1).optional(),
    monthly: z.number().int().min(1).optional(),
});

export const backupsSchema = z.strictObject({
    /** Tier 0: a Proxmox vzdump job of the VMs to a Proxmox Backup Server storage. */
    vms: z
        .strictObject({
            storage: datastore,
            schedule: calendar,
            mode: z.enum(["snapshot", "suspend", "stop"]).default("snapshot"),
            keep: keepSchema.default({ daily: 7, weekly: 4, monthly: 3 }),
        })
        .optional(),
    /**
     * Tier 1 on every VM host: its databases dumped, then appdata (without the live database
     * directories) and stacks rsynced to <backups mount>/<host>/ by a systemd timer.
     */
    appdata: z
        .strictObject({
            onCalendar: calendar,
        })
        .optional(),
    /** Tier 1: the Plex database, copied on the NAS itself while Plex is stopped. */
    plex: z
        .strictObject({
            host: z.string().default(nasHost),
            /** Unraid has no systemd: the schedule is a cron line in Unraid's own cron. */
            cron,
            container: z
                .string()
                .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "a container name" })
                .default("plex"),
            destination: absolutePath,
            keep: z.number().int().min(1).max(365, { error: "how many copies to keep, 1 to 365" }).default(14),
            /** Persistent across Unraid reboots (the root filesystem is in RAM). */
            installDir: absolutePath.default("/boot/config/homelab"),
        })
        .optional(),
    /** Tier 2: recursive ZFS snapshots on the NAS, the newest `keep` of them kept per dataset. */
    snapshots: z
        .strictObject({
            host: z.string().default(nasHost),
            /** Unraid's cron, like the Plex backup. */
            cron,
            /** The pools (or datasets) holding the photos and backups shares; children are included. */
            datasets: z.array(zfsDataset).min(1, { error: "at least one ZFS pool or dataset" }),
            keep: z
                .number({ error: "how many snapshots to keep, 1 to 365" })
                .int({ error: "how many snapshots to keep, 1 to 365" })
                .min(1, { error: "how many snapshots to keep, 1 to 365" })
                .max(365, { error: "how many snapshots to keep, 1 to 365" })
                .default(14),
            installDir: absolutePath.default("/boot/config/homelab"),
        })
        .optional(),
});

export type VmSettings = z.infer<typeof vmSchema>;
export type ProxmoxSettings = z.infer<typeof proxmoxSchema>;
export type BackupSettings = z.infer<typeof backupsSchema>;
