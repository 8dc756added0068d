import { type EngineEvent, type Stack, type StepEventMetadata } from "@pulumi/pulumi/automation";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { composeDocument, composeYaml } from "../../components/compose";
import { catalogSecretRequests } from "../../catalog/secrets";
import type { ImportFile } from "../../scripts/adopt/documents";
import { repoRoot, stackSettings } from "../helpers/program";
import { labStack, projectCopy, TestEngine, suiteWorkDir } from "./engine";

/**
 * Adoption on the real engine: the arr and torrent stacks run as today's hand-run compose stacks
 * (generated from the catalog, started with Debian's docker-compose), `npm run adopt` writes the
 * import files, `pulumi import` takes them in, and the preview plans no create and no delete for
 * any adopted container. Every difference left is asserted below with the reason it exists.
 */

const adoptedStacks = ["arr", "torrent"];
const services = catalog.filter((entry) => entry.enabled !== false);
const adoptedServices = services.filter((entry) => adoptedStacks.includes(entry.stack)).map((entry) => entry.name);
const work = suiteWorkDir(path.join(os.tmpdir(), "homelab-adopt-"));
const lab = { appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: `${work}/data` };
const standIn = "homelab-standin:adopt";
const secretValue = (key: string): string => `it-${key}`;
const timings: Record<string, number> = {};

let engine: TestEngine;
let stack: Stack;
let project: string;
let adoptDir: string;

async function timed<T>(label: string, run: () => T | Promise<T>): Promise<T> {
    const start = Date.now();
    try {
        return await run();
    } finally {
        timings[label] = (Date.now() - start) / 1000;
    }
}

/** Published ports bind to this loopback address, so the test runs beside the lab test's 127.0.0.1. */
const address = "127.0.0.2";

function labOverrides(): Record<string, string> {
    const hosts = Object.fromEntries(
        Object.entries(stackSettings("lab").hosts).map(([name, host]) => [
            name,
            // The lab's host settings (Docker 20.10: no healthcheck start interval), on this engine.
            { ...host, address, dockerHost: engine.dockerHost, hostNetwork: false },
        ]),
    );
    return {
        "homelab:hosts": JSON.stringify(hosts),
        "homelab:storage": JSON.stringify(lab),
        "homelab:offline": JSON.stringify({ standInImage: standIn }),
    };
}

function run(command: string, args: string[], cwd: string): string {
    const result = spawnSync(command, args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, DOCKER_HOST: engine.dockerHost },
    });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
}

const readImport = (file: string): ImportFile =>
    JSON.parse(fs.readFileSync(path.join(adoptDir, file), "utf8")) as ImportFile;

/** The steps a preview plans, by resource type and name. */
async function previewSteps(): Promise<StepEventMetadata[]> {
    const events: EngineEvent[] = [];
    await stack.preview({ onEvent: (event) => events.push(event) });
    return events.flatMap((event) => {
        const metadata = event.resourcePreEvent?.metadata;
        return metadata === undefined || ["create-replacement", "delete-replaced"].includes(metadata.op)
            ? []
            : [metadata];
    });
}

const nameOf = (step: StepEventMetadata): string => step.urn.split("::").pop() ?? "";
const ofType = (steps: StepEventMetadata[], type: string): StepEventMetadata[] =>
    steps.filter((step) => step.type === type);

beforeAll(async () => {
    const compose = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
    if (compose.status !== 0) throw new Error("docker-compose is missing: apt-get install docker-compose");
    engine = new TestEngine(path.join(work, "engine"));
    engine.buildStandIn(standIn, "adopt");
    project = projectCopy();
    adoptDir = path.join(work, "adopt");
    stack = await labStack(project, work);
    await stack.setAllConfig(Object.fromEntries(Object.entries(labOverrides()).map(([k, value]) => [k, { value }])));
    const settings = stackSettings("lab", labOverrides());
    for (const { key } of catalogSecretRequests(services, settings)) {
        await stack.setConfig(`homelab:${key}`, { value: secretValue(key), secret: true });
    }
});

