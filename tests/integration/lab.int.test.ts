import { type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { catalog } from "../../catalog";
import { imageRef, type ServiceEntry } from "../../catalog/types";
import { everyHost } from "../../topology";
import { runtimeImage, standInEndpoint } from "../../components/offline";
import { stackSettings } from "../helpers/program";
import {
    labSecretKeys,
    labStack,
    projectCopy,
    stillRunning,
    TestEngine,
    killUpMidRun,
    suiteWorkDir,
    type ImageInfo,
} from "./engine";

/**
 * The lab stack converged by the real Pulumi engine and Docker provider on a Docker engine this
 * test starts (ProgramTest's lifecycle): up from empty, a no-op preview and refresh, the blast
 * radius of one image change, an interrupted up and its recovery, destroy.
 */

const services = catalog.filter((entry) => entry.enabled !== false);
const traefik = services.find((entry) => entry.name === "traefik") as ServiceEntry;
const containerType = "docker:index/container:Container";
const work = suiteWorkDir(path.join(os.tmpdir(), "homelab-it-"));
const lab = { appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: `${work}/data` };
const standIn = { v1: "homelab-standin:v1", v2: "homelab-standin:v2" };

let engine: TestEngine;
let stack: Stack;
let project: string;

function labConfig(offline: Record<string, unknown>): Record<string, { value: string; secret?: boolean }> {
    const hosts = Object.fromEntries(
        Object.entries(stackSettings("lab").hosts).map(([name, host]) => [
            name,
            { ...host, dockerHost: engine.dockerHost, hostNetwork: false },
        ]),
    );
    return {
        "homelab:hosts": { value: JSON.stringify(hosts) },
        "homelab:storage": { value: JSON.stringify(lab) },
        "homelab:offline": { value: JSON.stringify({ standInImage: standIn.v1, keep: ["traefik"], ...offline }) },
    };
}

const labSecrets = labSecretKeys();

/** Containers the engine plans to replace or create, by container resource name. */
async function plannedContainerChanges(): Promise<Record<string, string[]>> {
    const events: EngineEvent[] = [];
    await stack.preview({ onEvent: (event) => events.push(event) });
    const changes: Record<string, string[]> = {};
    for (const event of events) {
        const metadata = event.resourcePreEvent?.metadata;
        // A replace also reports its create-replacement and delete-replaced steps; count it once.
        if (
            metadata?.type !== containerType ||
            ["same", "create-replacement", "delete-replaced"].includes(metadata.op)
        ) {
            continue;
        }
        const name = metadata.urn.split("::").pop() ?? "";
        (changes[metadata.op] ??= []).push(name);
    }
    for (const names of Object.values(changes)) names.sort();
    return changes;
}

function containerIds(): Record<string, string> {
    const names = engine.containersWithLabel("homelab.service");
    return Object.fromEntries(names.map((name) => [name, engine.inspect(name).Id]));
}

beforeAll(async () => {
    engine = new TestEngine(path.join(work, "engine"));
    engine.buildStandIn(standIn.v1, "v1");
    engine.buildStandIn(standIn.v2, "v2");
    engine.buildTraefik(imageRef(traefik.image));
    project = projectCopy();
    stack = await labStack(project, work);
    await stack.setAllConfig(labConfig({}));
    for (const key of labSecrets) await stack.setConfig(`homelab:${key}`, { value: `it-${key}`, secret: true });
});

afterAll(() => {
    engine.stop();
    // The project copy only (the work dir keeps the state and engine logs for a failed run).
    fs.rmSync(project, { recursive: true, force: true });
});

test("up from empty state runs every catalog container as declared", async () => {
    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const settings = stackSettings("lab");
    const names = engine.containersWithLabel("homelab.service");
    expect(names).toEqual(services.map((entry) => entry.name).sort());

    for (const entry of services) {
        const info = engine.inspect(entry.name);
        expect(info.State.Running).toBe(true);
        expect(info.Name).toBe(`/${entry.name}`);
        expect(info.HostConfig.RestartPolicy.Name).toBe("unless-stopped");
        expect(info.HostConfig.LogConfig).toEqual({
            Type: "json-file",
            Config: { "max-file": "3", "max-size": "10m" },
        });
        expect(info.Config.Labels).toMatchObject({ "homelab.service": entry.name, "homelab.stack": entry.stack });
        if (entry.user.kind === "user") expect(info.Config.User).toBe("2000:2000");
        if (entry.user.kind === "puid")
            expect(info.Config.Env).toEqual(expect.arrayContaining(["PUID=2000", "PGID=2000"]));
        if (entry.route && entry.host === "docker-prod-01") {
            expect(info.Config.Labels[`traefik.http.routers.${entry.name}.rule`]).toBe(
                `Host(\`${entry.route.subdomain}.${settings.domain}\`)`,
            );
        }
        for (const mount of entry.mounts) {
            if (mount.from === "appdata") {
                const source = [lab.appdata, mount.of ?? entry.name, mount.sub].filter(Boolean).join("/");
                expect(info.Mounts).toContainEqual(
                    expect.objectContaining({ Source: source, Destination: mount.target }),
                );
            }
        }
        if (entry.networking.mode === "bridge") {
            const expected = [
                ...(entry.networking.proxy ? ["proxy"] : []),
                ...(entry.networking.internal ? [`${entry.stack}-internal`] : []),
                ...(entry.networking.tunnel === undefined ? [] : ["tunnel"]),
            ];
            expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual(expected.sort());
        }
    }
    const gluetun = engine.inspect("gluetun");
    for (const tenant of ["qbittorrent", "qbitrr"]) {
        expect(engine.inspect(tenant).HostConfig.NetworkMode).toBe(`container:${gluetun.Id}`);
    }
    // Every-host services run once per engine: all lab hosts share one.
    expect(
        services.filter((entry) => entry.host === everyHost).map((entry) => engine.inspect(entry.name).State.Running),
    ).toEqual([true]);
});

/** Waits until no container with a healthcheck is still starting; returns each one's health. */
async function settledHealth(): Promise<Record<string, string>> {
    let health: Record<string, string> = {};
    for (let attempt = 0; attempt < 120; attempt++) {
        health = Object.fromEntries(
            engine
                .containersWithLabel("homelab.service")
                .map((name) => [name, engine.inspect(name).State.Health?.Status ?? "none"]),
        );
        if (!Object.values(health).includes("starting")) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return health;
}

test("every service can write its mounts as its own user, importers hardlink, nothing is unhealthy", async () => {
    const health = await settledHealth();
    expect(Object.entries(health).filter(([, status]) => status !== "healthy" && status !== "none")).toEqual([]);

    for (const entry of services) {
        const info = engine.inspect(entry.name);
        // The user the service writes as, read from what the engine runs, not from the program.
        const writeAs = info.Config.Env.find((variable) => variable.startsWith("STANDIN_WRITE_AS="))?.split("=")[1];
        const uid = Number((info.Config.User || writeAs || "0").split(":")[0]);
        if (entry.user.kind !== "exception")
            expect({ service: entry.name, uid }).toEqual({ service: entry.name, uid: 2000 });
        // Traefik runs its real image here: only a stand-in writes markers.
        if (!info.Config.Env.includes(`STANDIN_SERVICE=${entry.name}`)) continue;
        const writable = info.Mounts.filter((mount) => mount.RW && fs.statSync(mount.Source).isDirectory());
        if (entry.mounts.some((mount) => mount.from !== "docker-socket")) expect(writable.length).toBeGreaterThan(0);
        for (const mount of writable) {
            const marker = path.join(mount.Source, `.homelab-marker-${entry.name}`);
            expect({ marker, exists: fs.existsSync(marker) }).toEqual({ marker, exists: true });
            expect({ marker, uid: fs.statSync(marker).uid }).toEqual({ marker, uid });
        }
    }
    for (const entry of services.filter((candidate) => candidate.hardlinks !== undefined)) {
        const download = fs.statSync(path.join(lab.data, "downloads", ".homelab-link", entry.name));
        const imported = fs.statSync(path.join(lab.data, "media", ".homelab-link", entry.name));
        expect({ service: entry.name, sameFile: download.ino === imported.ino, links: download.nlink }).toEqual({
            service: entry.name,
            sameFile: true,
            links: 2,
        });
    }
});

test("the stand-in turns unhealthy when downloads and media are two mounts (what a split NFS layout does)", async () => {
    const split = path.join(work, "split");
    for (const dir of ["downloads", "media"]) fs.mkdirSync(path.join(split, dir), { recursive: true });
    engine.docker(
        "run",
        "-d",
        "--name",
        "split-layout",
        "--health-cmd",
        "probe",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "-e",
        "STANDIN_SERVICE=split",
        "-e",
        "STANDIN_HARDLINK=/data/downloads /data/media",
        "-v",
        `${split}/downloads:/data/downloads`,
        "-v",
        `${split}/media:/data/media`,
        standIn.v1,
    );
    let status = "starting";
    for (let attempt = 0; attempt < 30 && status !== "unhealthy"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        status = engine.inspect("split-layout").State.Health?.Status ?? "none";
    }
    expect(status).toBe("unhealthy");
    expect(engine.docker("exec", "split-layout", "cat", "/tmp/standin-failed")).toBe("hardlink");
    engine.docker("rm", "-f", "split-layout");
});

test("no container has an anonymous volume: each stand-in declares its real image's VOLUMEs, and a mount covers each", () => {
    const volumes = engine.containersWithLabel("homelab.service").flatMap((name) =>
        engine
            .inspect(name)
            .Mounts.filter((mount) => mount.Type === "volume")
            .map((mount) => `${name}: ${mount.Destination}`),
    );
    expect(volumes).toEqual([]);
    // The stand-ins do declare them (docker image inspect: Config.Volumes), as the real images do.
    const declared = (name: string): string[] =>
        Object.keys(
            (JSON.parse(engine.docker("image", "inspect", engine.inspect(name).Config.Image)) as ImageInfo[])[0]?.Config
                .Volumes ?? {},
        ).sort();
    expect(declared("calibre-web-automated")).toEqual(["/calibre-library", "/config", "/cwa-book-ingest"]);
    expect(declared("sonarr")).toEqual(["/config"]);
    expect(declared("prowlarr")).toEqual(["/config"]);
});

test("the NAS side made the sentinel in every data directory a container mounts", () => {
    const sentinels = services.flatMap((entry) =>
        entry.mounts.flatMap((mount) =>
            mount.from === "data" ? [path.join(lab.data, mount.sub, ".homelab-nas")] : [],
        ),
    );
    expect(sentinels.length).toBeGreaterThan(5);
    const missing = sentinels.filter((file) => !fs.existsSync(file));
    expect(missing).toEqual([]);
    const owners = [...new Set(sentinels.map((file) => `${fs.statSync(file).uid}:${fs.statSync(file).gid}`))];
    expect(owners).toEqual(["2000:2000"]);
});

test("a stand-in whose /data is not the NAS's share refuses to start: unhealthy, the reason logged, nothing written", async () => {
    const local = path.join(work, "not-the-nas");
    const config = path.join(work, "not-the-nas-config");
    fs.mkdirSync(local, { recursive: true });
    fs.mkdirSync(config, { recursive: true });
    engine.docker(
        "run",
        "-d",
        "--name",
        "no-nas",
        "--health-cmd",
        "probe",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "-e",
        "STANDIN_SERVICE=sonarr",
        "-e",
        "STANDIN_SENTINEL=/data/.homelab-nas",
        "-e",
        "STANDIN_WRITABLE=/config /data",
        "-e",
        "STANDIN_HARDLINK=/data/downloads /data/media",
        "-v",
        `${local}:/data`,
        "-v",
        `${config}:/config`,
        standIn.v1,
    );
    try {
        let status = "starting";
        for (let attempt = 0; attempt < 30 && status !== "unhealthy"; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            status = engine.inspect("no-nas").State.Health?.Status ?? "none";
        }
        expect(status).toBe("unhealthy");
        expect(engine.docker("exec", "no-nas", "cat", "/tmp/standin-failed")).toBe("sentinel:/data");
        const logs = spawnSync("docker", ["logs", "no-nas"], {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: engine.dockerHost },
        });
        expect(logs.stderr).toBe(
            "standin: sonarr: /data is not the NAS's share (no .homelab-nas): refusing to start\n",
        );
        // Nothing written anywhere: not into the local directory, not into appdata.
        expect(fs.readdirSync(local)).toEqual([]);
        expect(fs.readdirSync(config)).toEqual([]);
    } finally {
        engine.docker("rm", "-f", "no-nas");
    }
});

test("AutoKuma's monitor directory holds one monitor file per URL", async () => {
    const urls = (await stack.outputs()).urls?.value as Record<string, string>;
    const files = fs
        .readdirSync(path.join(lab.appdata, "autokuma", "monitors"))
        .filter((name) => name.endsWith(".json"));
    expect(files.sort()).toEqual(
        Object.keys(urls)
            .map((name) => `${name}.json`)
            .sort(),
    );
});

const blueprintOnHost = (): string => path.join(lab.appdata, "authentik-worker", "blueprints", "homelab.yaml");
const blueprintInWorker = (): string =>
    engine.docker("exec", "authentik-worker", "cat", "/blueprints/homelab/homelab.yaml");

test("the worker sees the blueprint the catalog generates, and no secret is in it", () => {
    const onHost = fs.readFileSync(blueprintOnHost(), "utf8");
    // Read back through the engine: what the worker container sees at its blueprint mount.
    expect(blueprintInWorker()).toBe(onHost.trimEnd());
    expect(engine.inspect("authentik-worker").Mounts).toContainEqual(
        expect.objectContaining({
            Source: path.join(lab.appdata, "authentik-worker", "blueprints"),
            Destination: "/blueprints/homelab",
        }),
    );
    const parsed = parseDocument(onHost, {
        customTags: [
            { tag: "!KeyOf", resolve: (value: string) => `KeyOf ${value}` },
            { tag: "!Env", resolve: (value: string) => `Env ${value}` },
            { tag: "!Find", collection: "seq", resolve: () => "Find" },
        ],
    });
    expect(parsed.errors).toEqual([]);
    const { entries } = parsed.toJS() as {
        entries: { model: string; state: string; identifiers: Record<string, unknown> }[];
    };
    const providers = entries
        .filter((entry) => entry.model === "authentik_providers_proxy.proxyprovider" && entry.state === "present")
        .map((entry) => entry.identifiers.name);
    expect(providers.sort()).toEqual(
        services
            .filter((entry) => entry.route?.forwardAuth === true)
            .map((entry) => `${entry.name}-forward-auth`)
            .sort(),
    );
    // The client secrets reach the worker and the apps as secret variables, never the file.
    const envOf = (name: string): Record<string, string> =>
        Object.fromEntries(
            engine
                .inspect(name)
                .Config.Env.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
        );
    const secret = envOf("authentik-worker").HOMELAB_OIDC_HOMARR_CLIENT_SECRET ?? "";
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(envOf("homarr").AUTH_OIDC_CLIENT_SECRET).toBe(secret);
    expect(onHost).not.toContain(secret);
    expect(onHost).toContain('client_secret: !Env "HOMELAB_OIDC_HOMARR_CLIENT_SECRET"');
    // Immich's settings document (with its client secret) is a tmpfs inside the container, no host file.
    expect(JSON.parse(engine.docker("inspect", "--format", "{{json .HostConfig.Tmpfs}}", "immich-server"))).toEqual({
        "/run/homelab": "rw,noexec,nosuid,size=1m,mode=1777",
    });
    const settings = JSON.parse(envOf("immich-server").HOMELAB_SECRET_IMMICH_CONFIG ?? "{}") as {
        oauth?: { clientSecret?: string };
    };
    expect(settings.oauth?.clientSecret).toBe(envOf("authentik-worker").HOMELAB_OIDC_IMMICH_CLIENT_SECRET);
});

test("a catalog change rewrites the blueprint and replaces no container", async () => {
    const ssoFile = path.join(project, "catalog", "sso.ts");
    const source = fs.readFileSync(ssoFile, "utf8");
    const marker = "export const retired: readonly RetiredService[] = [";
    expect(source).toContain(marker);
    fs.writeFileSync(
        ssoFile,
        source.replace(
            marker,
            `${marker}\n    { service: "it-retired", reason: "left the catalog in the real-engine test" },`,
        ),
    );
    const before = containerIds();
    expect(await plannedContainerChanges()).toEqual({});
    const preview = await stack.preview();
    expect(Object.entries(preview.changeSummary).filter(([op]) => op !== "same")).toEqual([["update", 1]]);
    await stack.up({ onOutput: () => undefined });
    expect(containerIds()).toEqual(before);
    expect(blueprintInWorker()).toContain('slug: "it-retired"');
    expect(fs.readFileSync(blueprintOnHost(), "utf8")).toContain('name: "it-retired-forward-auth"');
    // Staged beside the watched directory and renamed into it: nothing else is left there.
    expect(fs.readdirSync(path.dirname(blueprintOnHost())).filter((name) => !name.startsWith("."))).toEqual([
        "homelab.yaml",
    ]);
});

test("a second preview plans no change and refresh finds no drift", async () => {
    const preview = await stack.preview();
    expect(Object.keys(preview.changeSummary).filter((op) => op !== "same")).toEqual([]);
    const refresh = await stack.refresh({ onOutput: () => undefined });
    expect(Object.keys(refresh.summary.resourceChanges ?? {}).filter((op) => op !== "same")).toEqual([]);
});

/** GET through Traefik's published HTTPS entrypoint, resolving the URL's host to loopback. */
function viaTraefik(url: string): { status: number; body: string } {
    const { hostname, port } = new URL(url);
    const result = spawnSync(
        "curl",
        ["-sk", "--max-time", "5", "--resolve", `${hostname}:${port}:127.0.0.1`, "-w", "\n%{http_code}", url],
        { encoding: "utf8" },
    );
    const lines = result.stdout.trimEnd().split("\n");
    return { status: Number(lines.pop()), body: lines.join("\n") };
}

test("every URL answers through the real Traefik on the lab's HTTPS entrypoint", async () => {
    const urls = (await stack.outputs()).urls?.value as Record<string, string>;
    expect(Object.keys(urls).sort()).toEqual(
        services
            .filter((entry) => entry.route)
            .map((entry) => entry.name)
            .sort(),
    );
    for (const [name, url] of Object.entries(urls)) {
        const entry = services.find((candidate) => candidate.name === name) as ServiceEntry;
        // The dashboard is Traefik's own API; everything else is a stand-in answering its health path.
        const [path, expected] =
            name === "traefik" ? ["/api/version", "3.7"] : [standInEndpoint(entry).path, "standin"];
        let answer = viaTraefik(`${url}${path}`);
        // Traefik routes a container once its healthcheck passes (30 s interval).
        for (let attempt = 0; attempt < 90 && answer.status !== 200; attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            answer = viaTraefik(`${url}${path}`);
        }
        expect({ name, status: answer.status }).toEqual({ name, status: 200 });
        expect(answer.body).toContain(expected);
    }
});

test("changing one image replaces exactly that container; its appdata survives", async () => {
    const marker = path.join(lab.appdata, "sonarr", "survives.txt");
    fs.writeFileSync(marker, "kept");
    const before = containerIds();

    await stack.setAllConfig(labConfig({ images: { sonarr: standIn.v2 } }));
    expect(await plannedContainerChanges()).toEqual({ replace: ["sonarr"] });
    await stack.up({ onOutput: () => undefined });

    const after = containerIds();
    const changed = Object.keys(after).filter((name) => after[name] !== before[name]);
    expect(changed).toEqual(["sonarr"]);
    expect(fs.readFileSync(marker, "utf8")).toBe("kept");
});

test("changing Gluetun's image replaces Gluetun and the containers in its namespace, nothing else", async () => {
    const before = containerIds();
    await stack.setAllConfig(labConfig({ images: { sonarr: standIn.v2, gluetun: standIn.v2 } }));
    expect(await plannedContainerChanges()).toEqual({ replace: ["gluetun", "qbitrr", "qbittorrent"] });
    await stack.up({ onOutput: () => undefined });
    const after = containerIds();
    expect(
        Object.keys(after)
            .filter((name) => after[name] !== before[name])
            .sort(),
    ).toEqual(["gluetun", "qbitrr", "qbittorrent"]);
    expect(engine.inspect("qbittorrent").HostConfig.NetworkMode).toBe(`container:${engine.inspect("gluetun").Id}`);
});

test("an up killed mid-run recovers with refresh + up, losing nothing", async () => {
    // Every container changes image: a long run to interrupt.
    await stack.setAllConfig(labConfig({ standInImage: standIn.v2 }));
    const killed = await killUpMidRun(stack, project);
    // The project's own language host exits with its engine; nothing of the killed run is left.
    expect(killed.languageHost).toHaveLength(1);
    expect(killed.outlived.filter((info) => info.command.includes("pulumi-language-nodejs"))).toEqual([]);
    expect(stillRunning(killed.started)).toEqual([]);

    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const imageId = (tag: string): string => engine.docker("image", "inspect", "--format", "{{.Id}}", tag);
    const v2Settings = {
        ...stackSettings("lab"),
        offline: { standInImage: standIn.v2, keep: ["traefik"], images: {} },
    };
    for (const entry of services) {
        const info = engine.inspect(entry.name);
        expect(info.State.Running).toBe(true);
        // Traefik runs its real image throughout; every other service moved to the new stand-in
        // (its variant declaring the entry's image volumes, where it has any).
        if (entry.name !== "traefik") {
            expect([entry.name, info.Config.Image]).toEqual([
                entry.name,
                imageId(runtimeImage(entry, v2Settings).image),
            ]);
        }
    }
    expect(engine.containersWithLabel("homelab.service")).toHaveLength(services.length);
    expect(fs.readFileSync(path.join(lab.appdata, "sonarr", "survives.txt"), "utf8")).toBe("kept");
    const preview = await stack.preview();
    expect(Object.keys(preview.changeSummary).filter((op) => op !== "same")).toEqual([]);
});

test("destroy leaves no container or network behind and keeps appdata", async () => {
    await stack.destroy({ onOutput: () => undefined });
    expect(engine.containersWithLabel("homelab.service")).toEqual([]);
    const networks = engine.docker("network", "ls", "--format", "{{.Name}}").split("\n");
    expect(networks.filter((name) => ["proxy", "tunnel"].includes(name) || name.endsWith("-internal"))).toEqual([]);
    expect(fs.readFileSync(path.join(lab.appdata, "sonarr", "survives.txt"), "utf8")).toBe("kept");
});
