/**
 * `npm run bench` (scripts/bench/run.sh sets up Node.js and the engine, then runs this): every
 * figure of README "Benchmark" in one run, with the targets printed beside them. Nothing is
 * asserted: the figures depend on the machine and on what else runs on it. The fleet part
 * (scripts/bench/fleet.ts, docs/fleet.md) needs the fleet lab's lock besides the lab's:
 *   flock -o /tmp/homelab-lab.lock flock -o /tmp/homelab-fleet.lock npm run bench
 * Parts can be left out: --skip=evaluate,engine,fleet,unit.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatBreakdown } from "./breakdown";
import { engineBench, type EngineFigures, type HealthFigures, type Timing } from "./engine";
import type { EvaluationFigures } from "./evaluate";
import { fleetBench, type FleetFigures } from "./fleet";
import type { LabProgramFigures } from "./lab-program";

const root = path.resolve(__dirname, "../..");

const say = (line: string): void => {
    console.log(`[bench] ${line}`);
};

const s = (seconds: number, digits = 1): string => `${seconds.toFixed(digits)} s`;

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** "target ≤ X: met" or "target ≤ X: over by Y", never a failure. */
function against(value: number, limit: number, what: string, unit = " s"): string {
    // Seconds to a tenth; a ratio (no unit) to a hundredth.
    const verdict = value <= limit ? "met" : `over by ${(value - limit).toFixed(unit === "" ? 2 : 1)}${unit}`;
    return `target ≤ ${what}: ${verdict}`;
}

const git = (...args: string[]): string => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

function machine(): string[] {
    const cpus = os.cpus();
    const [one, five] = os.loadavg();
    return [
        `machine: ${os.availableParallelism()} CPUs (nproc), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, CPU ${cpus[0]?.model ?? "unknown"}`,
        `         tree: ${git("rev-parse", "--short", "HEAD")} with ${
            git("status", "--porcelain")
                .split("\n")
                .filter((line) => line !== "").length
        } uncommitted paths (figures are of the working tree)`,
        `         Node.js ${process.version}, ${execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim()} (the offline engine); load average at start ${one?.toFixed(1) ?? "?"} (1 min), ${five?.toFixed(1) ?? "?"} (5 min)`,
    ];
}

