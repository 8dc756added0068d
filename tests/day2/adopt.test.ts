import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import type { Settings } from "../../config/schema";
import {
    adoption,
    containerState,
    goDuration,
    readSettings,
    secretPlaceholder,
    type Adoption,
    type ContainerInspect,
    type EngineSnapshot,
    type ImageInspect,
    type ImportFile,
    type NetworkInspect,
} from "../../scripts/adopt";
import { loadProgram, repoRoot, stackSettings, type Program, type RecordedResource } from "../helpers/program";

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
    const result = adoption({
        stack: "lab",
        project: "homelab",
        settings,
        services: catalog,
        engines: [labEngine(settings)],
        plugins,
    });
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("lab");
    });

    test("names, parents and providers are the ones the program registers", () => {
        expectProgramResources(program, "lab", result);
        const docker = result.docker.resources;
        expect(docker.filter((r) => r.type === "docker:index/container:Container").map((r) => r.logicalName)).toEqual([
            "sonarr",
            "gluetun",
            "qbittorrent",
            "qbitrr",
        ]);
        expect(docker.find((r) => r.type === "docker:index/network:Network")).toMatchObject({
            logicalName: "hosts-docker-prod-01-proxy",
            id: "net-proxy",
        });
        expect(docker.find((r) => r.type === "pulumi:providers:docker")).toEqual({
            type: "pulumi:providers:docker",
            name: "hosts-docker-prod-01",
            parent: "hosts",
            version: "5.2.0",
            inputs: { host: "unix:///var/run/docker.sock" },
        });
    });

    test("components come first, in a file of their own: the other files name them by URN", () => {
        expect(result.components.resources.every((r) => r.component === true && r.id === undefined)).toBe(true);
        expect(result.docker.nameTable).toMatchObject({
            hosts: "urn:pulumi:lab::homelab::homelab:hosts:DockerHosts::hosts",
            "service:gluetun":
                "urn:pulumi:lab::homelab::homelab:stacks:Torrent$homelab:components:ServiceContainer::gluetun",
        });
        expect(result.vms.resources).toEqual([]);
    });

    test("each container's state comes from docker inspect, never with a secret's value", () => {
        const gluetun = result.docker.resources.find((r) => r.logicalName === "gluetun");
        expect(gluetun?.id).toBe(labEngine(settings).containers[1]?.Id);
        expect(gluetun?.outputs?.envs).toEqual(["VPN_TYPE=wireguard", `WIREGUARD_PRIVATE_KEY=${secretPlaceholder}`]);
        expect(JSON.stringify([result.components, result.vms, result.docker])).not.toContain("very-secret-key");
        const image = result.docker.resources.find((r) => r.logicalName === "sonarr-image");
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
            ["qbittorrent", false, "arr"],
            ["qbitrr", false, "arr"],
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
        const differing = adoption({
            stack: "lab",
            project: "homelab",
            settings,
            services: catalog,
            engines: [{ ...engine, networks: [network("proxy", { Attachable: true, Labels: compose })] }],
            plugins,
        });
        expect(differing.networks[0]).toEqual({
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
        expect(differing.adopted.map((c) => c.container)).toEqual(["qbittorrent", "qbitrr"]);
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
    const result = adoption({ stack: "prod", project: "homelab", settings, services: catalog, engines, plugins });
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("prod");
    });

    test("names, parents and providers are the ones the program registers, VMs included", () => {
        expectProgramResources(program, "prod", result);
        expect(
            result.docker.resources.filter((r) => r.type === "docker:index/network:Network").map((r) => r.logicalName),
        ).toEqual(["hosts-docker-prod-01-proxy", "hosts-auth-prod-01-proxy", "auth-internal"]);
        expect(result.adopted.map((c) => c.resource)).toEqual([
            "authentik-postgresql",
            "sonarr",
            "beszel-agent-auth-prod-01",
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
        expect(result.vms.resources.find((r) => r.name === "machines-proxmox")?.inputs).toEqual({
            endpoint: "https://192.168.30.5:8006/",
            insecure: true,
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
        const vms = adoption({
            stack: "prod",
            project: "homelab",
            settings: fresh,
            services: catalog,
            engines: [],
            plugins,
        }).vms;
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
    test("Pulumi.prod.yaml gives the settings the program sees", () => {
        expect(readSettings(path.join(repoRoot, "Pulumi.prod.yaml"))).toEqual(stackSettings("prod"));
    });

    test("bad config is one error naming the key, the value and what is allowed", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adopt-"));
        try {
            const file = path.join(dir, "Pulumi.x.yaml");
            fs.writeFileSync(file, "config:\n  homelab:domain: Not A Domain\n  homelab:other:\n    secure: v1:abc\n");
            expect(() => readSettings(file)).toThrow(
                /homelab:domain: "Not A Domain" is not allowed; expected a bare lower-case domain/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
