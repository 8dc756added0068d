import fc from "fast-check";
import { everyHost, hostNames } from "../../topology";
import { stackNames, type ServiceEntry } from "../../catalog/types";
import {
    baseCatalog,
    baseConfig,
    basePaths,
    baseValue,
    keyOf,
    type Case,
    type CatalogEdit,
    type Needle,
    type Path,
} from "./input";

/**
 * The mutation classes: each an arbitrary of bad-input cases, built from Pulumi.prod.yaml and the
 * catalog as data. What a case must name comes from the mutation itself, never from the checks.
 * The rules a class relies on (required keys, strict objects, ranges) are written out by hand
 * from config/schema.ts, config/proxmox.ts, hosts/problems.ts and catalog/validate.ts.
 */

export interface MutationClass {
    name: string;
    /** Cases for the pure tier (settingsOfStackFile + checkInput). */
    cases: fc.Arbitrary<Case>;
    /** Cases loadProgram can express (it cannot remove a `homelab:` key); the same when undefined. */
    programCases?: fc.Arbitrary<Case>;
    /** Cases the program tier runs before the generated ones. */
    programExamples?: readonly Case[];
}

// ---------------------------------------------------------------------------------------------
// The base input, as data

const domain = String(baseConfig["homelab:domain"]);
const configuredHosts = Object.keys(baseValue(["hosts"]) as Record<string, unknown>);
const vmHosts = configuredHosts.filter((host) => baseValue(["hosts", host, "vm"]) !== undefined);
const addressOf = (host: string): string => String(baseValue(["hosts", host, "address"]));
const vmIdOf = (host: string): number => Number(baseValue(["hosts", host, "vm", "vmId"]));
const devicesOf = (host: string): unknown[] => (baseValue(["hosts", host, "devices"]) as unknown[] | undefined) ?? [];

const enabled = baseCatalog.filter((entry) => entry.enabled !== false);
const routed = enabled.filter(
    (entry): entry is ServiceEntry & { route: NonNullable<ServiceEntry["route"]> } => entry.route !== undefined,
);
const unrouted = enabled.filter((entry) => entry.route === undefined && entry.port !== undefined);
const names = (entries: readonly ServiceEntry[]): string[] => entries.map((entry) => entry.name);

/** `*` matches one segment. */
function matches(path: Path, pattern: string): boolean {
    const parts = pattern.split(".");
    return parts.length === path.length && parts.every((part, i) => part === "*" || part === String(path[i]));
}
const matchesAny = (path: Path, patterns: readonly string[]): boolean =>
    patterns.some((pattern) => matches(path, pattern));

/**
 * Keys whose absence breaks a rule: required by the schema, or needed by a cross-key check (the
 * catalog places services on every prod host, the VMs need homelab:proxmox and their image,
 * gluetun needs /dev/net/tun on docker-prod-01, the Tier 1 backup needs the backups export).
 */
const requiredKeys = [
    "domain",
    "timezone",
    "identity",
    "identity.uid",
    "identity.gid",
    "lanSubnet",
    "protectStateful",
    "edge",
    "hosts",
    "hosts.*",
    "hosts.*.address",
    "hosts.*.deployUser",
    "hosts.docker-prod-01.devices",
    "hosts.*.vm.node",
    "hosts.*.vm.vmId",
    "hosts.*.vm.image",
    "hosts.*.vm.cores",
    "hosts.*.vm.cpuType",
    "hosts.*.vm.memoryMb",
    "hosts.*.vm.disks",
    "hosts.*.vm.disks.*.datastore",
    "hosts.*.vm.disks.*.sizeGb",
    "hosts.*.vm.network",
    "hosts.*.vm.network.bridge",
    "hosts.*.vm.network.subnet",
    "hosts.*.vm.network.gateway",
    "hosts.*.vm.network.dns",
    "hosts.*.vm.sshKeys",
    "storage",
    "storage.appdata",
    "storage.stacks",
    "storage.data",
    "traefik",
    "traefik.certificates",
    "vpn",
    "vpn.provider",
    "vpn.type",
    "adguard",
    "adguard.originUrl",
    "adguard.replicaUrls",
    "adguard.syncCron",
    "cloudflare",
    "cloudflare.accountId",
    "cloudflare.zoneId",
    "cloudflare.zoneName",
    "proxmox",
    "proxmox.endpoint",
    "proxmox.images",
    "proxmox.images.*",
    "proxmox.images.*.url",
    "proxmox.images.*.fileName",
    "proxmox.nfs",
    "proxmox.nfs.exports",
    "proxmox.nfs.exports.backups",
    "proxmox.nfs.exports.*.path",
    "backups.vms.storage",
    "backups.vms.schedule",
    "backups.appdata.onCalendar",
    "backups.plex.cron",
    "backups.plex.destination",
    "backups.snapshots.cron",
    "backups.snapshots.datasets",
    "unifi.controllerUrl",
    "unifi.wireguard",
    "unifi.wireguard.subnet",
];

