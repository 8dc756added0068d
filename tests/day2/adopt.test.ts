import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import type { Settings } from "../../config/schema";
import { settingsOfStackFile } from "../../config/load";
import { readStackFile } from "../../config/stack-file";
import { main, readQmConfigs, type Sources } from "../../scripts/adopt";
import { adoption, type Adoption, type AdoptionInput, type QmConfigs } from "../../scripts/adopt/adoption";
import type { ImportFile } from "../../scripts/adopt/documents";
import { expectedState } from "../../scripts/adopt/expected";
import type { ContainerInspect, EngineSnapshot, ImageInspect, NetworkInspect } from "../../scripts/adopt/inspect";
import { containerState, goDuration, secretPlaceholder } from "../../scripts/adopt/provider-state";
import type { BlockingItem } from "../../scripts/adopt/qm";
import { readQmVm } from "../../scripts/adopt/qm-config";
import {
    bothStacks,
    loadProgram,
    stackSettings,
    type Program,
    type RecordedResource,
    type StackName,
} from "../helpers/program";

const plugins = { docker: "5.2.0", proxmoxve: { version: "8.6.0", server: "github://api.github.com/muhlba91" } };
const imageId = `sha256:${"a".repeat(64)}`;

function container(name: string, changes: Partial<ContainerInspect> = {}): ContainerInspect {
    const id = `${name.replace(/[^a-f0-9]/g, "b").padEnd(12, "c")}${"d".repeat(52)}`;
    return {
        Id: id,
        Name: `/${name}`,
        Image: imageId,
        Platform: "linux",
        State: { Running: true },
        Config: {
            Image: `example/${name}:1.0`,
            Env: ["PATH=/usr/bin", "TZ=UTC", "PUID=2000"],
            Labels: { "org.opencontainers.image.version": "1.0", "com.docker.compose.project": "arr" },
            Cmd: null,
            Entrypoint: ["/init"],
            Healthcheck: { Test: ["CMD", "true"], Interval: 30e9, Timeout: 10e9, StartPeriod: 60e9, Retries: 3 },
        },
        HostConfig: {
            Binds: [`/opt/appdata/${name}:/config:rw`, "/data:/data:ro"],
            NetworkMode: "proxy",
            PortBindings: {},
            RestartPolicy: { Name: "unless-stopped" },
            LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
            ShmSize: 64 * 1024 * 1024,
        },
        NetworkSettings: { Networks: { proxy: { Aliases: [id.slice(0, 12), name], IPAddress: "172.18.0.5" } } },
        ...changes,
    };
}

const image: ImageInspect = {
    Id: imageId,
    RepoDigests: [`example/sonarr@sha256:${"e".repeat(64)}`],
    Config: { Env: ["PATH=/usr/bin"], Labels: { "org.opencontainers.image.version": "1.0" } },
};
const network = (name: string, changes: Partial<NetworkInspect> = {}): NetworkInspect => ({
    Id: `net-${name}`,
    Name: name,
    Driver: "bridge",
    Internal: false,
    Attachable: false,
    Labels: {},
    ...changes,
});

/** The lab's one engine with the torrent stack, Sonarr and a container the catalog does not know. */
function labEngine(settings: Settings): EngineSnapshot {
    const gluetun = container("gluetun", {
        Config: {
            ...container("gluetun").Config,
            Env: ["PATH=/usr/bin", "VPN_TYPE=wireguard", "WIREGUARD_PRIVATE_KEY=very-secret-key"],
        },
    });
    const tenant = (name: string): ContainerInspect =>
        container(name, {
            HostConfig: { ...container(name).HostConfig, NetworkMode: `container:${gluetun.Id}` },
            NetworkSettings: { Networks: {} },
        });
    return {
        endpoint: settings.hosts["docker-prod-01"]?.dockerHost ?? "",
        containers: [container("sonarr"), gluetun, tenant("qbittorrent"), tenant("qbitrr"), container("watchtower")],
        networks: [network("proxy"), network("bridge")],
        images: [image],
    };
}

const programs = bothStacks();

/** The adoption of a stack as the command runs it, with the program's own run of that stack. */
function adopt(
    stack: StackName,
    input: Pick<AdoptionInput, "engines"> & Partial<AdoptionInput>,
    program: readonly RecordedResource[] = programs(stack).resources,
): Adoption {
    return adoption({
        stack,
        project: "homelab",
        settings: stackSettings(stack),
        expected: expectedState(program),
        services: catalog,
        plugins,
        ...input,
    });
}

