import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { imageRef, type ServiceEntry } from "../../catalog/types";
import { standInEndpoint } from "../../components/offline";
import { baseScript } from "../../hosts/bootstrap-scripts";
import { fleetLayout, fleetSettings, fleetStackConfig } from "../../offline-toolchain/fleet/layout";
import { everyHost, hostNames, type HostName } from "../../topology";
import { repoRoot } from "../helpers/program";
import { EngineClient, labSecretKeys, labStack, projectCopy, stillRunning, killUpMidRun, suiteWorkDir } from "./engine";

/**
 * Production's shape on one machine (offline-toolchain/fleet/): four hosts, each a network
 * namespace with its own Docker engine and sshd, reached as ssh://deploy@<address> exactly as prod
 * reaches its hosts. The lifecycle and the host faults run there; every container is read back
 * from its own host's engine, not from Pulumi.
 */

interface FleetHost {
    address: string;
    dockerHost: string;
    socket: string;
    appdata: string;
    data: string;
    bootstrapScript: string;
    bootstrapLog: string;
}
interface Fleet {
    path: string;
    nasData: string;
    stacks: string;
    exports: { key: string; source: string; target: string }[];
    hosts: Record<HostName, FleetHost>;
}

const services = catalog.filter((entry) => entry.enabled !== false);
const traefik = services.find((entry) => entry.name === "traefik") as ServiceEntry;
const standIn = { v1: "homelab-standin:v1", v2: "homelab-standin:v2" };
// Short: the engines' sockets live below it (108-byte limit); traversable by the deploy user.
const work = suiteWorkDir("/tmp/hl-fleet-");
fs.chmodSync(work, 0o711);
const fleetScript = path.join(repoRoot, "offline-toolchain/fleet/fleet.sh");
/** The paths the fleet stack is given for this work dir (the program's view of fleet.sh's layout). */
const layout = fleetLayout(work);

let fleet: Fleet;
let engines: Record<HostName, EngineClient>;
let stack: Stack;
let project: string;