/** z.strictObject nodes (and the hosts record, where a new member is an unknown host). */
const strictObjects = [
    "identity",
    "hosts",
    "hosts.*",
    "hosts.*.storage",
    "hosts.*.vm",
    "hosts.*.vm.disks.*",
    "hosts.*.vm.network",
    "storage",
    "traefik",
    "vpn",
    "adguard",
    "cloudflare",
    "proxmox",
    "proxmox.images.*",
    "proxmox.nfs",
    "proxmox.nfs.exports.*",
    "backups",
    "backups.vms",
    "backups.vms.keep",
    "backups.appdata",
    "backups.plex",
    "backups.snapshots",
    "unifi",
    "unifi.wireguard",
];

/** NFS exports are a union (a path, or { path, at }): zod reports a mismatch below one at the export. */
const unionMembers = ["proxmox.nfs.exports.*"];

/** Every key the schema knows, so that an "unknown" key is never a valid optional one. */
const schemaKeys = new Set(
    (
        "domain timezone identity uid gid hosts storage lanSubnet traefik vpn adguard offline hostFiles protectStateful " +
        "edge cloudflare proxmox backups address dockerHost deployUser devices scratch hostNetwork " +
        "healthcheckStartInterval createDataDirectories vm appdata data stacks node vmId image templateId cores cpuType " +
        "memoryMb disks network sshKeys agent mounts adopt datastore sizeGb bridge vlan subnet gateway dns searchDomain " +
        "certificates acmeEmail httpPort httpsPort provider type serverCountries originUrl replicaUrls syncCron " +
        "standInImage keep images accountId zoneId zoneName endpoint insecure nfs exports options url fileName " +
        "checksum checksumAlgorithm path at vms plex snapshots schedule mode last daily weekly monthly onCalendar host " +
        "cron container destination installDir datasets dockerTls certPath unifi controllerUrl site wanInterface " +
        "wireguard name port"
    ).split(" "),
);

// ---------------------------------------------------------------------------------------------
// Value generators

