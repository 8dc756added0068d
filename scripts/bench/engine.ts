/**
 * The lab stack on a private Docker engine (tests/integration/engine.ts starts it): the floor (an
 * empty TypeScript program's preview, same engine, same local backend), the lab's cold `up` (until
 * every healthcheck passes too), its no-op `preview` and where that time goes, one service's image
 * change and its downtime, then the same containers from the generated compose file twice: all at
 * once, and with the program's health ordering. Figures only; nothing is asserted.
 */
import { LocalWorkspace, type ConfigMap, type Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { catalog } from "../../catalog";
import { composeDocument, composeYaml, type ComposeDocument } from "../../components/compose";
import { repoRoot, stackSettings } from "../../tests/helpers/program";
import { labSecretKeys, labStack, projectCopy, TestEngine } from "../../tests/integration/engine";
import { breakdown, parseEngineLog, type Breakdown } from "./breakdown";

const run = promisify(execFile);
const services = catalog.filter((entry) => entry.enabled !== false);
export const standIn = { v1: "homelab-standin:v1", v2: "homelab-standin:v2" };
/** What labStack gives the Automation API, for the CLI runs in the same project and backend. */
const passphrase = "integration-test";
/** No-op previews of each program, taken in turns (floor, lab, floor, lab, …). */
const previewRounds = 3;

export interface HealthFigures {
    /** The command returned. */
    returnedS: number;
    /** … and then no container was still starting its healthcheck. */
    healthyS: number;
    containers: number;
    /** Containers with a healthcheck; the others have no health to wait for. */
    healthchecked: number;
    healthy: number;
    unhealthy: number;
}

export interface EngineFigures {
    /** The no-op previews, in turns. */
    floorPreviews: Timing[];
    labPreviews: Timing[];
    /** One more run of each with the engine's log on (-v=7), taken apart. */
    floorBreakdown: Breakdown;
    labBreakdown: Breakdown;
    coldUp: HealthFigures;
    composeAllAtOnce: HealthFigures;
    composeOrdered: HealthFigures;
    changeS: number;
    /** Old container gone → new one healthy; undefined when it was not healthy within the wait. */
    downtimeS: number | undefined;
    destroyS: number;
    /** With a candidate checkout (`--candidate=DIR`): its no-op preview beside the lab's. */
    candidate?: CandidateFigures;
}

export interface CandidateFigures {
    dir: string;
    /** The candidate's first `up` on a copy of the lab's state: what it changed. */
    migration: string;
    /** In turns: the lab's, then the candidate's. */
    labPreviews: Timing[];
    candidatePreviews: Timing[];
    breakdown: Breakdown;
}

const elapsedS = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
    const start = process.hrtime.bigint();
    const result = await work();
    return [result, elapsedS(start)];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The CLI's environment for a project on the bench's local backend. */
export function cliEnv(work: string, dockerHost: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PULUMI_BACKEND_URL: `file://${work}/state`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        DOCKER_HOST: dockerHost,
    };
}

/** A run of a program: its wall time and the CPU time of the CLI and everything it started. */
export interface Timing {
    wallS: number;
    cpuS: number;
}

/** bash's `times` output: the shell's line, then its children's "0m5.310s 0m0.620s" (user, system). */
function childrenCpu(times: string): number {
    const line = times.trim().split("\n")[1] ?? "";
    return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
        (sum, [, minutes = "0", secs = "0"]) => sum + Number(minutes) * 60 + Number(secs),
        0,
    );
}

/**
 * `pulumi preview` as a user runs it (the CLI, not the Automation API), timed from outside; the
 * CPU time is that of the CLI and every process it started (plugins, Node.js). Fails unless it
 * plans nothing: a preview with changes is not the no-op figure.
 */
export async function noopPreview(
    dir: string,
    stack: string,
    env: NodeJS.ProcessEnv,
    logged = false,
): Promise<Timing & { stderr: string }> {
    const args = ["preview", "--stack", stack, "--non-interactive", ...(logged ? ["--logtostderr", "-v=7"] : [])];
    const timesFile = path.join(dir, ".times");
    const start = process.hrtime.bigint();
    const { stdout, stderr } = await run(
        "bash",
        ["-c", 'pulumi "$@"; status=$?; times >"$BENCH_TIMES"; exit $status', "bash", ...args],
        { cwd: dir, env: { ...env, BENCH_TIMES: timesFile }, maxBuffer: 512 * 1024 * 1024 },
    );
    const wallS = elapsedS(start);
    if (/\bto (create|update|delete|replace)\b/.test(stdout) || !/\bunchanged\b/.test(stdout)) {
        throw new Error(`${stack}: the preview is not a no-op:\n${stdout}`);
    }
    return { wallS, cpuS: childrenCpu(fs.readFileSync(timesFile, "utf8")), stderr };
}