const fleetCommand = (...args: string[]): string =>
    execFileSync("bash", [fleetScript, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

/** Where the program places each entry: its host, or every host for an every-host entry. */
const hostsOf = (entry: ServiceEntry): HostName[] => (entry.host === everyHost ? [...hostNames] : [entry.host]);

function fleetConfig(
    images: Record<string, string> = {},
    standInImage = standIn.v1,
): Record<string, { value: string }> {
    const config = fleetStackConfig(layout);
    const hosts = config["homelab:hosts"] as Record<string, Record<string, unknown>>;
    for (const name of hostNames) hosts[name] = { ...hosts[name], address: fleet.hosts[name].address };
    return {
        "homelab:hosts": { value: JSON.stringify(hosts) },
        "homelab:storage": { value: JSON.stringify(config["homelab:storage"]) },
        "homelab:offline": { value: JSON.stringify({ standInImage, keep: ["traefik"], images }) },
    };
}

/** Container name → id on each host's own engine. */
function containersByHost(): Record<HostName, Record<string, string>> {
    return Object.fromEntries(
        hostNames.map((name) => {
            const engine = engines[name];
            return [
                name,
                Object.fromEntries(engine.containersWithLabel("homelab.service").map((c) => [c, engine.inspect(c).Id])),
            ];
        }),
    ) as Record<HostName, Record<string, string>>;
}

async function plannedChanges(): Promise<string[]> {
    const events: EngineEvent[] = [];
    await stack.preview({ onEvent: (event) => events.push(event) });
    return events.flatMap((event) => {
        const metadata = event.resourcePreEvent?.metadata;
        return metadata === undefined || metadata.op === "same"
            ? []
            : [`${metadata.op} ${metadata.urn.split("::").pop() ?? ""}`];
    });
}

beforeAll(async () => {
    fleet = JSON.parse(fleetCommand("up", work)) as Fleet;
    // The test reads each engine through its own socket; Pulumi reaches it over SSH.
    engines = Object.fromEntries(hostNames.map((name) => [name, new EngineClient(fleet.hosts[name].socket)])) as Record<
        HostName,
        EngineClient
    >;
    // Each engine starts empty: the images go in through its local socket, as a registry pull would.
    for (const name of hostNames) {
        engines[name].buildStandIn(standIn.v1, "v1");
        engines[name].buildStandIn(standIn.v2, "v2");
    }
    engines["docker-prod-01"].buildTraefik(imageRef(traefik.image));
    project = projectCopy();
    stack = await labStack(project, work, { stack: "fleet", env: { PATH: `${fleet.path}:${process.env.PATH ?? ""}` } });
    await stack.setAllConfig(fleetConfig());
    for (const key of labSecretKeys("fleet"))
        await stack.setConfig(`homelab:${key}`, { value: `it-${key}`, secret: true });
});

afterAll(() => {
    // down fails unless nothing (no NAS mount, no engine) is left below the work dir.
    fleetCommand("down", work);
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
});

test("each host was prepared by the bootstrap script the program generates, skipping only what cannot run here", () => {
    const settings = fleetSettings(layout);
    for (const name of hostNames) {
        const host = fleet.hosts[name];
        // The script that ran is the program's, for this host and these paths (not a copy).
        expect({ host: name, script: fs.readFileSync(host.bootstrapScript, "utf8") }).toEqual({
            host: name,
            script: baseScript(name, "deploy", settings),
        });
        expect({ host: name, log: fs.readFileSync(host.bootstrapLog, "utf8") }).toEqual({
            host: name,
            log: "bootstrap: skipped packages (HOMELAB_BOOTSTRAP_SKIP)\n",
        });
    }
    // What it made, read from the machine: the service identity, the deploy user's docker group, the directories.
    const getent = (db: string, key: string): string[] =>
        execFileSync("getent", [db, key], { encoding: "utf8" }).trim().split(":");
    const [, , uid, gid] = getent("passwd", "2000");
    expect([uid, gid]).toEqual(["2000", "2000"]);
    expect(getent("group", "2000")[2]).toBe("2000");
    expect(execFileSync("id", ["-nG", "deploy"], { encoding: "utf8" }).trim().split(" ")).toContain("docker");
    const owned = (dir: string): string => {
        const stat = fs.statSync(dir);
        return `${dir} ${stat.uid}:${stat.gid} ${(stat.mode & 0o777).toString(8)}`;
    };
    const dirs = [path.join(work, "stacks"), ...hostNames.map((name) => fleet.hosts[name].appdata)];
    expect(dirs.map(owned)).toEqual(dirs.map((dir) => `${dir} 2000:2000 755`));
    // fleet.sh and the stack's config agree on every path.
    expect(fleet.stacks).toBe(layout.storage.stacks);
    expect(fleet.exports).toEqual(layout.exports);
    for (const name of hostNames) {
        expect({ host: name, appdata: fleet.hosts[name].appdata, data: fleet.hosts[name].data }).toEqual({
            host: name,
            appdata: layout.hosts[name].appdata,
            data: layout.hosts[name].data,
        });
    }
});

test("up from empty puts every container on its own host's engine, reached over SSH", async () => {
    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const byHost = containersByHost();
    for (const name of hostNames) {
        const expected = services.filter((entry) => hostsOf(entry).includes(name)).map((entry) => entry.name);
        expect({ host: name, containers: Object.keys(byHost[name]).sort() }).toEqual({
            host: name,
            containers: expected.sort(),
        });
    }
    const torrent = engines["docker-prod-01"];
    const gluetun = torrent.inspect("gluetun").Id;
    for (const tenant of ["qbittorrent", "qbitrr"]) {
        expect(torrent.inspect(tenant).HostConfig.NetworkMode).toBe(`container:${gluetun}`);
    }
    expect(engines["nas-prod-01"].inspect("plex").HostConfig.NetworkMode).toBe("host");
});

test("a second preview plans nothing and refresh finds no drift, over SSH", async () => {
    expect(await plannedChanges()).toEqual([]);
    const refresh = await stack.refresh({ onOutput: () => undefined });
    expect(Object.keys(refresh.summary.resourceChanges ?? {}).filter((op) => op !== "same")).toEqual([]);
});

test("the NAS's exports are separate mounts: a hardlink works inside the data export and fails with EXDEV across exports", () => {
    for (const { target } of layout.exports) {
        expect({ target, mounted: spawnSync("mountpoint", ["-q", target]).status }).toEqual({ target, mounted: 0 });
    }
    const torrent = engines["docker-prod-01"];
    const file = ".fleet-hardlink";
    const exec = (container: string, command: string): { status: number | null; stderr: string } => {
        const result = spawnSync("docker", ["exec", "-u", "2000:2000", container, "sh", "-c", command], {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: torrent.dockerHost },
        });
        return { status: result.status, stderr: result.stderr.trim() };
    };
    try {
        // qBittorrent writes the download; Sonarr imports it as the arr apps do, with a hardlink.
        expect(exec("qbittorrent", `echo fleet >/data/downloads/${file}`)).toEqual({ status: 0, stderr: "" });
        expect(exec("sonarr", `ln /data/downloads/${file} /data/media/${file}`)).toEqual({ status: 0, stderr: "" });
        for (const other of ["photos", "backups"]) {
            const across = exec("sonarr", `ln /data/downloads/${file} /data/${other}/${file}`);
            expect({ other, status: across.status === 0 ? "linked" : "failed", stderr: across.stderr }).toEqual({
                other,
                status: "failed",
                stderr: `ln: /data/${other}/${file}: Invalid cross-device link`,
            });
        }
        // The NAS's own view of the share: one file, two names.
        const download = fs.statSync(path.join(fleet.nasData, "downloads", file));
        const imported = fs.statSync(path.join(fleet.nasData, "media", file));
        expect({ same: download.ino === imported.ino, links: download.nlink }).toEqual({ same: true, links: 2 });
        // And on the VMs' data path from outside any container: link(2) across two exports is EXDEV.
        const data = layout.hosts["docker-prod-01"].data;
        let code = "linked";
        try {
            fs.linkSync(path.join(data, "downloads", file), path.join(data, "photos", file));
        } catch (error) {
            code = (error as NodeJS.ErrnoException).code ?? String(error);
        }
        expect(code).toBe("EXDEV");
    } finally {
        for (const dir of ["downloads", "media", "photos", "backups"]) {
            fs.rmSync(path.join(fleet.nasData, dir, file), { force: true });
        }
    }
});

/** GET through Traefik on docker-prod-01's address, resolving the URL's host there. */
function viaTraefik(url: string): { status: number; body: string } {
    const { hostname } = new URL(url);
    const result = spawnSync(
        "curl",
        [
            "-sk",
            "--max-time",
            "5",
            "--resolve",
            `${hostname}:443:${fleet.hosts["docker-prod-01"].address}`,
            "-w",
            "\n%{http_code}",
            url,
        ],
        { encoding: "utf8" },
    );
    const lines = result.stdout.trimEnd().split("\n");
    return { status: Number(lines.pop()), body: lines.join("\n") };
}

test("every URL answers through Traefik on docker-prod-01, across hosts, with forward-auth on the auth host", async () => {
    const routes = fs.readFileSync(
        path.join(fleet.hosts["docker-prod-01"].appdata, "traefik/dynamic/homelab.yml"),
        "utf8",
    );
    expect(routes).toContain(
        `"address": "http://${fleet.hosts["auth-prod-01"].address}:9000/outpost.goauthentik.io/auth/traefik"`,
    );
    const urls = (await stack.outputs()).urls?.value as Record<string, string>;
    for (const [name, url] of Object.entries(urls)) {
        const entry = services.find((candidate) => candidate.name === name) as ServiceEntry;
        const [probe, expected] =
            name === "traefik" ? ["/api/version", "3.7"] : [standInEndpoint(entry).path, "standin"];
        let answer = viaTraefik(`${url}${probe}`);
        for (let attempt = 0; attempt < 90 && answer.status !== 200; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            answer = viaTraefik(`${url}${probe}`);
        }
        expect({ name, host: entry.host, status: answer.status }).toEqual({ name, host: entry.host, status: 200 });
        expect(answer.body).toContain(expected);
    }
});

test("an Authentik image change replaces only the auth host's containers that run it", async () => {
    const before = containersByHost();
    await stack.setAllConfig(fleetConfig({ "authentik-server": standIn.v2, "authentik-worker": standIn.v2 }));
    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const after = containersByHost();
    const changed = hostNames.flatMap((host) =>
        Object.keys(after[host])
            .filter((name) => after[host][name] !== before[host][name])
            .map((name) => `${host}/${name}`),
    );
    expect(changed.sort()).toEqual(["auth-prod-01/authentik-server", "auth-prod-01/authentik-worker"]);
});

/** Every appdata marker the stand-ins wrote, with its owner: what a fault must not lose. */
function markers(): string[] {
    return hostNames.flatMap((host) => {
        const root = fleet.hosts[host].appdata;
        const found: string[] = [];
        const walk = (dir: string): void => {
            for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
                const full = path.join(dir, item.name);
                if (item.isDirectory()) walk(full);
                else if (item.name.startsWith(".homelab-marker-"))
                    found.push(`${path.relative(root, full)} ${fs.statSync(full).uid}`);
            }
        };
        walk(root);
        return found.map((marker) => `${host}/${marker}`);
    });
}