/** The URN `pulumi import` gives each entry of a file (its parent from the file or the name table). */
function importUrns(file: ImportFile, stack: string): Map<string, string> {
    const urns = new Map<string, string>();
    const typeOf = (name: string): string => {
        const fromTable = file.nameTable?.[name];
        if (fromTable !== undefined) return fromTable.split("::")[2] ?? "";
        const entry = file.resources.find((r) => r.name === name);
        if (entry === undefined) throw new Error(`no parent ${name}`);
        return entry.parent === undefined ? entry.type : `${typeOf(entry.parent)}$${entry.type}`;
    };
    for (const entry of file.resources) {
        urns.set(entry.name, `urn:pulumi:${stack}::homelab::${typeOf(entry.name)}::${entry.logicalName ?? entry.name}`);
    }
    return urns;
}

/** The URNs the real engine gives the program's resources (the mocks' URNs carry only the last parent type). */
function programUrns(program: Program, stack: string): Map<RecordedResource, string> {
    const byUrn = new Map(program.resources.map((r) => [r.urn, r]));
    const chain = (resource: RecordedResource): string => {
        const parent = byUrn.get(resource.parent);
        return parent === undefined ? resource.type : `${chain(parent)}$${resource.type}`;
    };
    return new Map(program.resources.map((r) => [r, `urn:pulumi:${stack}::homelab::${chain(r)}::${r.name}`]));
}

/** Every entry of the files is a resource the program registers, with the same type, parent and provider. */
function expectProgramResources(program: Program, stack: string, result: Adoption): void {
    const real = programUrns(program, stack);
    const byRealUrn = new Map([...real].map(([resource, urn]) => [urn, resource]));
    const mockToReal = new Map([...real].map(([resource, urn]) => [resource.urn, urn]));
    for (const file of [result.components, result.vms, result.docker]) {
        const urns = importUrns(file, stack);
        for (const entry of file.resources) {
            const urn = urns.get(entry.name) ?? "";
            const resource = byRealUrn.get(urn);
            expect([entry.name, resource?.type]).toEqual([entry.name, entry.type]);
            if (entry.provider !== undefined) {
                const provider = urns.get(entry.provider);
                expect(mockToReal.get(resource?.provider.replace(/::[^:]+$/, "") ?? "")).toBe(provider);
            }
        }
    }
}