/**
 * The floor: an empty TypeScript program (`export const x = 1`) run the way the lab's is (same
 * engine, runtime options, tsconfig and node_modules, a local file backend).
 */
export async function floorStack(work: string): Promise<{ dir: string; stack: Stack }> {
    const dir = path.join(work, "floor");
    fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(path.join(work, "state"), { recursive: true });
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: floor\nruntime:\n    name: nodejs\n    options:\n        typescript: true\n        packagemanager: npm\n",
    );
    fs.writeFileSync(path.join(dir, "index.ts"), "export const x = 1;\n");
    fs.writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({ name: "floor", private: true, main: "index.ts" }),
    );
    const tsconfig = fs.readFileSync(path.join(repoRoot, "tsconfig.json"), "utf8");
    fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        tsconfig.replace('"include": ["**/*.ts"]', '"include": ["index.ts"]'),
    );
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "floor", workDir: dir },
        {
            envVars: {
                PULUMI_BACKEND_URL: `file://${work}/state`,
                PULUMI_CONFIG_PASSPHRASE: passphrase,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            },
            secretsProvider: "passphrase",
        },
    );
    return { dir, stack };
}

/** A copy of a checkout to run the engine on, its node_modules linked: its own if it has them, else this repository's. */
export function checkoutCopy(from: string, to: string): string {
    const skip = new Set(["node_modules", ".git", ".lab", "coverage", "bin"]);
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from)) {
        if (!skip.has(entry)) fs.cpSync(path.join(from, entry), path.join(to, entry), { recursive: true });
    }
    // A checkout with its own node_modules (a dependency or SDK-patch change) runs with them.
    const ownModules = path.join(from, "node_modules");
    const modules = fs.existsSync(ownModules) ? fs.realpathSync(ownModules) : path.join(repoRoot, "node_modules");
    fs.symlinkSync(modules, path.join(to, "node_modules"));
    return to;
}

/**
 * A copy of checkout `from` (as `work/<name>`) that takes over a copy of the lab project's state
 * with one `up`: what that changed is `migration`. Its previews then run on the same engine and
 * containers as the lab's.
 */
export async function takeOver(
    work: string,
    env: NodeJS.ProcessEnv,
    labProject: string,
    from: string,
    name: string,
): Promise<{ dir: string; env: NodeJS.ProcessEnv; migration: string }> {
    const dir = checkoutCopy(from, path.join(work, name));
    fs.copyFileSync(path.join(labProject, "Pulumi.lab.yaml"), path.join(dir, "Pulumi.lab.yaml"));
    fs.cpSync(path.join(work, "state"), path.join(work, `state-${name}`), { recursive: true });
    const takenEnv = { ...env, PULUMI_BACKEND_URL: `file://${work}/state-${name}` };
    const { stdout } = await run("pulumi", ["up", "--yes", "--skip-preview", "--stack", "lab", "--non-interactive"], {
        cwd: dir,
        env: takenEnv,
        maxBuffer: 64 * 1024 * 1024,
    });
    const summary = stdout.slice(stdout.lastIndexOf("Resources:")).split("\n");
    const migration = summary
        .slice(1)
        .map((line) => line.trim())
        .filter((line) => line !== "" && !line.startsWith("Duration"))
        .join(", ");
    return { dir, env: takenEnv, migration };
}

/**
 * A candidate change's no-op preview against the same engine and containers: its program takes
 * over a copy of the lab's state with one `up` (a change that keeps behaviour only moves
 * bookkeeping, such as provider resources), then both are previewed in turns.
 */
async function candidateRounds(
    work: string,
    env: NodeJS.ProcessEnv,
    labProject: string,
    candidate: string,
    say: (line: string) => void,
): Promise<CandidateFigures> {
    const { dir, env: candidateEnv, migration } = await takeOver(work, env, labProject, candidate, "candidate");
    say(`candidate ${candidate}: its first up on a copy of the lab's state: ${migration}`);
    const labPreviews: Timing[] = [];
    const candidatePreviews: Timing[] = [];
    for (let round = 0; round < previewRounds; round += 1) {
        labPreviews.push(await noopPreview(labProject, "lab", env));
        candidatePreviews.push(await noopPreview(dir, "lab", candidateEnv));
    }
    const logged = await noopPreview(dir, "lab", candidateEnv, true);
    return {
        dir: candidate,
        migration,
        labPreviews,
        candidatePreviews,
        breakdown: breakdown(parseEngineLog(logged.stderr), logged.wallS * 1000),
    };
}

