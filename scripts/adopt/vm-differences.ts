/**
 * Every difference between a host's `vm` block and the real VM its `qm config` describes, each
 * with the configured value, the real value and the fix, as one blocking item of the report.
 */
import type { HostName } from "../../topology";
import { memoryFloorMb, type VmSettings } from "../../config/proxmox";
import type { QmVm } from "./qm-config";

/**
 * One thing to settle before `pulumi up`: a difference between the `vm` block and the real VM, a VM
 * not checked, or an image volume no mount covers (volumes.ts).
 */
export interface BlockingItem {
    host: HostName;
    /** `<node>/<vmid>` (the VM's import id), or `container <name>`. */
    subject: string;
    what: string;
    configured: string;
    real: string;
    fix: string;
}

export interface VmToCheck {
    host: HostName;
    vm: VmSettings;
    /** The stack's config file as the owner edits it (Pulumi.prod.yaml). */
    configFile: string;
}

const nicSummary = (nic: { model: string; bridge?: string; tag?: number }): string =>
    `${nic.model}, bridge ${nic.bridge ?? "(none)"}, ${nic.tag === undefined ? "no VLAN tag" : `VLAN tag ${nic.tag}`}`;

const gib = (value: number): string => `${Number(value.toFixed(3))} GiB`;

/** Every difference between a host's `vm` block (and what hosts/proxmox.ts sets from it) and the real VM. */
export function vmDifferences({ host, vm, configFile }: VmToCheck, real: QmVm): BlockingItem[] {
    const id = `${vm.node}/${vm.vmId}`;
    const key = `homelab:hosts.${host}.vm`;
    const items: BlockingItem[] = [];
    const add = (what: string, configured: string, found: string, fix: string): void => {
        items.push({ host, subject: id, what, configured, real: found, fix });
    };
    /** The fix for a value the `vm` block sets: take the real value, or change the VM on purpose. */
    const setIt = (setting: string, value: string, deliberately: string): string =>
        `set \`${setting}: ${value}\` under ${key} in ${configFile}; or change the VM deliberately (${deliberately})`;
    const qmSet = (args: string): string => `\`qm set ${vm.vmId} ${args}\` on ${vm.node}`;

    // hosts/proxmox.ts names the VM after its host key.
    if (real.name !== host) {
        add(
            "name",
            `${host} (the host key)`,
            real.name ?? "(none)",
            `rename the VM deliberately (${qmSet(`--name ${host}`)}): the program names each VM after its host key`,
        );
    }
    if (real.cores !== vm.cores) {
        add(
            "cores",
            String(vm.cores),
            String(real.cores),
            setIt("cores", String(real.cores), qmSet(`--cores ${vm.cores}`)),
        );
    }
    // The program sets no sockets, so the provider's default of 1 would replace a multi-socket layout.
    if (real.sockets !== 1) {
        add(
            "sockets",
            "1 (the vm block has no sockets; the provider's default)",
            String(real.sockets),
            `no key of the vm block sets sockets: change the VM to one socket deliberately (${qmSet(`--sockets 1 --cores ${real.sockets * real.cores}`)}) and set \`cores: ${real.sockets * real.cores}\` under ${key} in ${configFile}`,
        );
    }
    if (real.cpuType !== vm.cpuType) {
        add(
            "CPU type",
            vm.cpuType,
            real.cpuType,
            setIt("cpuType", real.cpuType, `${qmSet(`--cpu ${vm.cpuType}`)}; the guest sees another CPU`),
        );
    }
    if (real.memoryMb !== vm.memoryMb) {
        add(
            "memory (MiB)",
            String(vm.memoryMb),
            String(real.memoryMb),
            real.memoryMb >= memoryFloorMb
                ? setIt("memoryMb", String(real.memoryMb), qmSet(`--memory ${vm.memoryMb}`))
                : `the vm block allows no less than ${memoryFloorMb} MiB: raise the VM's memory deliberately (${qmSet(`--memory ${vm.memoryMb}`)})`,
        );
    }
    if (real.agent !== vm.agent) {
        add(
            "QEMU guest agent",
            vm.agent ? "on" : "off",
            real.agent ? "on" : "off",
            setIt("agent", String(real.agent), qmSet(`--agent ${vm.agent ? 1 : 0}`)),
        );
    }
    // The program sets no bios: the provider's default SeaBIOS would replace OVMF, and a UEFI guest
    // does not boot from SeaBIOS.
    if (real.bios !== "seabios") {
        add(
            "firmware (bios)",
            "seabios (the vm block has no bios; the provider's default)",
            real.bios,
            "no key of the vm block sets the firmware and a UEFI guest does not boot from SeaBIOS: do not adopt this VM until hosts/proxmox.ts sets `bios` and its EFI disk",
        );
    }

    vm.disks.forEach((disk, index) => {
        const bus = `scsi${index}`;
        const found = real.disks.find((d) => d.key === bus);
        const configured = `${disk.datastore}, ${disk.sizeGb} GiB`;
        if (found === undefined) {
            add(
                `disk ${index} (${bus})`,
                configured,
                `none (the VM's disks: ${real.disks.map((d) => d.key).join(", ") || "none"})`,
                index === 0
                    ? "the program boots from scsi0 and the vm block cannot name another bus: reattach the boot disk as scsi0 deliberately before adopting"
                    : `remove disks[${index}] under ${key} in ${configFile}; or attach a disk as ${bus} deliberately`,
            );
            return;
        }
        if (found.datastore !== disk.datastore) {
            add(
                `disk ${index} (${bus}) datastore`,
                disk.datastore,
                found.datastore || "(a path, not a storage id)",
                `set \`datastore: ${found.datastore}\` in disks[${index}] under ${key} in ${configFile}; or move the disk deliberately (\`qm disk move ${vm.vmId} ${bus} ${disk.datastore}\` on ${vm.node})`,
            );
        }
        if (found.sizeGib !== disk.sizeGb) {
            const whole = found.sizeGib !== undefined && Number.isInteger(found.sizeGib) && found.sizeGib >= 8;
            add(
                `disk ${index} (${bus}) size`,
                `${disk.sizeGb} GiB`,
                found.sizeGib === undefined
                    ? (found.size ?? "(no size)")
                    : `${gib(found.sizeGib)} (size=${found.size ?? ""})`,
                whole
                    ? `set \`sizeGb: ${found.sizeGib}\` in disks[${index}] under ${key} in ${configFile} (Proxmox cannot shrink a disk); or grow the disk deliberately (\`qm disk resize ${vm.vmId} ${bus} ${disk.sizeGb}G\` on ${vm.node})`
                    : `the vm block takes whole GiB from 8: grow the disk deliberately to a whole GiB (\`qm disk resize ${vm.vmId} ${bus} <n>G\` on ${vm.node}) and set \`sizeGb\` in disks[${index}] under ${key} in ${configFile} to it`,
            );
        }
    });
    const declared = new Set(vm.disks.map((_, index) => `scsi${index}`));
    for (const extra of real.disks.filter((d) => !declared.has(d.key))) {
        add(
            `disk ${extra.key}`,
            `none (disks lists ${vm.disks.length}: ${[...declared].join(", ")})`,
            `${extra.datastore || "a path"}, ${extra.sizeGib === undefined ? (extra.size ?? "no size") : gib(extra.sizeGib)}`,
            `declare it in disks under ${key} in ${configFile} (disks are scsi0, scsi1, … in order); or detach it deliberately`,
        );
    }

    // hosts/proxmox.ts declares one NIC, net0: virtio on the block's bridge, tagged with its vlan
    // (none when vlan is absent), firewall left at the provider's default (off).
    const wanted = { model: "virtio", bridge: vm.network.bridge, tag: vm.network.vlan };
    const net0 = real.nics.find((n) => n.key === "net0");
    if (net0 === undefined) {
        const tag = vm.network.vlan === undefined ? "" : `,tag=${vm.network.vlan}`;
        add(
            "net0",
            nicSummary(wanted),
            "none",
            `add the NIC deliberately (${qmSet(`--net0 virtio,bridge=${vm.network.bridge}${tag}`)})`,
        );
    } else {
        if (net0.model !== "virtio") {
            add(
                "net0 model",
                "virtio (the program's only model)",
                net0.model || "(unknown)",
                "no key of the vm block sets the model: change the NIC to virtio deliberately (the guest sees a new network device and may rename its interface)",
            );
        }
        if (net0.bridge !== vm.network.bridge) {
            add(
                "net0 bridge",
                vm.network.bridge,
                net0.bridge ?? "(none)",
                `set \`bridge: ${net0.bridge ?? ""}\` under ${key}.network in ${configFile}; or move the NIC deliberately`,
            );
        }
        if (net0.tag !== vm.network.vlan) {
            const without = net0.raw
                .split(",")
                .filter((item) => !item.startsWith("tag="))
                .join(",");
            const retag =
                vm.network.vlan === undefined
                    ? qmSet(`--net0 '${without}'`)
                    : qmSet(`--net0 '${without},tag=${vm.network.vlan}'`);
            const config =
                net0.tag === undefined
                    ? `remove \`vlan\` from ${key}.network in ${configFile} (the real NIC has no tag)`
                    : `set \`vlan: ${net0.tag}\` under ${key}.network in ${configFile}`;
            add(
                "net0 VLAN tag",
                vm.network.vlan === undefined ? "none (no vlan)" : String(vm.network.vlan),
                net0.tag === undefined ? "none (no tag=)" : String(net0.tag),
                `${config}; or re-tag the NIC deliberately (${retag}), which moves the VM to another VLAN and cuts it off unless the switch and gateway carry that VLAN`,
            );
        }
        if (net0.firewall) {
            add(
                "net0 firewall",
                "off (the vm block has no firewall; the provider's default)",
                "on (firewall=1)",
                `no key of the vm block sets it: switch it off deliberately (${qmSet(`--net0 '${net0.raw.replace(/,?firewall=[^,]*/, "")}'`)}) if no Proxmox firewall rule protects this VM; otherwise do not adopt until hosts/proxmox.ts sets \`firewall\``,
            );
        }
    }
    for (const extra of real.nics.filter((n) => n.key !== "net0")) {
        add(
            extra.key,
            "none (the program declares net0 only)",
            nicSummary(extra),
            `no key of the vm block adds a NIC: remove it deliberately (${qmSet(`--delete ${extra.key}`)}); or do not adopt until hosts/proxmox.ts declares it`,
        );
    }
    return items;
}