/** A TypeScript script of this folder in a process of its own; its last stdout line is JSON. */
async function childJson<T>(script: string, args: string[]): Promise<T> {
    const child = spawn("npx", ["ts-node", "--transpile-only", path.join(__dirname, script), ...args], {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const lines = out.trim().split("\n");
    for (const line of lines.slice(0, -1)) if (!line.startsWith("info: ")) say(line);
    if (code !== 0) throw new Error(`${script} exited with ${String(code)}:\n${out}`);
    return JSON.parse(lines[lines.length - 1] ?? "") as T;
}

interface UnitSuite {
    seconds: number;
    exitCode: number | null;
    /** jest's "Test Suites:" and "Tests:" summary lines. */
    summary: string[];
}

/** `npx jest --ci` in the repository, timed; its output goes to a file. */
async function unitSuite(log: string): Promise<UnitSuite> {
    const out = fs.openSync(log, "w");
    const start = process.hrtime.bigint();
    const child = spawn("npx", ["jest", "--ci"], { cwd: root, stdio: ["ignore", out, out] });
    const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    fs.closeSync(out);
    const summary = fs
        .readFileSync(log, "utf8")
        .split("\n")
        .filter((line) => /^(Test Suites|Tests):/.test(line))
        .map((line) => line.replace(/\s+/g, " "));
    return { seconds, exitCode, summary };
}

function health(label: string, figures: HealthFigures): string {
    return `${label}${s(figures.returnedS).padStart(9)} returned, ${s(figures.healthyS).padStart(7)} until every healthcheck passed (${figures.containers} containers, ${figures.healthchecked} with a healthcheck: ${figures.healthy} healthy, ${figures.unhealthy} unhealthy)`;
}

/** The program alone (no engine): the synthetic catalogs and the lab program under mocks. */
interface Evaluation {
    sizes: EvaluationFigures[];
    lab: LabProgramFigures;
}

function previewSection(engine: EngineFigures, evaluation: Evaluation | undefined): string[] {
    const floor = median(engine.floorPreviews.map((t) => t.wallS));
    const lab = median(engine.labPreviews.map((t) => t.wallS));
    const runs = (timings: readonly Timing[]): string =>
        `runs ${timings.map((t) => t.wallS.toFixed(2)).join(", ")}; CPU ${s(median(timings.map((t) => t.cpuS)), 2)}`;
    const lines = [
        `no-op preview, floor (empty TypeScript program): median ${s(floor, 2)} (${runs(engine.floorPreviews)})`,
        `no-op preview, lab (${engine.labBreakdown.resources} resources): median ${s(lab, 2)} (${runs(engine.labPreviews)}); ` +
            `${s(lab - floor, 2)} above the floor; ${against(lab, floor + 2, `floor + 2 s = ${s(floor + 2, 2)}`)}`,
        "  where the lab's no-op preview goes (one more run with the engine's log on, -v=7; the floor's run beside it):",
        ...formatBreakdown(engine.labBreakdown, engine.floorBreakdown),
    ];
    if (evaluation !== undefined) {
        const program = evaluation.lab;
        lines.push(
            `  the lab program alone, under mocks: index.ts imported in ${s(program.importMs / 1000, 2)} ` +
                `(ts-node transpiling its ${program.transpiledFiles} files: ${s(program.transpileMs / 1000, 2)}; ` +
                `the rest is module code and constructing ${program.resources} resources), registrations settled ${s(program.settleMs / 1000, 2)} later`,
        );
    }
    return lines;
}

/** A candidate checkout's no-op preview, previewed in turns with the lab's on the same engine and containers. */
function candidateSection(engine: EngineFigures): string[] {
    const candidate = engine.candidate;
    if (candidate === undefined) return [];
    const lab = median(candidate.labPreviews.map((t) => t.wallS));
    const theirs = median(candidate.candidatePreviews.map((t) => t.wallS));
    const cpu = (timings: readonly Timing[]): number => median(timings.map((t) => t.cpuS));
    return [
        `candidate ${candidate.dir} (its first up on a copy of the lab's state: ${candidate.migration}):`,
        `  no-op preview in turns, lab then candidate: lab ${candidate.labPreviews.map((t) => t.wallS.toFixed(2)).join(", ")}; ` +
            `candidate ${candidate.candidatePreviews.map((t) => t.wallS.toFixed(2)).join(", ")}`,
        `  medians: lab ${s(lab, 2)} (CPU ${s(cpu(candidate.labPreviews), 2)}), candidate ${s(theirs, 2)} (CPU ${s(cpu(candidate.candidatePreviews), 2)}): ` +
            `${s(lab - theirs, 2)} less`,
        "  where the candidate's goes (-v=7):",
        ...formatBreakdown(candidate.breakdown, engine.floorBreakdown),
    ];
}

function evaluationSection(sizes: readonly EvaluationFigures[]): string[] {
    const thousand = sizes.find((figure) => figure.size === 1000);
    return sizes.map((figure) => {
        const seconds = figure.ms / 1000;
        let target = "";
        if (figure.size === 1000) target = `; ${against(seconds, 10, "10 s")}`;
        if (figure.size === 2000 && thousand !== undefined) {
            const limit = 2.2 * (thousand.ms / 1000);
            target = `; ${(figure.ms / thousand.ms).toFixed(2)} × 1000; ${against(seconds, limit, `2.2 × 1000 = ${s(limit)}`)}`;
        }
        return `evaluation under mocks, ${String(figure.size).padStart(4)} services (${figure.resources} resources): ${s(seconds, 2)} (CPU ${s(figure.cpuMs / 1000, 2)})${target}`;
    });
}

function upSection(engine: EngineFigures): string[] {
    const ratio = engine.coldUp.healthyS / engine.composeOrdered.healthyS;
    const returnedRatio = engine.coldUp.returnedS / engine.composeOrdered.returnedS;
    return [
        health("cold up, pulumi up (empty state):          ", engine.coldUp),
        health("cold up, docker-compose, all at once:      ", engine.composeAllAtOnce),
        health("cold up, docker-compose, program's order:  ", engine.composeOrdered),
        `  pulumi / compose with the same ordering: ${ratio.toFixed(2)} until all healthy (${against(ratio, 1.2, "1.2", "")}), ` +
            `${returnedRatio.toFixed(2)} returned; pulumi / compose all at once: ${(engine.coldUp.healthyS / engine.composeAllAtOnce.healthyS).toFixed(2)} until all healthy`,
        `one service changed (sonarr's image): pulumi up ${s(engine.changeS)}; sonarr down ${engine.downtimeS === undefined ? "(not healthy again within 60 s)" : s(engine.downtimeS)} (old container gone → new one healthy; healthcheck every 30 s)`,
        `pulumi destroy: ${s(engine.destroyS)}`,
    ];
}

function unitSection(unit: UnitSuite): string[] {
    return [
        `unit suite (npx jest --ci): ${s(unit.seconds)}, exit ${String(unit.exitCode)}; ${against(unit.seconds, 90, "90 s")}` +
            (unit.summary.length > 0 ? ` — ${unit.summary.join("; ")}` : ""),
    ];
}

/** The fleet lab beside the one-engine lab: each figure, and the fleet's over the one engine's. */
function fleetSection(figures: FleetFigures): string[] {
    const { fleet, oneEngine } = figures;
    const row = (label: string, ours: number, theirs: number, digits = 1): string =>
        `  ${label.padEnd(38)} fleet ${s(ours, digits).padStart(8)}, one engine ${s(theirs, digits).padStart(8)}: ${(ours / theirs).toFixed(2)} ×`;
    const load = (values: readonly number[]): string => values.map((value) => value.toFixed(1)).join(", ");
    return [
        `fleet lab (${fleet.engines} engines over SSH, ${fleet.containers} containers) against one engine ` +
            `(unix socket, ${oneEngine.containers} containers; beszel-agent runs once per engine), same run, stand-ins for every service:`,
        row("cold up (pulumi up, empty state):", fleet.coldUpS, oneEngine.coldUpS),
        row(
            `no-op preview (median of ${fleet.previewsS.length}, in turns):`,
            median(fleet.previewsS),
            median(oneEngine.previewsS),
            2,
        ),
        `    runs: fleet ${fleet.previewsS.map((v) => v.toFixed(2)).join(", ")}; one engine ${oneEngine.previewsS.map((v) => v.toFixed(2)).join(", ")}`,
        row("one service changed (sonarr's image):", fleet.changeS, oneEngine.changeS),
        row("destroy:", fleet.destroyS, oneEngine.destroyS),
        `  building the fleet (fleet.sh up: namespaces, engines, sshds, bootstrap scripts, NAS mounts): ${s(figures.fleetBuildS)}`,
        `  load average: ${load(figures.loadBefore)} before the fleet part, ${load(figures.loadAfter)} after (1, 5, 15 min)`,
    ];
}

const parts = ["evaluate", "engine", "fleet", "unit"] as const;
type Part = (typeof parts)[number];

/** `--skip=evaluate,unit` leaves parts out (while working on one). */
function skipped(args: readonly string[]): Set<Part> {
    const names = args.flatMap((arg) => (arg.startsWith("--skip=") ? arg.slice("--skip=".length).split(",") : []));
    for (const name of names) {
        if (!parts.some((part) => part === name)) throw new Error(`--skip: no part ${name} (${parts.join(", ")})`);
    }
    return new Set(parts.filter((part) => names.includes(part)));
}

/** `--candidate=DIR`: a checkout with a change to the program, previewed beside this one (see docs/speed.md). */
function candidateOf(args: readonly string[]): string | undefined {
    const arg = args.find((each) => each.startsWith("--candidate="));
    return arg === undefined ? undefined : path.resolve(arg.slice("--candidate=".length));
}

async function main(): Promise<void> {
    const skip = skipped(process.argv.slice(2));
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-bench-"));
    const started = process.hrtime.bigint();
    try {
        const machineLines = machine();
        for (const line of machineLines) say(line);
        let evaluation: Evaluation | undefined;
        if (!skip.has("evaluate")) {
            const sizes = await childJson<EvaluationFigures[]>("evaluate.ts", ["--json"]);
            evaluation = { sizes, lab: await childJson<LabProgramFigures>("lab-program.ts", []) };
        }
        const engine = skip.has("engine")
            ? undefined
            : await engineBench(work, say, candidateOf(process.argv.slice(2)));
        const fleet = skip.has("fleet") ? undefined : await fleetBench(work, say);
        let unit: UnitSuite | undefined;
        if (!skip.has("unit")) {
            say("unit suite: npx jest --ci …");
            unit = await unitSuite(path.join(work, "jest.log"));
            if (unit.exitCode !== 0) {
                const kept = path.join(os.tmpdir(), "homelab-bench-jest.log");
                fs.copyFileSync(path.join(work, "jest.log"), kept);
                say(`the unit suite failed; its output: ${kept}`);
            }
        }
        const total = Number(process.hrtime.bigint() - started) / 1e9;
        const [one, five] = os.loadavg();
        const lines = [
            `== npm run bench (${s(total, 0)}; targets are printed, not asserted) ==`,
            ...machineLines,
            "",
            ...(engine === undefined
                ? ["no-op preview: skipped"]
                : [...previewSection(engine, evaluation), ...candidateSection(engine)]),
            "",
            ...(evaluation === undefined ? ["evaluation: skipped"] : evaluationSection(evaluation.sizes)),
            "",
            ...(engine === undefined ? ["cold up and one-service change: skipped"] : upSection(engine)),
            "",
            ...(fleet === undefined ? ["fleet lab: skipped"] : fleetSection(fleet)),
            "",
            ...(unit === undefined ? ["unit suite: skipped"] : unitSection(unit)),
            `load average at the end: ${one?.toFixed(1) ?? "?"} (1 min), ${five?.toFixed(1) ?? "?"} (5 min)`,
        ];
        console.log("");
        for (const line of lines) console.log(line);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