afterAll(() => {
    console.log(`adoption timings (s): ${JSON.stringify(timings)}`);
    engine.stop();
    for (const dir of [work, project]) fs.rmSync(dir, { recursive: true, force: true });
});

test("today's compose stacks run: the catalog's arr and torrent stacks, started by docker-compose", async () => {
    const settings = stackSettings("lab", labOverrides());
    const secrets = new Proxy<Record<string, string>>({}, { get: (_, key) => secretValue(String(key)) });
    // What was created by hand once: the shared proxy network (as the program declares it).
    engine.docker("network", "create", "--driver", "bridge", "proxy");
    await timed("compose up", () => {
        for (const name of adoptedStacks) {
            const dir = path.join(lab.stacks, name);
            fs.mkdirSync(dir, { recursive: true });
            const entries = services.filter((entry) => entry.stack === name);
            fs.writeFileSync(
                path.join(dir, "docker-compose.yml"),
                composeYaml(composeDocument(entries, settings, secrets)),
            );
            run("docker-compose", ["--project-name", name, "up", "--detach", "--quiet-pull"], dir);
        }
    });
    fs.writeFileSync(path.join(lab.appdata, "sonarr", "survives.txt"), "kept");
    expect(engine.containersWithLabel("com.docker.compose.project")).toEqual([...adoptedServices].sort());
});

test("npm run adopt writes the import files and a report of what it found", async () => {
    const configFile = path.join(project, "Pulumi.lab.yaml");
    const output = await timed("adopt", () =>
        run(
            "npm",
            ["run", "--silent", "adopt", "--", "--stack", "lab", "--config-file", configFile, "--out", adoptDir],
            repoRoot,
        ),
    );
    expect(output).toContain(`## Adopted containers (${adoptedServices.length})`);
    expect(output).toContain("- proxy (hosts-docker-prod-01-proxy): found, imported");
    expect(output).toContain("## Running but not in the catalog (0)");
    expect(output).toContain(`## In the catalog but not running (${services.length - adoptedServices.length})`);
    // The lab has no VMs; the Docker file holds every adopted container and its image, and no secret.
    expect(readImport("2-vms.json").resources).toEqual([]);
    const docker = readImport("3-docker.json");
    const names = (type: string): string[] =>
        docker.resources.filter((r) => r.type === type).map((r) => r.logicalName ?? r.name);
    expect(names("docker:index/container:Container").sort()).toEqual([...adoptedServices].sort());
    expect(names("docker:index/remoteImage:RemoteImage").sort()).toEqual(
        adoptedServices.map((s) => `${s}-image`).sort(),
    );
    expect(names("docker:index/network:Network")).toEqual(["hosts-docker-prod-01-proxy"]);
    expect(JSON.stringify(docker)).not.toContain(secretValue("vpnWireguardPrivateKey"));
});

test("pulumi import takes the components, then the Docker resources, unprotected", async () => {
    await timed("import", async () => {
        for (const file of ["1-components.json", "3-docker.json"]) {
            const { nameTable, resources } = readImport(file);
            await stack.import({ nameTable, resources, protect: false, generateCode: false });
        }
    });
    const state = (await stack.exportStack()).deployment as { resources: { type: string; urn: string }[] };
    expect(state.resources.filter((r) => r.type === "docker:index/container:Container")).toHaveLength(
        adoptedServices.length,
    );
});

