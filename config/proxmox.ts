import { z } from "zod";
import { nasHost } from "../topology";
import { flag, integer, listOf, mapOf, section, text } from "./rules";

/**
 * Config for the Proxmox VMs, the host bootstrap and the backups
 * (`homelab:proxmox`, `homelab:backups`, `homelab:hosts.<vm host>.vm`). Absent in the lab.
 * Rules that span keys (addresses in subnets, names that must exist elsewhere) live in
 * hosts/problems.ts, because a schema only sees its own value. Every rule has a text of its own
 * (config/rules.ts).
 */

/** A VM below this runs the Docker engine and a stack into swap. */
export const memoryFloorMb = 2048;

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const absolutePath = text("an absolute path without spaces such as /mnt/user/media")
    .regex(/^\/[^\0\s]*$/, { error: "an absolute path without spaces such as /mnt/user/media" })
    .refine((value) => !value.endsWith("/") || value === "/", { error: "an absolute path without a trailing slash" });

/** A path below storage.data: "" is the data root itself, else segments such as media or media/movies. */
const relativeText =
    'a path below storage.data without a leading or trailing slash, such as photos, or "" for the data root';
const relativePath = text(relativeText).regex(/^([A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*)?$/, {
    error: relativeText,
});

/** A ZFS dataset (a pool's root dataset is the pool name): pool[/dataset...], never a snapshot. */
const zfsDataset = text("a ZFS pool or dataset name such as tank/photos").regex(
    /^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/,
    {
        error: "a ZFS pool or dataset name such as tank/photos",
    },
);

const nodeName = text("a Proxmox node name such as pve-prod-01").regex(label, {
    error: "a Proxmox node name such as pve-prod-01",
});
const datastore = text("a Proxmox storage id such as local-lvm").regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, {
    error: "a Proxmox storage id such as local-lvm",
});
const vmId = integer("a Proxmox VM id: an integer from 100 to 999999999", 100, 999999999);
const ipv4 = z.ipv4({ error: "an IPv4 address such as 192.168.30.1" });

/** A systemd calendar event (`OnCalendar=`, and Proxmox backup schedules, which use the same syntax). */
const calendarText = 'a systemd calendar event such as "*-*-* 03:00:00" or "daily"';
const calendar = text(calendarText).regex(/^[A-Za-z0-9*:,./~ -]+$/, { error: calendarText });
const cronText = 'a 5-field cron expression such as "30 3 * * *"';
const cron = text(cronText).regex(/^(\S+\s+){4}\S+$/, { error: cronText });

const sshKeyText = 'an OpenSSH public key line such as "ssh-ed25519 AAAA... deploy@homelab" (never the private key)';
const sshPublicKey = text(sshKeyText)
    .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) /, {
        error: sshKeyText,
    })
    .regex(/^\S+ [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/, { error: "one OpenSSH public key on one line" });

const diskSchema = section("one VM disk", {
    datastore,
    sizeGb: integer("a disk size in GiB, at least 8", 8),
});

const networkSchema = section("the VM's network", {
    bridge: text("a Linux bridge name such as vmbr0").regex(/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/, {
        error: "a Linux bridge name such as vmbr0",
    }),
    /** The VLAN tag on a VLAN-aware bridge; leave it out when the bridge port is already on the VLAN. */
    vlan: integer("a VLAN id from 1 to 4094", 1, 4094).optional(),
    /** The VM's subnet; its address (homelab:hosts.<name>.address) and the gateway must lie inside. */
    subnet: z.cidrv4({ error: "an IPv4 CIDR such as 192.168.30.0/24" }),
    gateway: ipv4,
    dns: listOf(ipv4, "a list of DNS server addresses such as [192.168.30.1]").min(1, {
        error: "at least one DNS server address",
    }),
    searchDomain: text("a DNS search domain such as lan.giohosted.com")
        .regex(/^[a-z0-9.-]+$/, { error: "a DNS search domain such as lan.giohosted.com" })
        .optional(),
});

export const vmSchema = section("the Proxmox VM this host is", {
    node: nodeName,
    vmId,
    /** First-boot disk from a cloud image: a key of homelab:proxmox.images ... */
    image: text("a key of homelab:proxmox.images").min(1, { error: "a key of homelab:proxmox.images" }).optional(),
    /** ... or a full clone of an existing Proxmox template. Exactly one of the two. */
    templateId: vmId.optional(),
    cores: integer("a number of vCPU cores from 1 to 128", 1, 128),
    /** `host` passes the node's CPU through (no live migration between different CPUs). */
    cpuType: text("a QEMU CPU type such as host").regex(/^[A-Za-z0-9_.-]+$/, {
        error: "a QEMU CPU type such as host",
    }),
    memoryMb: integer(`memory in MiB, at least ${memoryFloorMb} (a Docker VM below that swaps)`, memoryFloorMb),
    /** The first disk is the boot disk (scsi0), then scsi1, ... */
    disks: listOf(diskSchema, "a list of disks, each { datastore, sizeGb }, the boot disk first").min(1, {
        error: "at least the boot disk",
    }),
    network: networkSchema,
    /** The deploy user's authorized keys, written by cloud-init at first boot. */
    sshKeys: listOf(sshPublicKey, "a list of OpenSSH public key lines").min(1, {
        error: "at least one SSH public key for the deploy user",
    }),
    /** Whether Proxmox expects the QEMU guest agent (the bootstrap installs it). */
    agent: flag().default(false),
    /** NAS exports (keys of homelab:proxmox.nfs.exports) this VM mounts; all of them by default. */
    mounts: listOf(
        text("a key of homelab:proxmox.nfs.exports such as photos"),
        "a list of keys of homelab:proxmox.nfs.exports such as [data, backups]",
    ).optional(),
    /** Adopt the existing VM <node>/<vmId> (Pulumi `import`) instead of creating it. */
    adopt: flag().default(false),
}).refine((vm) => (vm.image === undefined) !== (vm.templateId === undefined), {
    error: "exactly one of image (a cloud image key) or templateId (a template to clone)",
    path: ["image"],
});

const checksumAlgorithms = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] as const;
const fileNameText = "a file name ending in .qcow2, .raw or .vmdk, such as debian-13-genericcloud-amd64.qcow2";