/** Waits until no container of the lab is still starting its healthcheck (polled every 250 ms, at most 5 minutes). */
async function allHealthy(engine: TestEngine, start: bigint, returnedS: number): Promise<HealthFigures> {
    const deadline = Date.now() + 300_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
        // "Up 3 seconds (health: starting)" until the first check passes; one `docker ps` per poll.
        const out = engine.docker("ps", "-a", "--filter", "label=homelab.service", "--format", "{{.Status}}");
        states = out === "" ? [] : out.split("\n");
        if (!states.some((state) => state.includes("health: starting"))) break;
        await sleep(250);
    }
    return {
        returnedS,
        healthyS: elapsedS(start),
        containers: states.length,
        healthchecked: states.filter((state) => /\((healthy|unhealthy|health: starting)\)/.test(state)).length,
        healthy: states.filter((state) => state.includes("(healthy)")).length,
        unhealthy: states.filter((state) => state.includes("(unhealthy)")).length,
    };
}

/** Samples one container until it has been replaced and is healthy again: old one gone → new one healthy. */
async function downtimeOf(
    engine: TestEngine,
    name: string,
    oldId: string,
    change: Promise<unknown>,
): Promise<number | undefined> {
    let goneAt: number | undefined;
    // The change itself, then up to 60 s for the new container's first healthcheck (every 30 s here).
    const wait = { deadline: Number.POSITIVE_INFINITY };
    const settled = (): void => {
        wait.deadline = Date.now() + 60_000;
    };
    change.then(settled, settled);
    while (Date.now() < wait.deadline) {
        const probe = await run(
            "docker",
            [
                "inspect",
                "--format",
                "{{.Id}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
                name,
            ],
            { env: { ...process.env, DOCKER_HOST: engine.dockerHost } },
        ).catch(() => ({ stdout: "" }));
        const [id = "", running = "", health = ""] = probe.stdout.trim().split(" ");
        const now = Date.now();
        if (goneAt === undefined && (id !== oldId || running !== "true")) goneAt = now;
        if (goneAt !== undefined && id !== "" && id !== oldId && running === "true" && health === "healthy") {
            return (now - goneAt) / 1000;
        }
        await sleep(100);
    }
    return undefined;
}

/** The compose file without any `depends_on`: every container started at once. */
function allAtOnce(document: ComposeDocument): ComposeDocument {
    return {
        ...document,
        services: Object.fromEntries(
            Object.entries(document.services).map(([name, service]) => {
                const started = { ...service };
                delete started.depends_on;
                return [name, started];
            }),
        ),
    };
}

/** `docker-compose up -d` of one file, until every healthcheck has passed, then `down`. */
async function composeRun(engine: TestEngine, file: string): Promise<HealthFigures> {
    const env = { ...process.env, DOCKER_HOST: engine.dockerHost };
    const start = process.hrtime.bigint();
    await run("docker-compose", ["-f", file, "-p", "homelab", "up", "-d"], { env });
    const figures = await allHealthy(engine, start, elapsedS(start));
    await run("docker-compose", ["-f", file, "-p", "homelab", "down", "-t", "1"], { env });
    return figures;
}

/** The lab's stack config for the bench's engine: every host on it, storage under `work`, the stand-in image. */
export function labConfig(
    work: string,
    engine: TestEngine,
    offline: Record<string, unknown> = {},
): { config: ConfigMap; storage: { appdata: string; stacks: string; data: string } } {
    const storage = { appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: `${work}/data` };
    const hosts = Object.fromEntries(
        Object.entries(stackSettings("lab").hosts).map(([name, host]) => [
            name,
            { ...host, dockerHost: engine.dockerHost },
        ]),
    );
    return {
        storage,
        config: {
            "homelab:hosts": { value: JSON.stringify(hosts) },
            "homelab:storage": { value: JSON.stringify(storage) },
            "homelab:offline": { value: JSON.stringify({ standInImage: standIn.v1, ...offline }) },
        },
    };
}

/** The lab stack of a project copy, configured for the bench's engine (throwaway secrets); not yet up. */
export async function labOnEngine(
    work: string,
    engine: TestEngine,
    project: string,
): Promise<{
    stack: Stack;
    config: (offline: Record<string, unknown>) => ConfigMap;
    storage: { appdata: string; stacks: string; data: string };
}> {
    const stack = await labStack(project, work);
    const { storage } = labConfig(work, engine);
    await stack.setAllConfig(labConfig(work, engine).config);
    for (const key of labSecretKeys()) {
        await stack.setConfig(`homelab:${key}`, { value: `bench-${key}`, secret: true });
    }
    return { stack, config: (offline) => labConfig(work, engine, offline).config, storage };
}

