/**
 * The adopted VMs checked against what Proxmox says they are. Adoption never contacts Proxmox: the
 * owner runs `qm config <vmid>` on the node and saves its output, and this module compares it with
 * the host's `vm` block. An adopted VM that differs from its `vm` block shows in `pulumi preview
 * --diff` only as an in-place update of an imported resource (a NIC re-tagged onto another VLAN, a
 * firewall switched off, cores taken away), which is easy to approve without noticing; here every
 * difference is a blocking item of the report instead.
 */
import type { HostName } from "../../topology";
import { memoryFloorMb, type VmSettings } from "../../config/proxmox";

/** One thing to settle before `pulumi up`: a difference between the `vm` block and the real VM, or a VM not checked. */
export interface BlockingItem {
    host: HostName;
    /** `<node>/<vmid>`, the VM's import id. */
    vm: string;
    what: string;
    configured: string;
    real: string;
    fix: string;
}

export interface QmNic {
    /** net0, net1, ... */
    key: string;
    model: string;
    bridge?: string;
    tag?: number;
    firewall: boolean;
    /** The line as `qm config` printed it after `netN: `, for a `qm set` the owner can paste. */
    raw: string;
}

export interface QmDisk {
    /** scsi0, virtio0, sata1, ... */
    key: string;
    /** The storage id before the volume's colon (`local-lvm` of `local-lvm:vm-111-disk-0`); "" for a path. */
    datastore: string;
    /** `size=` as written (128G, 32768M); undefined when the line has none. */
    size?: string;
    /** The size in GiB (possibly fractional); undefined when `size=` is absent or not understood. */
    sizeGib?: number;
}

/** What adoption compares, as Proxmox stores it; a line `qm config` leaves out takes Proxmox's default. */
export interface QmVm {
    name?: string;
    cores: number;
    sockets: number;
    cpuType: string;
    memoryMb: number;
    agent: boolean;
    bios: string;
    nics: QmNic[];
    disks: QmDisk[];
}

/**
 * `key: value` lines of the current configuration. Stops at the first `[section]`: `qm config`
 * prints none, but a copy of /etc/pve/qemu-server/<vmid>.conf continues with its snapshots and
 * their older values. `#` lines are the description in that file.
 */
export function parseQmConfig(text: string): Map<string, string> {
    const values = new Map<string, string>();
    for (const line of text.split(/\r?\n/)) {
        if (line.startsWith("[")) break;
        const match = /^([A-Za-z][A-Za-z0-9_-]*):\s*(.*)$/.exec(line.trim());
        if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
    }
    return values;
}

/** A Proxmox property string (`virtio=AA:BB,bridge=vmbr0,tag=30`) as [key, value] pairs; a bare item has key "". */
function propertyString(value: string): [string, string][] {
    return value
        .split(",")
        .filter((item) => item !== "")
        .map((item) => {
            const equals = item.indexOf("=");
            return equals < 0 ? ["", item] : [item.slice(0, equals), item.slice(equals + 1)];
        });
}

const proxmoxTrue = new Set(["1", "yes", "on", "true"]);

/** The NIC models Proxmox knows; the model is written as `<model>=<mac>`, or `model=<model>` in the long form. */
const nicModels = /^(e1000.*|i8255.*|ne2k_.*|pcnet|rtl8139|virtio|vmxnet3)$/;

function parseNic(key: string, raw: string): QmNic {
    const items = propertyString(raw);
    const get = (name: string): string | undefined => items.find(([k]) => k === name)?.[1];
    const model = get("model") ?? items.find(([k]) => nicModels.test(k))?.[0] ?? "";
    const tag = get("tag");
    return {
        key,
        model,
        bridge: get("bridge"),
        tag: tag === undefined ? undefined : Number(tag),
        firewall: proxmoxTrue.has(get("firewall") ?? "0"),
        raw,
    };
}

const sizeUnits: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

function parseDisk(key: string, raw: string): QmDisk | undefined {
    const items = propertyString(raw);
    const get = (name: string): string | undefined => items.find(([k]) => k === name)?.[1];
    const volume = get("file") ?? items.find(([k]) => k === "")?.[1] ?? "";
    // A CD-ROM or the cloud-init drive is no disk of the `disks` list (the program makes the
    // cloud-init drive itself from `initialization`).
    if (get("media") === "cdrom" || volume === "none" || /cloudinit/.test(volume)) return undefined;
    const size = get("size");
    const match = size === undefined ? null : /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(size);
    const unit = sizeUnits[match?.[2] ?? ""];
    const sizeGib = match?.[1] === undefined || unit === undefined ? undefined : (Number(match[1]) * unit) / 2 ** 30;
    return { key, datastore: volume.startsWith("/") ? "" : volume.slice(0, volume.indexOf(":")), size, sizeGib };
}

