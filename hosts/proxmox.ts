import * as proxmox from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import type { HostSettings, Settings } from "../config/schema";
import type { BackupSettings, ProxmoxSettings, VmSettings } from "../config/proxmox";
import type { HostName } from "../topology";

/**
 * The Docker VMs on Proxmox VE. They are `VmLegacy`: in proxmoxve 8.x that is the provider's
 * mature VM (clone, disks, cloud-init `initialization`); the new `Vm` and `cloned.Vm` are marked
 * experimental / "do not use" by their authors. Images are `download.File` (the download-url API,
 * no SSH to the node needed).
 */

export interface VmHost {
    name: HostName;
    host: HostSettings;
    vm: VmSettings;
}

/** Any VM of the homelab: a Docker host, or a k3s server node (`role: "k3s"`). */
export interface VmMachine {
    name: string;
    host: Pick<HostSettings, "address" | "deployUser">;
    vm: VmSettings;
    role?: "docker" | "k3s";
}

/** Import id of a VmLegacy: `<node>/<vmid>` (`pulumi import proxmoxve:index/vmLegacy:VmLegacy <name> <node>/<vmid>`). */
export const vmImportId = (vm: VmSettings): string => `${vm.node}/${vm.vmId}`;

export const imageResourceKey = (image: string, node: string): string => `${image}-${node}`;

function prefixLength(subnet: string): string {
    return subnet.slice(subnet.indexOf("/") + 1);
}

/** The VM's arguments; `imageFileId` is the downloaded cloud image on its node, if it boots from one. */
export function vmArgs(
    { name, host, vm, role = "docker" }: VmMachine,
    settings: Settings,
    imageFileId?: pulumi.Input<string>,
): proxmox.VmLegacyArgs {
    if (host.deployUser === undefined) throw new Error(`homelab:hosts.${name}.deployUser is required for a VM`);
    return {
        nodeName: vm.node,
        vmId: vm.vmId,
        // Also the guest's hostname: Proxmox's cloud-init user data sets hostname from the VM name.
        name,
        description:
            role === "docker"
                ? `${name}: Docker host of the homelab. Managed by Pulumi (homelab, hosts/proxmox.ts).`
                : `${name}: k3s server of the homelab. Managed by Pulumi (homelab, hosts/k3s.ts).`,
        // Proxmox sorts tags; an unsorted list would diff on every preview.
        tags: role === "docker" ? ["docker", "homelab"] : ["homelab", "k3s"],
        onBoot: true,
        started: true,
        // A production VM is never rebooted by a deploy: a change that needs one fails or waits for a manual reboot.
        rebootAfterUpdate: false,
        protection: settings.protectStateful,
        agent: { enabled: vm.agent },
        cpu: { cores: vm.cores, type: vm.cpuType },
        memory: { dedicated: vm.memoryMb },
        operatingSystem: { type: "l26" },
        scsiHardware: "virtio-scsi-single",
        // Cloud images log to the serial console.
        serialDevices: [{ device: "socket" }],
        clone: vm.templateId === undefined ? undefined : { vmId: vm.templateId, full: true },
        disks: vm.disks.map((disk, index) => ({
            interface: `scsi${index}`,
            datastoreId: disk.datastore,
            size: disk.sizeGb,
            fileFormat: "raw",
            discard: "on",
            iothread: true,
            ssd: true,
            importFrom: index === 0 ? imageFileId : undefined,
        })),
        networkDevices: [{ bridge: vm.network.bridge, vlanId: vm.network.vlan, model: "virtio" }],
        initialization: {
            datastoreId: vm.disks[0]?.datastore,
            ipConfigs: [
                {
                    ipv4: {
                        address: `${host.address}/${prefixLength(vm.network.subnet)}`,
                        gateway: vm.network.gateway,
                    },
                },
            ],
            dns: { servers: vm.network.dns, domain: vm.network.searchDomain },
            userAccount: { username: host.deployUser, keys: vm.sshKeys },
        },
    };
}

