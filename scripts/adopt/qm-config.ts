/**
 * Reading the `qm config <vmid>` output the owner saved: the VM as Proxmox stores it, with
 * Proxmox's default for every line `qm config` leaves out.
 */
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