export async function engineBench(
    work: string,
    say: (line: string) => void,
    candidate?: string,
): Promise<EngineFigures> {
    const engine = new TestEngine(path.join(work, "engine"));
    let project: string | undefined;
    try {
        engine.buildStandIn(standIn.v1, "v1");
        engine.buildStandIn(standIn.v2, "v2");
        const env = cliEnv(work, engine.dockerHost);

        const floor = await floorStack(work);
        await floor.stack.up();

        project = projectCopy();
        const { stack, config, storage: lab } = await labOnEngine(work, engine, project);

        const upStart = process.hrtime.bigint();
        await stack.up();
        const coldUp = await allHealthy(engine, upStart, elapsedS(upStart));
        say(
            `pulumi up (cold): ${coldUp.returnedS.toFixed(1)} s, every healthcheck passing ${coldUp.healthyS.toFixed(1)} s (${coldUp.containers} containers, ${coldUp.unhealthy} unhealthy)`,
        );

        const floorPreviews: Timing[] = [];
        const labPreviews: Timing[] = [];
        for (let round = 0; round < previewRounds; round += 1) {
            floorPreviews.push(await noopPreview(floor.dir, "floor", env));
            labPreviews.push(await noopPreview(project, "lab", env));
        }
        const list = (timings: Timing[]): string => timings.map((t) => t.wallS.toFixed(2)).join(" ");
        say(`no-op previews (wall, s), floor: ${list(floorPreviews)}; lab: ${list(labPreviews)}`);
        const floorLogged = await noopPreview(floor.dir, "floor", env, true);
        const labLogged = await noopPreview(project, "lab", env, true);
        const floorBreakdown = breakdown(parseEngineLog(floorLogged.stderr), floorLogged.wallS * 1000);
        const labBreakdown = breakdown(parseEngineLog(labLogged.stderr), labLogged.wallS * 1000);
        const candidateFigures =
            candidate === undefined ? undefined : await candidateRounds(work, env, project, candidate, say);

        await stack.setAllConfig(config({ images: { sonarr: standIn.v2 } }));
        const change = stack.up();
        const downtime = downtimeOf(engine, "sonarr", engine.inspect("sonarr").Id, change);
        const [, changeS] = await timed(() => change);
        const downtimeS = await downtime;
        say(`pulumi up (one image changed: sonarr): ${changeS.toFixed(1)} s`);
        const [, destroyS] = await timed(() => stack.destroy());
        await floor.stack.destroy();

        const settings = {
            ...stackSettings("lab"),
            storage: lab,
            offline: { standInImage: standIn.v1, keep: [], images: {} },
        };
        // Every secret a container reads, the generated ones (OIDC client secrets) included: a throwaway value each.
        const secrets = new Proxy<Record<string, string>>({}, { get: (_, key) => `bench-${String(key)}` });
        const ordered = composeDocument(services, settings, secrets);
        const files = {
            allAtOnce: path.join(work, "compose-all-at-once.yaml"),
            ordered: path.join(work, "compose.yaml"),
        };
        fs.writeFileSync(files.allAtOnce, composeYaml(allAtOnce(ordered)));
        fs.writeFileSync(files.ordered, composeYaml(ordered));
        engine.docker("network", "create", "proxy");
        const composeAllAtOnce = await composeRun(engine, files.allAtOnce);
        say(
            `docker-compose up -d (all at once): ${composeAllAtOnce.returnedS.toFixed(1)} s, every healthcheck passing ${composeAllAtOnce.healthyS.toFixed(1)} s`,
        );
        const composeOrdered = await composeRun(engine, files.ordered);
        say(
            `docker-compose up -d (depends_on service_healthy): ${composeOrdered.returnedS.toFixed(1)} s, every healthcheck passing ${composeOrdered.healthyS.toFixed(1)} s`,
        );

        return {
            floorPreviews,
            labPreviews,
            floorBreakdown,
            labBreakdown,
            coldUp,
            composeAllAtOnce,
            composeOrdered,
            changeS,
            downtimeS,
            destroyS,
            ...(candidateFigures === undefined ? {} : { candidate: candidateFigures }),
        };
    } finally {
        removeNetworks(engine);
        engine.stop();
        if (project !== undefined) fs.rmSync(project, { recursive: true, force: true });
    }
}

/**
 * A stopped engine leaves its networks' bridges on the host (its data root is deleted, the
 * interfaces stay), and enough of them use up Docker's default address pools for every engine on
 * the machine: remove the containers and networks first.
 */
export function removeNetworks(engine: TestEngine): void {
    try {
        const containers = engine.docker("ps", "-aq");
        if (containers !== "") engine.docker("rm", "-f", ...containers.split("\n"));
        engine.docker("network", "prune", "-f");
    } catch (error) {
        console.error(`[bench] could not remove the engine's networks: ${String(error)}`);
    }
}