/** A JSON value of each kind, for replacing a value of another kind. */
const valuesOfKind = {
    string: fc.oneof(fc.constantFrom("", "yes", "not-a-number", "2000"), fc.string({ maxLength: 12 })),
    number: fc.oneof(fc.constantFrom(0, -1, 1.5), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    null: fc.constant(null),
    object: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
};
type Kind = keyof typeof valuesOfKind;

function kindOf(value: unknown): Kind {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    const kind = typeof value;
    if (kind === "string" || kind === "number" || kind === "boolean" || kind === "object") return kind;
    throw new Error(`no JSON kind for ${kind}`);
}

/** A string with one character put in at some position. */
function withCharacter(base: string, characters: readonly string[]): fc.Arbitrary<string> {
    return fc
        .tuple(fc.nat({ max: base.length }), fc.constantFrom(...characters))
        .map(([at, character]) => `${base.slice(0, at)}${character}${base.slice(at)}`);
}

/** Names no rule knows: near misses of real ones, names that are also Object.prototype's, random ones. */
const strangeNames = fc.oneof(
    fc.constantFrom("docker-prod-1", "Docker-Prod-01", "docker_prod_01", "nas-prod", "pi-prod-01", " docker-prod-01"),
    fc.constantFrom("", "constructor", "toString", "hasOwnProperty", "__proto__", "every-host "),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);

/** A short lower-case name (an image key, an export, a service). */
const shortName = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((octets) => octets.join("."));

/** Strings that are not a dotted-quad IPv4 address. */
const malformedIpv4 = fc.oneof(
    fc.constantFrom(
        "192.168.30.300",
        "192.168.30",
        "192.168.30.11.5",
        "192.168.030.11",
        "256.1.1.1",
        "-1.2.3.4",
        " 192.168.30.11",
        "192.168.30.11 ",
        "192.168.30.11\n",
        "::1",
        "fe80::1",
        "192.168.30.11/24",
        "a.b.c.d",
        "",
        "１９２.168.30.11",
        "0x7f.0.0.1",
        "192,168,30,11",
        "192.168.30.",
    ),
    fc
        .tuple(
            fc.array(octet, { minLength: 4, maxLength: 4 }),
            fc.nat({ max: 3 }),
            fc.integer({ min: 256, max: 99999 }),
        )
        .map(([octets, at, bad]) => octets.map((value, i) => (i === at ? bad : value)).join(".")),
    fc
        .array(octet, { minLength: 1, maxLength: 8 })
        .filter((octets) => octets.length !== 4)
        .map((octets) => octets.join(".")),
    withCharacter("192.168.30.11", ["a", " ", "/", ":", "..", "-"]),
);

const malformedCidr = fc.oneof(
    fc.constantFrom(
        "192.168.30.0/33",
        "192.168.30.0",
        "192.168.30.0/",
        "192.168.30.0/-1",
        "192.168.300.0/24",
        "192.168.30.0/24/8",
        "/24",
        "192.168.30.0 /24",
    ),
    fc.tuple(ipv4, fc.integer({ min: 33, max: 999 })).map(([address, bits]) => `${address}/${String(bits)}`),
    malformedIpv4.map((address) => `${address}/24`),
);

/** Not a bare lower-case domain: schemes, paths, ports, upper case, empty or over-long labels. */
const malformedDomain = fc.oneof(
    fc.constantFrom(
        "https://giohosted.com",
        "giohosted.com/apps",
        "giohosted.com:443",
        "GioHosted.com",
        "giohosted",
        ".giohosted.com",
        "giohosted.com.",
        "giohosted..com",
        "-gio.com",
        "gio-.com",
        "gio_hosted.com",
        "*.giohosted.com",
        "",
        `${"a".repeat(64)}.com`,
    ),
    withCharacter("giohosted.com", [" ", "_", "/", ":", "@", "*", "A", "é", "\n"]),
);

/** Not a DNS label (a Proxmox node name, a route's subdomain). */
const malformedLabel = (base: string): fc.Arbitrary<string> =>
    fc.oneof(
        fc.constantFrom("", "-a", "a-", "a.b", "A", "Bad_Name", "a".repeat(64), "*", "so/me", "ünï"),
        withCharacter(base, [" ", "_", ".", "/", "A", "*", "é", "\n"]),
    );

/** Not a URL at all (the schema's own `z.url` would also take mailto: or http:x). */
const malformedUrl = fc.constantFrom(
    "192.168.30.2",
    "http//192.168.30.2",
    "http://",
    "://192.168.30.2",
    "not a url",
    "",
    "http://exa mple.com",
    "http://[::1",
    "https://:8006",
);

// ---------------------------------------------------------------------------------------------
// Case builders

/** The error names the key at `path`. */
const fullKey = (path: Path): Needle[][] => [[{ key: keyOf(path) }]];

/** ... or the object holding it, for a member that is missing or not allowed there. */
function keyOrHolder(path: Path): Needle[][] {
    if (path.length < 2) return fullKey(path);
    return [...fullKey(path), [{ key: keyOf(path.slice(0, -1)) }]];
}

const setCase = (klass: string, path: Path, value: unknown, names: Needle[][], mustReject = true): Case => ({
    class: klass,
    config: [{ op: "set", path, value }],
    catalog: [],
    names,
    mustReject,
});

/** One of the `(path, values)` pairs, as a case that sets the path to the value. */
function setOneOf(klass: string, targets: readonly (readonly [Path, fc.Arbitrary<unknown>])[]): fc.Arbitrary<Case> {
    return fc.oneof(
        ...targets.map(([path, values]) => values.map((value) => setCase(klass, path, value, fullKey(path)))),
    );
}

const allPaths = basePaths();

// ---------------------------------------------------------------------------------------------
// Config classes

function wrongTypeCase(path: Path, value: unknown): Case {
    const union = path.findIndex((_, i) => matchesAny(path.slice(0, i + 1), unionMembers));
    const names = union >= 0 ? [...fullKey(path), ...fullKey(path.slice(0, union + 1))] : fullKey(path);
    // A top-level string is the value's text ("true" is a boolean to the program), and an NFS
    // export is a union (a path string, or { path, at }): another kind may be valid there.
    const maybeValid = (path.length === 1 && typeof value === "string") || union >= 0;
    return setCase("wrong type", path, value, names, !maybeValid);
}

/** A value of another JSON kind anywhere in the config. */
const wrongType: MutationClass = {
    name: "wrong type",
    cases: fc
        .constantFrom(...allPaths)
        .chain((path) => {
            const kinds = (Object.keys(valuesOfKind) as Kind[]).filter((kind) => kind !== kindOf(baseValue(path)));
            return fc.tuple(fc.constant(path), fc.oneof(...kinds.map((kind) => valuesOfKind[kind])));
        })
        .map(([path, value]) => wrongTypeCase(path, value)),
};

/** One value of another kind for each kind, that no rule takes for the kind it expects. */
const otherKind: Readonly<Record<Kind, unknown>> = {
    string: 5,
    number: "5",
    boolean: "yes",
    null: false,
    object: ["x"],
    array: { x: 1 },
};

/**
 * Every key of Pulumi.prod.yaml, each given a value of another kind: together with the "wrong
 * type" class's random ones, every type rule the prod config reaches answers in its own words.
 */
export const everyWrongType: readonly Case[] = allPaths.map((path) =>
    wrongTypeCase(path, otherKind[kindOf(baseValue(path))]),
);

const memberPaths = (topLevel: boolean): Path[] =>
    allPaths.filter((path) => (topLevel || path.length > 1) && typeof path.at(-1) === "string");

function missingKeyCases(topLevel: boolean): fc.Arbitrary<Case> {
    return fc.constantFrom(...memberPaths(topLevel)).map((path): Case => ({
        class: "missing key",
        config: [{ op: "delete", path }],
        catalog: [],
        names: keyOrHolder(path),
        mustReject: matchesAny(path, requiredKeys),
    }));
}

/** A key taken away: required ones must be reported, optional ones may go. */
const missingKey: MutationClass = {
    name: "missing key",
    cases: missingKeyCases(true),
    programCases: missingKeyCases(false),
    // One accepted mutation, so that the program tier also loads a whole program from mutated input.
    programExamples: [
        {
            class: "missing key",
            config: [{ op: "delete", path: ["backups", "plex"] }],
            catalog: [],
            names: keyOrHolder(["backups", "plex"]),
            mustReject: false,
        },
    ],
};

const objectPaths = [[] as Path, ...allPaths.filter((path) => kindOf(baseValue(path)) === "object")];

/** A key nobody declared, at the top level and in every object (strict ones must reject it). */
const extraKey: MutationClass = {
    name: "extra key",
    cases: fc
        .tuple(
            fc.constantFrom(...objectPaths),
            fc.oneof(
                fc.constantFrom("adress", "deployuser", "Address", "core", "memory", "vmid", "gatway", "enabled"),
                fc.constantFrom("constructor", "toString", "__proto__"),
                fc.stringMatching(/^[a-z][a-zA-Z0-9_-]{0,11}$/),
            ),
            fc.jsonValue({ maxDepth: 2 }),
        )
        .filter(([, name]) => !schemaKeys.has(name) && !configuredHosts.includes(name))
        .filter(([holder, name]) => baseValue([...holder, name]) === undefined)
        .map(([holder, name, value]): Case => {
            const path = [...holder, name];
            return {
                class: "extra key",
                config: [{ op: "set", path, value }],
                catalog: [],
                names: keyOrHolder(path),
                // The top level is not checked: secrets are `homelab:` keys too. A `__proto__` member of
                // the hosts record is dropped by zod's record parsing.
                mustReject:
                    holder.length > 0 &&
                    matchesAny(holder, strictObjects) &&
                    !(name === "__proto__" && matches(holder, "hosts")),
            };
        }),
};

const outOfRange: MutationClass = {
    name: "out-of-range number",
    cases: setOneOf("out-of-range number", [
        ...(["uid", "gid"] as const).map(
            (id) =>
                [
                    ["identity", id],
                    fc.oneof(
                        fc.constantFrom(0, 65534, 65535, 70000, -1, 2000.5),
                        fc.integer({ max: 0 }),
                        fc.integer({ min: 65534 }),
                    ),
                ] as const,
        ),
        ...(["httpPort", "httpsPort"] as const).map(
            (port) =>
                [
                    ["traefik", port],
                    fc.oneof(
                        fc.constantFrom(0, 65536, 70000, -1, 443.5),
                        fc.integer({ max: 0 }),
                        fc.integer({ min: 65536 }),
                    ),
                ] as const,
        ),
        ...vmHosts.flatMap((host) => [
            [
                ["hosts", host, "vm", "cores"],
                fc.oneof(fc.constantFrom(0, -1, 129, 1.5), fc.integer({ max: 0 }), fc.integer({ min: 129 })),
            ] as const,
            [
                ["hosts", host, "vm", "memoryMb"],
                fc.oneof(fc.constantFrom(0, 2047, -1, 4096.5), fc.integer({ max: 2047 })),
            ] as const,
            [
                ["hosts", host, "vm", "vmId"],
                fc.oneof(
                    fc.constantFrom(0, 99, 1000000000, 100.5),
                    fc.integer({ max: 99 }),
                    fc.integer({ min: 1000000000 }),
                ),
            ] as const,
            [
                ["hosts", host, "vm", "disks", 0, "sizeGb"],
                fc.oneof(fc.constantFrom(0, 7, -1), fc.integer({ max: 7 })),
            ] as const,
            [
                ["hosts", host, "vm", "network", "vlan"],
                fc.oneof(fc.constantFrom(0, 4095, -3), fc.integer({ max: 0 }), fc.integer({ min: 4095 })),
            ] as const,
        ]),
        [
            ["backups", "plex", "keep"],
            fc.oneof(fc.constantFrom(0, 366), fc.integer({ max: 0 }), fc.integer({ min: 366 })),
        ],
        [["backups", "snapshots", "keep"], fc.oneof(fc.constantFrom(0, 366, -1), fc.integer({ min: 366 }))],
        [
            ["unifi", "wireguard", "port"],
            fc.oneof(fc.constantFrom(0, 65536, -1, 51820.5), fc.integer({ max: 0 }), fc.integer({ min: 65536 })),
        ],
        ...(["daily", "weekly", "monthly"] as const).map(
            (period) =>
                [["backups", "vms", "keep", period], fc.oneof(fc.constantFrom(0, -1), fc.integer({ max: 0 }))] as const,
        ),
    ]),
};

/** A member of homelab:hosts that is not a machine of the homelab: added beside the others, or renamed. */
const unknownHost: MutationClass = {
    name: "unknown host in homelab:hosts",
    cases: fc
        .tuple(
            strangeNames.filter((name) => !(hostNames as readonly string[]).includes(name)),
            fc.constantFrom(...configuredHosts),
            fc.boolean(),
        )
        .map(([name, existing, rename]): Case => {
            const path = ["hosts", name];
            if (rename && name !== "__proto__") {
                return {
                    class: "unknown host in homelab:hosts",
                    config: [{ op: "rename", path: ["hosts", existing], to: name }],
                    catalog: [],
                    names: fullKey(path),
                    mustReject: true,
                };
            }
            // zod's record parsing drops a `__proto__` member, so that one may load.
            return setCase(
                "unknown host in homelab:hosts",
                path,
                baseValue(["hosts", existing]),
                fullKey(path),
                name !== "__proto__",
            );
        }),
};

const malformedAddress: MutationClass = {
    name: "malformed IPv4 address or CIDR",
    cases: setOneOf("malformed IPv4 address or CIDR", [
        ...configuredHosts.map((host) => [["hosts", host, "address"], malformedIpv4] as const),
        ...vmHosts.flatMap((host) => [
            [["hosts", host, "vm", "network", "gateway"], malformedIpv4] as const,
            [["hosts", host, "vm", "network", "dns", 0], malformedIpv4] as const,
            [["hosts", host, "vm", "network", "subnet"], malformedCidr] as const,
        ]),
        [["lanSubnet"], malformedCidr],
    ]),
};

const malformedName: MutationClass = {
    name: "malformed domain or hostname",
    cases: setOneOf("malformed domain or hostname", [
        [["domain"], malformedDomain],
        [["cloudflare", "zoneName"], malformedDomain],
        ...vmHosts.flatMap((host) => [
            [["hosts", host, "vm", "node"], malformedLabel(String(baseValue(["hosts", host, "vm", "node"])))] as const,
            [
                ["hosts", host, "vm", "network", "searchDomain"],
                fc.oneof(fc.constant(""), withCharacter("lan.giohosted.com", [" ", "_", "/", ":", "A", "é"])),
            ] as const,
        ]),
    ]),
};

const malformedUrls: MutationClass = {
    name: "malformed URL",
    cases: setOneOf("malformed URL", [
        [["adguard", "originUrl"], malformedUrl],
        [["adguard", "replicaUrls", 0], malformedUrl],
        [["proxmox", "endpoint"], fc.oneof(malformedUrl, fc.constant("http://192.168.30.5:8006/"))],
        [["proxmox", "images", "debian-13", "url"], malformedUrl],
    ]),
};

/** The cross-key rules of hosts/problems.ts: addresses, gateways and VM ids, images, mounts, SSH hosts. */
const vmPlacement: MutationClass = {
    name: "VM placement (hosts/problems.ts)",
    cases: fc.constantFrom(...vmHosts).chain((host) => {
        const others = configuredHosts.filter((other) => other !== host);
        const otherVms = vmHosts.filter((other) => other !== host);
        const at = (...rest: (string | number)[]): Path => ["hosts", host, ...rest];
        const klass = "VM placement (hosts/problems.ts)";
        const set = (path: Path, value: unknown, names = fullKey(path)): Case => setCase(klass, path, value, names);
        /** A pair reported once, under either host: "homelab:hosts.a.<key> ... homelab:hosts.b has the same". */
        const pair = (other: string, ...rest: string[]): Needle[][] => [
            [{ key: keyOf(at(...rest)) }],
            [{ key: keyOf(["hosts", host]) }, { key: keyOf(["hosts", other, ...rest]) }],
        ];
        return fc.oneof(
            ipv4.filter((address) => !address.startsWith("192.168.30.")).map((address) => set(at("address"), address)),
            fc.constantFrom("192.168.30.0", "192.168.30.255").map((address) => set(at("address"), address)),
            fc.constantFrom(...others).map((other) => set(at("address"), addressOf(other), pair(other, "address"))),
            fc
                .constantFrom(addressOf(host), "192.168.31.1", "10.0.0.1")
                .map((gateway) => set(at("vm", "network", "gateway"), gateway)),
            fc
                .constantFrom(...otherVms)
                .map((other) => set(at("vm", "vmId"), vmIdOf(other), pair(other, "vm", "vmId"))),
            shortName
                .filter((image) => baseValue(["proxmox", "images", image]) === undefined)
                .map((image) => set(at("vm", "image"), image)),
            shortName
                .filter((mount) => baseValue(["proxmox", "nfs", "exports", mount]) === undefined)
                .map((mount) => set(at("vm", "mounts"), [mount])),
            fc.constant(set(at("dockerHost"), `ssh://deploy@${addressOf(host)}`)),
            fc.constant(set(at("deployUser"), "root")),
            fc
                .tuple(fc.constantFrom("plex", "snapshots"), strangeNames)
                .filter(([, name]) => !configuredHosts.includes(name))
                .map(([job, name]) => set(["backups", job, "host"], name)),
        );
    }),
};

/** Not a Docker endpoint the program takes: other schemes, no user for ssh://, a relative socket. */
const malformedEndpoint = fc.oneof(
    fc.constantFrom(
        "",
        "10.9.9.9:2375",
        "http://10.9.9.9:2375",
        "https://10.9.9.9:2376",
        "tcp://",
        "ssh://10.9.9.9",
        "ssh://deploy@",
        "unix://docker.sock",
        "unix://",
        "npipe:////./pipe/docker_engine",
        "fd://",
    ),
    withCharacter("ssh://deploy@10.9.9.9", [" ", "\n"]),
);

/**
 * The Docker API as root on a host: tcp:// without TLS, a malformed endpoint, TLS settings where
 * they mean nothing (an ssh:// or unix:// endpoint) or without their directory.
 */
const dockerEndpoint: MutationClass = {
    name: "insecure or malformed Docker endpoint",
    // The case as a new user tried it (issue #22): the whole program refuses it, registering nothing.
    programExamples: [
        setCase(
            "insecure or malformed Docker endpoint",
            ["hosts", "docker-prod-01", "dockerHost"],
            "tcp://10.9.9.9:2375",
            [[{ key: "homelab:hosts.docker-prod-01.dockerHost" }, { text: "dockerTls" }]],
        ),
    ],
    cases: fc.constantFrom(...configuredHosts).chain((host) => {
        const klass = "insecure or malformed Docker endpoint";
        const at = (...rest: string[]): Path => ["hosts", host, ...rest];
        const tcp = fc
            .tuple(ipv4, fc.constantFrom(2375, 2376, 443, 8080))
            .map(([address, port]) => `tcp://${address}:${String(port)}`);
        const hostWith = (fields: Record<string, unknown>): Record<string, unknown> => ({
            ...(baseValue(["hosts", host]) as Record<string, unknown>),
            ...fields,
        });
        const setHost = (fields: Record<string, unknown>, names: Needle[][]): Case =>
            setCase(klass, ["hosts", host], hostWith(fields), names);
        return fc.oneof(
            // A bare tcp:// endpoint: the message names the key and says why (TLS).
            tcp.map((endpoint) =>
                setCase(klass, at("dockerHost"), endpoint, [[{ key: keyOf(at("dockerHost")) }, { text: "dockerTls" }]]),
            ),
            malformedEndpoint.map((endpoint) => setCase(klass, at("dockerHost"), endpoint, fullKey(at("dockerHost")))),
            // TLS settings beside an ssh:// endpoint (explicit or the deploy user's) mean nothing.
            fc
                .constantFrom(undefined, `ssh://deploy@${addressOf(host)}`)
                .map((endpoint) =>
                    setHost({ dockerHost: endpoint, dockerTls: { certPath: "/etc/homelab/docker-tls" } }, [
                        [{ key: keyOf(at("dockerTls")) }],
                    ]),
                ),
            // ... and a tcp:// endpoint with TLS settings that are not an absolute directory.
            fc
                .tuple(tcp, fc.constantFrom("", "certs", "./certs", "~/.docker", "/etc/docker/", 5, null, {}))
                .map(([endpoint, certPath]) =>
                    setHost({ dockerHost: endpoint, dockerTls: { certPath } }, [
                        [{ key: keyOf(at("dockerTls", "certPath")) }],
                        [{ key: keyOf(at("dockerTls")) }],
                    ]),
                ),
        );
    }),
};

// ---------------------------------------------------------------------------------------------
// Catalog classes

const catalogCase = (klass: string, edit: CatalogEdit, names: Needle[][], mustReject = true): Case => ({
    class: klass,
    config: [],
    catalog: [edit],
    names,
    mustReject,
});

const duplicateName: MutationClass = {
    name: "duplicate service name",
    cases: fc
        .tuple(
            fc.constantFrom(...names(baseCatalog)),
            fc.constantFrom<Record<string, unknown>>({}, { enabled: false }, { route: undefined }, { title: "Copy" }),
        )
        .map(([service, fields]) =>
            catalogCase("duplicate service name", { op: "copy", service, fields }, [
                [{ text: "catalog" }, { text: JSON.stringify(service) }],
            ]),
        ),
};

const unknownCatalogHost: MutationClass = {
    name: "catalog entry on an unknown host",
    cases: fc
        .tuple(
            fc.constantFrom(...names(baseCatalog)),
            strangeNames.filter((name) => !configuredHosts.includes(name) && name !== everyHost),
        )
        .map(([service, host]) =>
            catalogCase(
                "catalog entry on an unknown host",
                { op: "patch", service, fields: { host } },
                [[{ key: `catalog: ${service}.host` }]],
                names(enabled).includes(service),
            ),
        ),
};

const malformedSubdomain: MutationClass = {
    name: "malformed route subdomain",
    cases: fc
        .constantFrom(...routed)
        .chain((entry) =>
            malformedLabel(entry.route.subdomain).map((subdomain) =>
                catalogCase(
                    "malformed route subdomain",
                    { op: "patch", service: entry.name, fields: { route: { ...entry.route, subdomain } } },
                    [[{ key: `catalog: ${entry.name}.route.subdomain` }]],
                ),
            ),
        ),
};

const duplicateSubdomain: MutationClass = {
    name: "duplicate route subdomain",
    cases: fc
        .tuple(fc.constantFrom(...routed), fc.constantFrom(...routed, ...unrouted))
        .filter(([owner, other]) => owner.name !== other.name)
        .map(([owner, other]) => {
            const subdomain = owner.route.subdomain;
            const route = { exposure: "internal", forwardAuth: true, ...other.route, subdomain };
            return catalogCase("duplicate route subdomain", { op: "patch", service: other.name, fields: { route } }, [
                [{ text: JSON.stringify(`${subdomain}.${domain}`) }, { key: owner.name }, { key: other.name }],
                [{ key: `catalog: ${other.name}.route.subdomain` }],
            ]);
        }),
};

const unknownStack: MutationClass = {
    name: "catalog entry in an unknown stack",
    cases: fc
        .tuple(fc.constantFrom(...names(enabled)), fc.oneof(fc.constantFrom("Arr", "media", "", "auth "), shortName))
        .filter(([, stack]) => !(stackNames as readonly string[]).includes(stack))
        .map(([service, stack]) =>
            catalogCase("catalog entry in an unknown stack", { op: "patch", service, fields: { stack } }, [
                [{ key: `catalog: ${service}.stack` }],
            ]),
        ),
};

/** dependsOn or a shared network namespace naming a service that is missing, disabled or elsewhere. */
const brokenReference: MutationClass = {
    name: "broken service reference",
    cases: fc.constantFrom(...enabled).chain((entry) => {
        const elsewhere = baseCatalog.filter(
            (other) => other.enabled === false || other.host !== entry.host || other.host === everyHost,
        );
        const target = fc.oneof(
            shortName.filter((name) => !names(baseCatalog).includes(name)),
            fc.constantFrom(...names(elsewhere).filter((name) => name !== entry.name)),
        );
        return fc.oneof(
            fc.tuple(target, fc.boolean()).map(([service, healthy]) =>
                catalogCase(
                    "broken service reference",
                    {
                        op: "patch",
                        service: entry.name,
                        fields: { dependsOn: [...(entry.dependsOn ?? []), { service, healthy }] },
                    },
                    [[{ key: `catalog: ${entry.name}.dependsOn` }]],
                ),
            ),
            target.map((of) =>
                catalogCase(
                    "broken service reference",
                    { op: "patch", service: entry.name, fields: { networking: { mode: "namespace", of } } },
                    [[{ key: `catalog: ${entry.name}.networking.of` }]],
                ),
            ),
        );
    }),
};

/** A required device the entry's host does not list (homelab:hosts.<host>.devices). */
const missingDevice: MutationClass = {
    name: "required device missing on its host",
    cases: fc
        .tuple(
            fc.constantFrom(...enabled.filter((entry) => entry.host !== everyHost)),
            fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).map((name) => `/dev/${name}`),
        )
        .filter(([entry, path]) => !devicesOf(entry.host).includes(path))
        .map(([entry, path]) =>
            catalogCase(
                "required device missing on its host",
                {
                    op: "patch",
                    service: entry.name,
                    fields: { devices: [...(entry.devices ?? []), { path, optional: false, reason: "a test" }] },
                },
                [[{ key: `homelab:hosts.${entry.host}.devices` }, { text: JSON.stringify(path) }]],
            ),
        ),
};

export const configClasses: readonly MutationClass[] = [
    wrongType,
    missingKey,
    extraKey,
    outOfRange,
    unknownHost,
    malformedAddress,
    malformedName,
    malformedUrls,
    vmPlacement,
    dockerEndpoint,
];

export const catalogClasses: readonly MutationClass[] = [
    duplicateName,
    unknownCatalogHost,
    malformedSubdomain,
    duplicateSubdomain,
    unknownStack,
    brokenReference,
    missingDevice,
];