/** Protected and kept on delete: a VM holds appdata. `ignoreChanges` only where the provider diffs forever. */
export function vmOptions(vm: VmSettings, settings: Settings): pulumi.CustomResourceOptions {
    return {
        protect: settings.protectStateful,
        retainOnDelete: true,
        import: vm.adopt ? vmImportId(vm) : undefined,
        ignoreChanges: [
            // Creation-only inputs Proxmox does not report back: an adopted (imported) VM would show them
            // as a change forcing replacement on every preview (bpg/terraform-provider-proxmox#1988, #1131).
            "clone",
            "disks[*].importFrom",
            // proxmoxve 8.x reports an all-zero `speed` block for every disk; without declared limits the
            // diff never settles (muhlba91/pulumi-proxmoxve#664).
            "disks[*].speed",
        ],
    };
}

/** Tier 0: the Proxmox vzdump job of the VMs to the Proxmox Backup Server storage. */
export function vmBackupJobArgs(
    backup: NonNullable<BackupSettings["vms"]>,
    vmIds: readonly number[],
): proxmox.backup.JobArgs {
    const keep = Object.entries(backup.keep).map(([period, count]) => [`keep-${period}`, String(count)] as const);
    return {
        resourceId: "homelab-vms",
        schedule: backup.schedule,
        storage: backup.storage,
        mode: backup.mode,
        vmids: vmIds.map(String),
        compress: "zstd",
        enabled: true,
        repeatMissed: true,
        pruneBackups: Object.fromEntries(keep),
    };
}

export interface ProxmoxVmsArgs {
    settings: Settings;
    proxmox: ProxmoxSettings;
    vms: readonly VmHost[];
    /** The k3s server VMs (homelab:cluster.nodes with a vm), in the same images and backup job. */
    clusterVms?: readonly VmMachine[];
}

/** The VMs, the cloud images they boot from and the Tier 0 backup job, on one explicit Proxmox provider. */
export class ProxmoxVms extends pulumi.ComponentResource {
    public readonly vms: Partial<Record<HostName, proxmox.VmLegacy>> = {};
    /** The k3s server VMs by node name. */
    public readonly clusterVms: Record<string, proxmox.VmLegacy> = {};

    constructor(name: string, args: ProxmoxVmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("homelab:hosts:ProxmoxVms", name, {}, opts);
        const { settings, proxmox: config } = args;

        const clusterVms = args.clusterVms ?? [];
        const images = new Map<string, proxmox.download.File>();
        for (const { vm } of [...args.vms, ...clusterVms]) {
            if (vm.image === undefined) continue;
            const key = imageResourceKey(vm.image, vm.node);
            const image = config.images[vm.image];
            if (images.has(key) || image === undefined) continue;
            images.set(
                key,
                new proxmox.download.File(
                    `${name}-image-${key}`,
                    {
                        nodeName: vm.node,
                        datastoreId: image.datastore,
                        contentType: "import",
                        url: image.url,
                        fileName: image.fileName,
                        checksum: image.checksum,
                        checksumAlgorithm: image.checksumAlgorithm,
                        // The image only seeds a VM's first boot: a newer upstream build must not churn it.
                        overwrite: false,
                    },
                    { parent: this },
                ),
            );
        }

        for (const vmHost of args.vms) {
            const { vm } = vmHost;
            const image = vm.image === undefined ? undefined : images.get(imageResourceKey(vm.image, vm.node));
            this.vms[vmHost.name] = new proxmox.VmLegacy(
                `${name}-${vmHost.name}`,
                vmArgs(vmHost, settings, image?.id),
                { parent: this, ...vmOptions(vm, settings) },
            );
        }

        for (const machine of clusterVms) {
            const { vm } = machine;
            const image = vm.image === undefined ? undefined : images.get(imageResourceKey(vm.image, vm.node));
            this.clusterVms[machine.name] = new proxmox.VmLegacy(
                `${name}-${machine.name}`,
                vmArgs({ ...machine, role: "k3s" }, settings, image?.id),
                { parent: this, ...vmOptions(vm, settings) },
            );
        }

        const backup = settings.backups?.vms;
        const all = [...args.vms, ...clusterVms];
        if (backup !== undefined && all.length > 0) {
            new proxmox.backup.Job(
                `${name}-backup`,
                vmBackupJobArgs(
                    backup,
                    all.map(({ vm }) => vm.vmId),
                ),
                { parent: this, dependsOn: [...Object.values(this.vms), ...Object.values(this.clusterVms)] },
            );
        }
        this.registerOutputs({});
    }
}