describe("adoption on the lab (every host on one engine)", () => {
    const settings = stackSettings("lab");
    let result: Adoption;
    beforeAll(() => {
        result = adopt("lab", { engines: [labEngine(settings)] });
    });

    test("names, parents and providers are the ones the program registers", () => {
        expectProgramResources(programs("lab"), "lab", result);
        const docker = result.docker.resources;
        expect(docker.filter((r) => r.type === "docker:index/container:Container").map((r) => r.logicalName)).toEqual([
            "sonarr",
            "gluetun",
            "qbitrr",
            "qbittorrent",
        ]);
        expect(docker.find((r) => r.type === "docker:index/network:Network")).toEqual({
            type: "docker:index/network:Network",
            name: "hosts-docker-prod-01-proxy",
            id: "net-proxy",
            parent: "hosts",
            provider: "hosts-docker-prod-01",
            version: "5.2.0",
        });
        expect(docker.find((r) => r.type === "pulumi:providers:docker")).toEqual({
            type: "pulumi:providers:docker",
            name: "hosts-docker-prod-01",
            parent: "hosts",
            version: "5.2.0",
            inputs: { host: "unix:///var/run/docker.sock" },
        });
    });

    test("an image volume no catalog mount covers is blocking; a covered one is not", () => {
        // Sonarr's image as pulled on the host: /config is mounted by the catalog, /backups is not.
        const volumes = { Volumes: { "/config": {}, "/backups": {} } };
        const engine = labEngine(settings);
        const withVolumes = adopt("lab", {
            engines: [{ ...engine, images: [{ ...image, Config: { ...image.Config, ...volumes } }] }],
        });
        const sonarr = withVolumes.blocking.filter((item) => item.subject === "container sonarr");
        expect(sonarr).toEqual([
            {
                host: "docker-prod-01",
                subject: "container sonarr",
                what: "image volume /backups",
                configured: "no mount at /backups in the catalog entry sonarr",
                real: "example/sonarr:1.0 declares VOLUME /backups: its data is in an anonymous volume",
                fix:
                    "mount /backups in sonarr.mounts (catalog/stacks/arr.ts) and record it in sonarr.storage.declaredVolumes; " +
                    "copy the volume's data into that host path (docker cp sonarr:/backups <host path>) before the first " +
                    "`pulumi up` recreates the container",
            },
        ]);
        expect(withVolumes.report).toContain("| docker-prod-01 (container sonarr) | image volume /backups |");
        expect(result.blocking.filter((item) => item.subject.startsWith("container "))).toEqual([]);
    });

    test("components come first, in a file of their own: the other files name them by URN", () => {
        expect(result.components.resources.every((r) => r.component === true && r.id === undefined)).toBe(true);
        expect(result.docker.nameTable).toMatchObject({
            hosts: "urn:pulumi:lab::homelab::homelab:hosts:DockerHosts::hosts",
            "ServiceContainer:gluetun":
                "urn:pulumi:lab::homelab::homelab:stacks:ServiceStack$homelab:components:ServiceContainer::gluetun",
        });
        expect(result.vms.resources).toEqual([]);
    });

    test("component types come from the program's run: another stack token changes the URNs and nothing else", () => {
        // The stacks' component under another token, as the run would record it after a rename.
        const retyped = JSON.parse(
            JSON.stringify(programs("lab").resources).replace(/homelab:stacks:[A-Za-z]+/g, "homelab:stacks:Renamed"),
        ) as RecordedResource[];
        const renamed = adopt("lab", { engines: [labEngine(settings)] }, retyped);
        expect(renamed.docker.resources).toEqual(result.docker.resources);
        expect(renamed.docker.nameTable?.["ServiceContainer:gluetun"]).toBe(
            "urn:pulumi:lab::homelab::homelab:stacks:Renamed$homelab:components:ServiceContainer::gluetun",
        );
        expect(renamed.components.resources.find((r) => r.name === "torrent")).toEqual({
            type: "homelab:stacks:Renamed",
            name: "torrent",
            component: true,
        });
    });

    test("each container's state comes from docker inspect, never with a secret's value", () => {
        const gluetun = result.docker.resources.find((r) => r.logicalName === "gluetun");
        expect(gluetun?.id).toBe(labEngine(settings).containers[1]?.Id);
        expect(gluetun?.outputs?.envs).toEqual(["VPN_TYPE=wireguard", `WIREGUARD_PRIVATE_KEY=${secretPlaceholder}`]);
        expect(JSON.stringify([result.components, result.vms, result.docker])).not.toContain("very-secret-key");
        const image = result.docker.resources.find((r) => r.name === "sonarr-image");
        expect(image?.outputs).toMatchObject({
            id: `${imageId}example/sonarr:1.0`,
            imageId,
            name: "example/sonarr:1.0",
            repoDigest: `example/sonarr@sha256:${"e".repeat(64)}`,
            keepLocally: true,
        });
    });

    test("the report: adopted, running outside the catalog, missing from the engine", () => {
        expect(result.adopted.map((c) => [c.container, c.imageMatches, c.composeProject])).toEqual([
            ["sonarr", false, "arr"],
            ["gluetun", false, "arr"],
            ["qbitrr", false, "arr"],
            ["qbittorrent", false, "arr"],
        ]);
        expect(result.unknown).toEqual([
            {
                endpoint: "unix:///var/run/docker.sock",
                container: "watchtower",
                image: "example/watchtower:1.0",
                running: true,
            },
        ]);
        expect(result.missing.map((m) => m.service)).toContain("traefik");
        expect(result.missing).toHaveLength(catalog.filter((e) => e.enabled !== false).length - 4);
        expect(result.report).toContain(
            "- watchtower (example/watchtower:1.0, running) on unix:///var/run/docker.sock",
        );
        expect(result.report).toContain("| sonarr | arr | docker-prod-01 | no: replaced by the pinned image | arr |");
        expect(result.report).toContain("the first `pulumi up` recreates each adopted compose container once");
    });

    test("a network that differs from the catalog is not imported, nor are the containers on it", () => {
        const engine = labEngine(settings);
        const compose = { "com.docker.compose.project": "torrent" };
        const differing = adopt("lab", {
            engines: [{ ...engine, networks: [network("proxy", { Attachable: true, Labels: compose })] }],
        });
        expect(differing.networks.find((n) => n.network === "proxy")).toEqual({
            resource: "hosts-docker-prod-01-proxy",
            network: "proxy",
            found: true,
            differences: ["labels com.docker.compose.project (catalog: none)", "attachable true (catalog: false)"],
        });
        expect(differing.docker.resources.filter((r) => r.type === "docker:index/network:Network")).toEqual([]);
        expect(differing.recreate).toEqual([
            { container: "sonarr", host: "docker-prod-01", networks: ["proxy"] },
            { container: "gluetun", host: "docker-prod-01", networks: ["proxy"] },
        ]);
        expect(differing.adopted.map((c) => c.container)).toEqual(["qbitrr", "qbittorrent"]);
        expect(differing.report).toContain("## To recreate instead of adopt (2)");
    });
});