/** Keys that every `qm config` of a QEMU VM prints; a text with none is an error message or another file. */
const vmKeys = /^(boot|name|ostype|smbios1|vmgenid|scsihw|memory|cores|(net|scsi|virtio|sata|ide)\d+)$/;

/** The VM `qm config` describes, or undefined when the text is not a `qm config` output. */
export function readQmVm(text: string): QmVm | undefined {
    const values = parseQmConfig(text);
    if (![...values.keys()].some((key) => vmKeys.test(key))) return undefined;
    const number = (key: string, fallback: number): number => {
        const value = values.get(key);
        return value === undefined ? fallback : Number(value);
    };
    // The first item of `cpu` is the type, bare or as `cputype=` (`cpu: host,flags=+aes`).
    const cpu = propertyString(values.get("cpu") ?? "");
    const cpuType = cpu.find(([k]) => k === "cputype" || k === "")?.[1];
    // Proxmox 8.1 writes `memory: current=<MiB>` when memory hotplug options are set, else `memory: <MiB>`.
    const memory = propertyString(values.get("memory") ?? "");
    const memoryMb = memory.find(([k]) => k === "current" || k === "")?.[1];
    const agent = propertyString(values.get("agent") ?? "0").find(([k]) => k === "enabled" || k === "")?.[1];
    const ordered = [...values.entries()].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }));
    return {
        name: values.get("name"),
        // Proxmox's defaults when the line is absent (qm(1): cores 1, sockets 1, cputype kvm64,
        // memory 512, agent off, bios seabios).
        cores: number("cores", 1),
        sockets: number("sockets", 1),
        cpuType: cpuType ?? "kvm64",
        memoryMb: memoryMb === undefined ? 512 : Number(memoryMb),
        agent: proxmoxTrue.has(agent ?? "0"),
        bios: values.get("bios") ?? "seabios",
        nics: ordered.filter(([key]) => /^net\d+$/.test(key)).map(([key, raw]) => parseNic(key, raw)),
        disks: ordered.flatMap(([key, raw]) => {
            if (!/^(scsi|virtio|sata|ide)\d+$/.test(key)) return [];
            const disk = parseDisk(key, raw);
            return disk === undefined ? [] : [disk];
        }),
    };
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
        items.push({ host, vm: id, what, configured, real: found, fix });
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

/**
 * The blocking items of the VMs: each VM marked `adopt` needs its `qm config` (a VM without one is
 * itself a blocking item); a VM not marked adopt is compared when its file is there (one imported
 * earlier, after its `adopt` was set back to false) and otherwise skipped (the program creates it).
 */
export function vmChecks(
    vms: readonly (VmToCheck & { adopt: boolean })[],
    qm: { dir: string; texts: ReadonlyMap<number, string> },
): { blocking: BlockingItem[]; checked: { host: HostName; vm: string; result: string }[] } {
    const blocking: BlockingItem[] = [];
    const checked: { host: HostName; vm: string; result: string }[] = [];
    for (const check of vms) {
        const { host, vm } = check;
        const id = `${vm.node}/${vm.vmId}`;
        const file = `${qm.dir}/${vm.vmId}.conf`;
        const save = `run \`qm config ${vm.vmId}\` on ${vm.node} and save its output to ${file}, then run the adoption again`;
        const text = qm.texts.get(vm.vmId);
        if (text === undefined) {
            if (!check.adopt) continue;
            blocking.push({
                host,
                vm: id,
                what: "not checked",
                configured: "(the vm block)",
                real: "unknown",
                fix: save,
            });
            checked.push({ host, vm: id, result: `not checked: no ${file}` });
            continue;
        }
        const real = readQmVm(text);
        if (real === undefined) {
            blocking.push({
                host,
                vm: id,
                what: "not checked",
                configured: "(the vm block)",
                real: `${file} is not a \`qm config\` output`,
                fix: save,
            });
            checked.push({ host, vm: id, result: `not checked: ${file} is not a \`qm config\` output` });
            continue;
        }
        const differences = vmDifferences(check, real);
        blocking.push(...differences);
        checked.push({
            host,
            vm: id,
            result:
                differences.length === 0
                    ? `matches ${file}`
                    : `${differences.length} difference${differences.length === 1 ? "" : "s"} from ${file}`,
        });
    }
    return { blocking, checked };
}