const imageSchema = section("one cloud image", {
    url: z.url({ protocol: /^https?$/, error: "an http(s) URL of a cloud image" }),
    /** Proxmox's `import` content needs a .qcow2/.raw/.vmdk name. */
    fileName: text(fileNameText).regex(/^[A-Za-z0-9._-]+\.(qcow2|raw|vmdk)$/, { error: fileNameText }),
    datastore: datastore.default("local"),
    checksum: text("a hex digest of 32 to 128 lower-case characters")
        .regex(/^[a-f0-9]{32,128}$/, { error: "a hex digest of 32 to 128 lower-case characters" })
        .optional(),
    checksumAlgorithm: z.enum(checksumAlgorithms, { error: `one of ${checksumAlgorithms.join(", ")}` }).optional(),
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
        section("an NFS export mounted elsewhere than at its key", {
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

export const proxmoxSchema = section("the Proxmox VE the VMs run on", {
    /** The Proxmox VE API, e.g. https://192.168.30.5:8006/ (the token is the secret homelab:proxmoxApiToken). */
    endpoint: z.url({ protocol: /^https$/, error: "the https URL of the Proxmox VE API, e.g. https://pve:8006/" }),
    /** Skip TLS verification: only for the self-signed certificate a fresh Proxmox install has. */
    insecure: flag().default(false),
    images: mapOf(
        text("an image key such as debian-13").regex(label, { error: "an image key such as debian-13" }),
        imageSchema,
        "a map from image keys such as debian-13 to cloud images { url, fileName, ... }",
    ).default({}),
    /** The NAS exports the Docker VMs mount (the NAS is homelab:hosts.nas-prod-01). */
    nfs: section("the NAS's NFS exports", {
        exports: mapOf(
            text("an export key such as photos").regex(label, { error: "an export key such as photos" }),
            nfsExportSchema,
            "a map from export keys such as photos to NAS paths",
        ),
        /** Mount options besides _netdev, which is always set. */
        options: text("comma-separated NFS mount options such as hard,noatime")
            .regex(/^[A-Za-z0-9_=.,-]*$/, { error: "comma-separated NFS mount options such as hard,noatime" })
            .default("hard,noatime"),
    }).optional(),
});

const keepCount = (period: string) => integer(`how many ${period} backups to keep, at least 1`, 1).optional();

const keepSchema = section("how many VM backups to keep", {
    last: keepCount("latest"),
    daily: keepCount("daily"),
    weekly: keepCount("weekly"),
    monthly: keepCount("monthly"),
});

const vzdumpModes = ["snapshot", "suspend", "stop"] as const;

export const backupsSchema = section("the backups", {
    /** Tier 0: a Proxmox vzdump job of the VMs to a Proxmox Backup Server storage. */
    vms: section("the Proxmox backup job of the VMs", {
        storage: datastore,
        schedule: calendar,
        mode: z.enum(vzdumpModes, { error: `one of ${vzdumpModes.join(", ")}` }).default("snapshot"),
        keep: keepSchema.default({ daily: 7, weekly: 4, monthly: 3 }),
    }).optional(),
    /**
     * Tier 1 on every VM host: its databases dumped, then appdata (without the live database
     * directories) and stacks rsynced to <backups mount>/<host>/ by a systemd timer.
     */
    appdata: section("the appdata backup on every VM host", {
        onCalendar: calendar,
    }).optional(),
    /** Tier 1: the Plex database, copied on the NAS itself while Plex is stopped. */
    plex: section("the Plex database backup on the NAS", {
        host: text("a host in homelab:hosts such as nas-prod-01").default(nasHost),
        /** Unraid has no systemd: the schedule is a cron line in Unraid's own cron. */
        cron,
        container: text("a container name such as plex")
            .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "a container name such as plex" })
            .default("plex"),
        destination: absolutePath,
        keep: integer("how many copies to keep, 1 to 365", 1, 365).default(14),
        /** Persistent across Unraid reboots (the root filesystem is in RAM). */
        installDir: absolutePath.default("/boot/config/homelab"),
    }).optional(),
    /** Tier 2: recursive ZFS snapshots on the NAS, the newest `keep` of them kept per dataset. */
    snapshots: section("the ZFS snapshots on the NAS", {
        host: text("a host in homelab:hosts such as nas-prod-01").default(nasHost),
        /** Unraid's cron, like the Plex backup. */
        cron,
        /** The pools (or datasets) holding the photos and backups shares; children are included. */
        datasets: listOf(zfsDataset, "a list of ZFS pools or datasets such as [tank]").min(1, {
            error: "at least one ZFS pool or dataset",
        }),
        keep: integer("how many snapshots to keep, 1 to 365", 1, 365).default(14),
        installDir: absolutePath.default("/boot/config/homelab"),
    }).optional(),
});

export type VmSettings = z.infer<typeof vmSchema>;
export type ProxmoxSettings = z.infer<typeof proxmoxSchema>;
export type BackupSettings = z.infer<typeof backupsSchema>;