describe("adoption on prod (one engine per host, the VMs by id)", () => {
    const settings = stackSettings("prod");
    const engines: EngineSnapshot[] = [
        {
            endpoint: "ssh://deploy@192.168.30.11",
            containers: [container("sonarr")],
            networks: [network("proxy")],
            images: [image],
        },
        {
            endpoint: "ssh://deploy@192.168.30.13",
            containers: [
                container("authentik-postgresql", {
                    NetworkSettings: { Networks: { "auth-internal": {} } },
                    HostConfig: { ...container("x").HostConfig, NetworkMode: "auth-internal" },
                }),
                container("beszel-agent"),
            ],
            networks: [network("proxy"), network("auth-internal", { Internal: true, Attachable: false })],
            images: [image],
        },
    ];
    let result: Adoption;
    beforeAll(() => {
        result = adopt("prod", { engines });
    });

    test("names, parents and providers are the ones the program registers, VMs included", () => {
        expectProgramResources(programs("prod"), "prod", result);
        expect(
            result.docker.resources.filter((r) => r.type === "docker:index/network:Network").map((r) => r.name),
        ).toEqual(["auth-internal", "hosts-auth-prod-01-proxy", "hosts-docker-prod-01-proxy"]);
        expect(result.adopted.map((c) => c.resource)).toEqual([
            "sonarr",
            "authentik-postgresql",
            "beszel-agent-auth-prod-01",
        ]);
    });

    test("Sonarr's entries: the program's types, names, parents and provider, its components imported first", () => {
        const sonarr = result.docker.resources.filter((r) => (r.logicalName ?? r.name).startsWith("sonarr"));
        expect(sonarr.map(({ inputs: _inputs, outputs: _outputs, ...entry }) => entry)).toEqual([
            {
                type: "docker:index/remoteImage:RemoteImage",
                name: "sonarr-image",
                id: `${imageId}example/sonarr:1.0`,
                parent: "ServiceContainer:sonarr",
                provider: "hosts-docker-prod-01",
                version: "5.2.0",
            },
            {
                type: "docker:index/container:Container",
                name: "Container:sonarr",
                logicalName: "sonarr",
                id: engines[0]?.containers[0]?.Id,
                parent: "ServiceContainer:sonarr",
                provider: "hosts-docker-prod-01",
                version: "5.2.0",
            },
        ]);
        expect(result.docker.nameTable?.["ServiceContainer:sonarr"]).toBe(
            "urn:pulumi:prod::homelab::homelab:stacks:ServiceStack$homelab:components:ServiceContainer::sonarr",
        );
        expect(result.components.resources.filter((r) => ["arr", "sonarr"].includes(r.logicalName ?? r.name))).toEqual([
            { type: "homelab:stacks:ServiceStack", name: "arr", component: true },
            {
                type: "homelab:components:ServiceContainer",
                name: "ServiceContainer:sonarr",
                logicalName: "sonarr",
                parent: "arr",
                component: true,
            },
        ]);
    });

    test("VMs: imported by <node>/<vmid> from config; the Proxmox API token never enters the file", () => {
        expect(result.vms.resources.filter((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy")).toEqual([
            expect.objectContaining({
                name: "machines-vms-docker-prod-01",
                id: "pve-prod-01/111",
                provider: "machines-proxmox",
            }),
            expect.objectContaining({ name: "machines-vms-auth-prod-01", id: "pve-prod-01/113" }),
            expect.objectContaining({ name: "machines-vms-immich-prod-01", id: "pve-prod-01/114" }),
        ]);
        // As the provider's SDK sends them (a boolean as JSON text), without the API token.
        expect(result.vms.resources.find((r) => r.name === "machines-proxmox")?.inputs).toEqual({
            endpoint: "https://192.168.30.5:8006/",
            insecure: "true",
        });
        expect(result.vms.nameTable).toEqual({
            machines: "urn:pulumi:prod::homelab::homelab:hosts:Machines::machines",
            "machines-vms": "urn:pulumi:prod::homelab::homelab:hosts:Machines$homelab:hosts:ProxmoxVms::machines-vms",
        });
        expect(result.report).toContain("- machines-vms-docker-prod-01: pve-prod-01/111");
    });

    test("a VM not marked adopt is the program's to create: it is left out", () => {
        const host = settings.hosts["docker-prod-01"];
        const vm = host?.vm;
        if (host === undefined || vm === undefined) throw new Error("prod declares docker-prod-01's VM");
        const fresh = {
            ...settings,
            hosts: { ...settings.hosts, "docker-prod-01": { ...host, vm: { ...vm, adopt: false } } },
        };
        const vms = adopt("prod", { settings: fresh, engines: [] }).vms;
        expect(vms.resources.filter((r) => r.type === "proxmoxve:index/vmLegacy:VmLegacy").map((r) => r.name)).toEqual([
            "machines-vms-auth-prod-01",
            "machines-vms-immich-prod-01",
        ]);
    });
});

describe("docker inspect → the provider's state", () => {
    test("Go durations, as the provider writes healthcheck timings", () => {
        expect([0, 500e6, 1.5e9, 30e9, 60e9, 90 * 60e9, 3600e9 + 1e9].map(goDuration)).toEqual([
            "0s",
            "500ms",
            "1.5s",
            "30s",
            "1m0s",
            "1h30m0s",
            "1h0m1s",
        ]);
    });

    test("what the image sets and what the daemon adds are left out; the rest is kept as configured", () => {
        const state = containerState(
            container("seerr", {
                HostConfig: {
                    ...container("seerr").HostConfig,
                    PortBindings: { "6881/udp": [{ HostIp: "", HostPort: "6881" }] },
                    CapAdd: ["NET_ADMIN"],
                    Devices: [
                        { PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm" },
                    ],
                    Init: true,
                },
                State: { Running: false },
            }),
            image,
            [],
        );
        expect(state).toMatchObject({
            envs: ["PUID=2000", "TZ=UTC"],
            labels: [{ label: "com.docker.compose.project", value: "arr" }],
            volumes: [
                expect.objectContaining({ hostPath: "/opt/appdata/seerr", containerPath: "/config", readOnly: false }),
                expect.objectContaining({ hostPath: "/data", containerPath: "/data", readOnly: true }),
            ],
            networksAdvanced: [expect.objectContaining({ name: "proxy", aliases: ["seerr"] })],
            ports: [{ internal: 6881, external: 6881, ip: "0.0.0.0", protocol: "udp" }],
            capabilities: { adds: ["NET_ADMIN"], drops: [] },
            devices: [{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun", permissions: "rwm" }],
            healthcheck: { tests: ["CMD", "true"], interval: "30s", timeout: "10s", startPeriod: "1m0s", retries: 3 },
            init: true,
            mustRun: false,
            shmSize: 64,
        });
    });
});

describe("the stack config the command reads", () => {
    test("bad config is one error naming the key, the value and what is allowed", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adopt-"));
        try {
            const file = path.join(dir, "Pulumi.x.yaml");
            fs.writeFileSync(file, "config:\n  homelab:domain: Not A Domain\n  homelab:other:\n    secure: v1:abc\n");
            expect(() => settingsOfStackFile(readStackFile(file))).toThrow(
                /homelab:domain: "Not A Domain" is not allowed; expected a bare lower-case domain/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

// The owner's `qm config <vmid>` outputs: 111 matches docker-prod-01's vm block in Pulumi.prod.yaml,
// 113 is auth-prod-01 with an untagged NIC (the block says vlan 30), and 114 (immich-prod-01) was
// never saved.
const qmFixtures = path.join(__dirname, "qm");
const qmText = (vmId: number): string => fs.readFileSync(path.join(qmFixtures, `${vmId}.conf`), "utf8");

describe("adopted VMs checked against the owner's `qm config` before `pulumi up`", () => {
    const settings = stackSettings("prod");
    const prod = (qm: QmConfigs | undefined, config = settings): Adoption =>
        adopt("prod", { settings: config, engines: [], qm });
    const qm = { dir: ".adopt/prod/qm", texts: readQmConfigs(qmFixtures, [111, 113, 114]) };
    let result: Adoption;
    beforeAll(() => {
        result = prod(qm);
    });
    const notChecked114: BlockingItem = {
        host: "immich-prod-01",
        subject: "pve-prod-01/114",
        what: "not checked",
        configured: "(the vm block)",
        real: "unknown",
        fix: "run `qm config 114` on pve-prod-01 and save its output to .adopt/prod/qm/114.conf, then run the adoption again",
    };

    test("qm config is read as Proxmox stores it: the NIC's bridge and tag, CPU, memory, disks", () => {
        expect([...readQmConfigs(qmFixtures, [111, 113, 114]).keys()]).toEqual([111, 113]);
        expect(readQmVm(qmText(111))).toEqual({
            name: "docker-prod-01",
            cores: 6,
            sockets: 1,
            cpuType: "host",
            memoryMb: 16384,
            agent: false,
            bios: "seabios",
            nics: [
                {
                    key: "net0",
                    model: "virtio",
                    bridge: "vmbr0",
                    tag: 30,
                    firewall: false,
                    raw: "virtio=BC:24:11:3A:01:11,bridge=vmbr0,tag=30",
                },
            ],
            // The cloud-init CD-ROM (ide2) is not a disk of the vm block.
            disks: [{ key: "scsi0", datastore: "local-lvm", size: "128G", sizeGib: 128 }],
        });
        expect(readQmVm(qmText(113))?.nics.map((n) => [n.bridge, n.tag])).toEqual([["vmbr0", undefined]]);
    });

    test("an untagged real NIC against vlan 30 and a VM without its file are blocking; a matching VM is not", () => {
        expect(result.blocking).toEqual([
            {
                host: "auth-prod-01",
                subject: "pve-prod-01/113",
                what: "net0 VLAN tag",
                configured: "30",
                real: "none (no tag=)",
                fix:
                    "remove `vlan` from homelab:hosts.auth-prod-01.vm.network in Pulumi.prod.yaml (the real NIC has no tag); " +
                    "or re-tag the NIC deliberately (`qm set 113 --net0 'virtio=BC:24:11:3A:01:13,bridge=vmbr0,tag=30'` on pve-prod-01), " +
                    "which moves the VM to another VLAN and cuts it off unless the switch and gateway carry that VLAN",
            },
            notChecked114,
        ]);
        expect(result.vmChecks).toEqual([
            { host: "docker-prod-01", vm: "pve-prod-01/111", result: "matches .adopt/prod/qm/111.conf" },
            { host: "auth-prod-01", vm: "pve-prod-01/113", result: "1 difference from .adopt/prod/qm/113.conf" },
            { host: "immich-prod-01", vm: "pve-prod-01/114", result: "not checked: no .adopt/prod/qm/114.conf" },
        ]);
    });

    test("the report opens with the blocking items: configured value, real value and fix", () => {
        const lines = result.report.split("\n");
        expect(lines.slice(0, 3)).toEqual(["# Adoption report: stack prod", "", "## Blocking before `pulumi up` (2)"]);
        expect(lines).toContain(
            "| auth-prod-01 (pve-prod-01/113) | net0 VLAN tag | 30 | none (no tag=) | remove `vlan` from homelab:hosts.auth-prod-01.vm.network in Pulumi.prod.yaml (the real NIC has no tag); " +
                "or re-tag the NIC deliberately (`qm set 113 --net0 'virtio=BC:24:11:3A:01:13,bridge=vmbr0,tag=30'` on pve-prod-01), " +
                "which moves the VM to another VLAN and cuts it off unless the switch and gateway carry that VLAN |",
        );
        expect(lines).toContain(
            "| immich-prod-01 (pve-prod-01/114) | not checked | (the vm block) | unknown | run `qm config 114` on pve-prod-01 and save its output to .adopt/prod/qm/114.conf, then run the adoption again |",
        );
        expect(lines).toContain(
            "- machines-vms-docker-prod-01: pve-prod-01/111 (qm config: matches .adopt/prod/qm/111.conf)",
        );
        expect(lines.indexOf("## Blocking before `pulumi up` (2)")).toBeLessThan(
            lines.findIndex((line) => line.startsWith("## Proxmox VMs")),
        );
    });

    test("taking the real value into the stack config clears the item: no vlan for an untagged NIC", () => {
        const host = settings.hosts["auth-prod-01"];
        const vm = host?.vm;
        if (host === undefined || vm === undefined) throw new Error("prod declares auth-prod-01's VM");
        const untagged = {
            ...settings,
            hosts: {
                ...settings.hosts,
                "auth-prod-01": { ...host, vm: { ...vm, network: { ...vm.network, vlan: undefined } } },
            },
        };
        expect(prod(qm, untagged).blocking).toEqual([notChecked114]);
    });

    test("without any qm config, every adopted VM is a blocking item", () => {
        expect(prod(undefined).blocking.map((item) => [item.host, item.what, item.fix])).toEqual([
            [
                "docker-prod-01",
                "not checked",
                "run `qm config 111` on pve-prod-01 and save its output to .adopt/prod/qm/111.conf, then run the adoption again",
            ],
            [
                "auth-prod-01",
                "not checked",
                "run `qm config 113` on pve-prod-01 and save its output to .adopt/prod/qm/113.conf, then run the adoption again",
            ],
            [
                "immich-prod-01",
                "not checked",
                "run `qm config 114` on pve-prod-01 and save its output to .adopt/prod/qm/114.conf, then run the adoption again",
            ],
        ]);
    });

    test("every other difference the program would apply in place is blocking too", () => {
        // docker-prod-01 as it might really be: a GUI-made VM with two sockets, a newer CPU type,
        // ballooned memory written in the 8.1 form, the agent on, UEFI, a smaller disk on another
        // storage, a firewalled e1000 NIC on another bridge, a second NIC and a second disk. The
        // snapshot section after it repeats the block's values and must not be read.
        const text = qmText(111)
            .replace("cores: 6", "cores: 3\nsockets: 2\nagent: enabled=1,fstrim_cloned_disks=1\nbios: ovmf")
            .replace("sockets: 1\n", "")
            .replace("cpu: host", "cpu: x86-64-v2-AES,flags=+aes")
            .replace("memory: 16384", "memory: current=8192")
            .replace("name: docker-prod-01", "name: docker")
            .replace(
                "local-lvm:vm-111-disk-0,discard=on,iothread=1,size=128G,ssd=1",
                "fast:vm-111-disk-0,size=100G\nscsi1: fast:vm-111-disk-1,size=512M",
            )
            .replace("virtio=BC:24:11:3A:01:11,bridge=vmbr0,tag=30", "e1000=BC:24:11:3A:01:11,bridge=vmbr1,firewall=1")
            .concat("net1: virtio=BC:24:11:3A:02:11,bridge=vmbr0,tag=40\n")
            .concat(`\n[before-upgrade]\n${qmText(111)}`);
        const differing = prod({ dir: "qm", texts: new Map([[111, text]]) }).blocking.filter(
            (item) => item.host === "docker-prod-01",
        );
        expect(differing.map((item) => [item.what, item.configured, item.real])).toEqual([
            ["name", "docker-prod-01 (the host key)", "docker"],
            ["cores", "6", "3"],
            ["sockets", "1 (the vm block has no sockets; the provider's default)", "2"],
            ["CPU type", "host", "x86-64-v2-AES"],
            ["memory (MiB)", "16384", "8192"],
            ["QEMU guest agent", "off", "on"],
            ["firmware (bios)", "seabios (the vm block has no bios; the provider's default)", "ovmf"],
            ["disk 0 (scsi0) datastore", "local-lvm", "fast"],
            ["disk 0 (scsi0) size", "128 GiB", "100 GiB (size=100G)"],
            ["disk scsi1", "none (disks lists 1: scsi0)", "fast, 0.5 GiB"],
            ["net0 model", "virtio (the program's only model)", "e1000"],
            ["net0 bridge", "vmbr0", "vmbr1"],
            ["net0 VLAN tag", "30", "none (no tag=)"],
            ["net0 firewall", "off (the vm block has no firewall; the provider's default)", "on (firewall=1)"],
            ["net1", "none (the program declares net0 only)", "virtio, bridge vmbr0, VLAN tag 40"],
        ]);
        expect(differing.find((item) => item.what === "memory (MiB)")?.fix).toBe(
            "set `memoryMb: 8192` under homelab:hosts.docker-prod-01.vm in Pulumi.prod.yaml; " +
                "or change the VM deliberately (`qm set 111 --memory 16384` on pve-prod-01)",
        );
        expect(differing.find((item) => item.what === "net0 firewall")?.fix).toContain(
            "`qm set 111 --net0 'e1000=BC:24:11:3A:01:11,bridge=vmbr1'` on pve-prod-01",
        );
    });

    test("a file that is not a qm config output is not a check", () => {
        const error = "Configuration file 'nodes/pve-prod-01/qemu-server/111.conf' does not exist\n";
        expect(prod({ dir: "qm", texts: new Map([[111, error]]) }).blocking[0]).toEqual({
            host: "docker-prod-01",
            subject: "pve-prod-01/111",
            what: "not checked",
            configured: "(the vm block)",
            real: "qm/111.conf is not a `qm config` output",
            fix: "run `qm config 111` on pve-prod-01 and save its output to qm/111.conf, then run the adoption again",
        });
    });

    test("a VM not marked adopt is the program's to create: no file is needed, a saved one is still compared", () => {
        const host = settings.hosts["auth-prod-01"];
        const vm = host?.vm;
        if (host === undefined || vm === undefined) throw new Error("prod declares auth-prod-01's VM");
        const imported = {
            ...settings,
            hosts: { ...settings.hosts, "auth-prod-01": { ...host, vm: { ...vm, adopt: false } } },
        };
        expect(prod(qm, imported).blocking.map((item) => [item.host, item.what])).toEqual([
            ["auth-prod-01", "net0 VLAN tag"],
            ["immich-prod-01", "not checked"],
        ]);
        expect(prod({ dir: "qm", texts: new Map() }, imported).blocking.map((item) => item.host)).toEqual([
            "docker-prod-01",
            "immich-prod-01",
        ]);
    });
});

describe("npm run adopt: files first, then exit 1 naming the report when anything blocks", () => {
    const empty = (endpoint: string): EngineSnapshot => ({ endpoint, containers: [], networks: [], images: [] });
    const endpoints: string[] = [];
    const sources: Partial<Sources> = {
        readEngine: (endpoint) => {
            endpoints.push(endpoint);
            return empty(endpoint);
        },
        // The command's own run of index.ts, in a module registry of its own as jest needs.
        recordProgram: async (stack, config) => {
            if (stack !== "prod" && stack !== "lab") throw new Error(`no stack ${stack}`);
            return (await loadProgram(stack, { config })).resources;
        },
    };
    let out: string;
    let errors: string[];
    beforeEach(() => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "adopt-out-"));
        errors = [];
        endpoints.length = 0;
        jest.spyOn(console, "log").mockImplementation(() => undefined);
        jest.spyOn(console, "error").mockImplementation((line: string) => {
            errors.push(line);
        });
    });
    afterEach(() => {
        jest.restoreAllMocks();
        fs.rmSync(out, { recursive: true, force: true });
    });

    test("prod with the fixtures: every file is written, the report opens with the blocking items, exit 1", async () => {
        const run = await main(["--stack", "prod", "--out", out, "--qm-config", qmFixtures], sources);
        expect(run.exitCode).toBe(1);
        // Each engine the program's Docker providers connect to, once.
        expect(endpoints).toEqual([
            "ssh://deploy@192.168.30.13",
            "ssh://deploy@192.168.30.11",
            "ssh://deploy@192.168.30.14",
            "ssh://root@192.168.30.12",
        ]);
        expect(fs.readdirSync(out).sort()).toEqual(["1-components.json", "2-vms.json", "3-docker.json", "report.md"]);
        const report = fs.readFileSync(path.join(out, "report.md"), "utf8");
        expect(report.split("\n").slice(0, 3)).toEqual([
            "# Adoption report: stack prod",
            "",
            "## Blocking before `pulumi up` (2)",
        ]);
        expect(report).toContain("save its output to tests/day2/qm/114.conf");
        expect(errors).toEqual([
            `adopt: 2 blocking items before \`pulumi up\`: see "Blocking before \`pulumi up\`" in ${path.join(out, "report.md")}`,
        ]);
    });

    test("the lab has no VM: nothing blocks and the command exits 0", async () => {
        const run = await main(["--stack", "lab", "--out", out], sources);
        expect(run.exitCode).toBe(0);
        expect(endpoints).toEqual(["unix:///var/run/docker.sock"]);
        expect(errors).toEqual([]);
        expect(fs.readFileSync(path.join(out, "report.md"), "utf8")).toContain(
            "## Blocking before `pulumi up` (0)\n\nNone: every VM checked matches its `vm` block, and every image volume has its mount.",
        );
    });
});