test("the preview plans no create and no delete for what was adopted; every difference left is explained", async () => {
    const steps = await timed("preview", previewSteps);
    expect(steps.filter((step) => step.op === "delete")).toEqual([]);
    const containers = ofType(steps, "docker:index/container:Container");
    const adopted = containers.filter((step) => adoptedServices.includes(nameOf(step)));
    expect(adopted.map(nameOf).sort()).toEqual([...adoptedServices].sort());
    // Only what did not run before is created: the other stacks.
    expect(
        containers
            .filter((step) => step.op === "create")
            .map(nameOf)
            .sort(),
    ).toEqual(
        services
            .filter((entry) => !adoptedStacks.includes(entry.stack))
            .map((entry) => (entry.host === "every-host" ? `${entry.name}-docker-prod-01` : entry.name))
            .sort(),
    );
    // The adopted images, the proxy network and the engine's provider are taken over as they are.
    for (const type of [
        "docker:index/remoteImage:RemoteImage",
        "docker:index/network:Network",
        "pulumi:providers:docker",
    ]) {
        const taken = ofType(steps, type).filter((step) => step.op !== "create");
        expect(taken.length).toBeGreaterThan(0);
        expect(taken.filter((step) => step.op !== "same").map(nameOf)).toEqual([]);
    }

    const differences = Object.fromEntries(
        adopted.map((step) => [
            nameOf(step),
            { op: step.op, replaceKeys: [...(step.keys ?? [])].sort(), changed: [...(step.diffs ?? [])].sort() },
        ]),
    );
    // labels: compose adds com.docker.compose.* (project, service, config-hash, ...) to every
    //   container, and a container's labels cannot change in place: the reason each one is replaced.
    // networksAdvanced: compose gives every container its service name as a network alias; the
    //   catalog declares none (the container name resolves anyway).
    // waitTimeout: how long the provider waits for a container to start, a provider setting with
    //   no counterpart on the engine: an adopted container has the provider's default (60 s), the
    //   program sets 180. Only state changes; it replaces nothing.
    const proxyService = {
        op: "replace",
        replaceKeys: ["labels", "networksAdvanced"],
        changed: ["labels", "networksAdvanced", "waitTimeout"],
    };
    // networkMode: qBittorrent and qBitrr run in Gluetun's network namespace (container:<id>); Gluetun
    //   is replaced, so its new id is unknown until it exists.
    const inGluetun = {
        op: "replace",
        replaceKeys: ["labels", "networkMode"],
        changed: ["labels", "networkMode", "waitTimeout"],
    };
    const expected = Object.fromEntries(
        adoptedServices.map((name) => [name, ["qbittorrent", "qbitrr"].includes(name) ? inGluetun : proxyService]),
    );
    // envs: adoption never copies a secret's value into the import file (WIREGUARD_PRIVATE_KEY is
    //   recorded as a placeholder), so the catalog's value from config replaces it.
    expected.gluetun = {
        op: "replace",
        replaceKeys: ["envs", "labels", "networksAdvanced"],
        changed: ["envs", "labels", "networksAdvanced", "waitTimeout"],
    };
    // tmpfs: FlareSolverr's /config in RAM; the engine reports the mount's options in its own
    //   normalised form, which the provider reads back as a difference (the container is replaced
    //   for its labels anyway).
    expected.flaresolverr = { ...proxyService, changed: ["labels", "networksAdvanced", "tmpfs", "waitTimeout"] };
    expect(differences).toEqual(expected);
});

test("the first pulumi up recreates each adopted container once; then nothing differs and appdata is kept", async () => {
    const before = Object.fromEntries(adoptedServices.map((name) => [name, engine.inspect(name).Id]));
    const result = await timed("up", () => stack.up({ onOutput: () => undefined }));
    expect(result.summary.result).toBe("succeeded");
    expect(result.summary.resourceChanges?.replace).toBe(adoptedServices.length);
    for (const name of adoptedServices) expect(engine.inspect(name).Id).not.toBe(before[name]);
    // The program's containers keep compose's project and service labels for Dockman, but none
    // carries the config-hash compose itself lists its containers by (components/spec.ts dockmanLabels).
    expect(engine.containersWithLabel("com.docker.compose.config-hash")).toEqual([]);
    expect(fs.readFileSync(path.join(lab.appdata, "sonarr", "survives.txt"), "utf8")).toBe("kept");
    const preview = await timed("second preview", () => stack.preview());
    expect(Object.keys(preview.changeSummary).filter((op) => op !== "same")).toEqual([]);
});