async function convergesToNothing(): Promise<void> {
    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    expect(await plannedChanges()).toEqual([]);
}

test("a host's engine killed and started again: its containers come back by their restart policy", async () => {
    const kept = markers();
    expect(kept.length).toBeGreaterThan(10);
    const host = "immich-prod-01";
    const names = Object.keys(containersByHost()[host]);
    fleetCommand("kill-engine", work, host);
    fleetCommand("start-engine", work, host);
    let running: string[] = [];
    for (let attempt = 0; attempt < 60; attempt++) {
        running = names.filter((name) => engines[host].inspect(name).State.Running);
        if (running.length === names.length) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(running.sort()).toEqual(names.sort());
    const refresh = await stack.refresh({ onOutput: () => undefined });
    expect(Object.keys(refresh.summary.resourceChanges ?? {}).filter((op) => op !== "same")).toEqual([]);
    await convergesToNothing();
    expect(markers()).toEqual(kept);
});

test("an unreachable host fails preview and up, naming it, and touches no other host", async () => {
    const before = containersByHost();
    fleetCommand("stop-ssh", work, "auth-prod-01");
    try {
        const started = Date.now();
        const preview = await stack.preview().then(
            () => "",
            (error: unknown) => String(error),
        );
        expect(preview).toContain(
            `homelab:hosts.auth-prod-01: the Docker engine at ssh://deploy@${fleet.hosts["auth-prod-01"].address} does not answer`,
        );
        const up = await stack.up({ onOutput: () => undefined }).then(
            () => "",
            (error: unknown) => String(error),
        );
        expect(up).toContain("homelab:hosts.auth-prod-01: the Docker engine");
        console.log(`unreachable host: preview and up failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        const after = containersByHost();
        for (const host of hostNames.filter((name) => name !== "auth-prod-01")) {
            expect({ host, containers: after[host] }).toEqual({ host, containers: before[host] });
        }
    } finally {
        fleetCommand("start-ssh", work, "auth-prod-01");
    }
    await convergesToNothing();
});

test("an up killed mid-run across hosts recovers, and leaves no process of the killed run", async () => {
    const kept = markers();
    // Every stand-in changes image: a long run across all four hosts to interrupt.
    await stack.setAllConfig(fleetConfig({}, standIn.v2));
    const killed = await killUpMidRun(stack, project);
    // The project's own language host exits with its engine; nothing of the killed run is left.
    expect(killed.languageHost).toHaveLength(1);
    expect(killed.outlived.filter((info) => info.command.includes("pulumi-language-nodejs"))).toEqual([]);
    expect(stillRunning(killed.started)).toEqual([]);

    await convergesToNothing();
    const byHost = containersByHost();
    for (const name of hostNames) {
        const expected = services.filter((entry) => hostsOf(entry).includes(name)).map((entry) => entry.name);
        expect(Object.keys(byHost[name]).sort()).toEqual(expected.sort());
    }
    expect(markers()).toEqual(kept);
});

test("destroy removes every container and network on all four engines and keeps appdata", async () => {
    const kept = markers();
    await stack.destroy({ onOutput: () => undefined });
    for (const name of hostNames) {
        expect({ host: name, containers: engines[name].containersWithLabel("homelab.service") }).toEqual({
            host: name,
            containers: [],
        });
        const networks = engines[name].docker("network", "ls", "--format", "{{.Name}}").split("\n");
        expect({
            host: name,
            networks: networks.filter((n) => ["proxy", "tunnel"].includes(n) || n.endsWith("-internal")),
        }).toEqual({
            host: name,
            networks: [],
        });
    }
    expect(markers()).toEqual(kept);
});
