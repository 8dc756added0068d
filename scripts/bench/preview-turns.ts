/**
 * No-op previews of several variants of the lab in turns, on one private engine: the floor, this
 * checkout, and each `label=DIR[,KEY=VALUE…]` given (a checkout with a change, and/or environment
 * variables for its runs). Each variant takes over a copy of the lab's state with one `up` first.
 * For comparing changes to the program or its runtime in paired rounds on a busy machine; the
 * main bench (`npm run bench`) has the full picture. Run it as the bench runs (scripts/bench/run.sh
 * sets up Node.js and the engine), under the lab lock:
 *   flock /tmp/homelab-lab.lock npx ts-node --transpile-only scripts/bench/preview-turns.ts \
 *       --rounds=5 swc=/tmp/candidate cache=.,NODE_COMPILE_CACHE=/tmp/ncc
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectCopy, TestEngine } from "../../tests/integration/engine";
import { breakdown, formatBreakdown, parseEngineLog } from "./breakdown";
import { cliEnv, floorStack, labOnEngine, noopPreview, removeNetworks, standIn, takeOver, type Timing } from "./engine";

interface Variant {
    label: string;
    dir: string;
    env: NodeJS.ProcessEnv;
    runs: Timing[];
}

const say = (line: string): void => {
    console.log(`[turns] ${line}`);
};

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const load = (): string =>
    os
        .loadavg()
        .slice(0, 2)
        .map((value) => value.toFixed(1))
        .join("/");

function parseVariant(arg: string): { label: string; dir: string; env: Record<string, string> } {
    const [head = "", ...settings] = arg.split(",");
    const [label = "", dir = ""] = head.split("=");
    if (label === "" || dir === "") throw new Error(`${arg}: expected label=DIR[,KEY=VALUE…]`);
    const env = Object.fromEntries(
        settings.map((setting) => {
            const at = setting.indexOf("=");
            if (at < 1) throw new Error(`${arg}: ${setting} is not KEY=VALUE`);
            return [setting.slice(0, at), setting.slice(at + 1)];
        }),
    );
    return { label, dir: path.resolve(dir), env };
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const rounds = Number(args.find((arg) => arg.startsWith("--rounds="))?.slice("--rounds=".length) ?? "3");
    const wanted = args.filter((arg) => !arg.startsWith("--")).map(parseVariant);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-turns-"));
    const engine = new TestEngine(path.join(work, "engine"));
    let project: string | undefined;
    try {
        engine.buildStandIn(standIn.v1, "v1");
        const env = cliEnv(work, engine.dockerHost);
        const floor = await floorStack(work);
        await floor.stack.up();
        project = projectCopy();
        const { stack } = await labOnEngine(work, engine, project);
        await stack.up();
        say(`lab up (load ${load()})`);
        const variants: Variant[] = [
            { label: "floor", dir: floor.dir, env, runs: [] },
            { label: "lab", dir: project, env, runs: [] },
        ];
        for (const [index, want] of wanted.entries()) {
            const taken = await takeOver(work, { ...env, ...want.env }, project, want.dir, `variant-${index}`);
            say(`${want.label}: its first up on a copy of the lab's state: ${taken.migration}`);
            variants.push({ label: want.label, dir: taken.dir, env: taken.env, runs: [] });
        }
        for (let round = 0; round < rounds; round += 1) {
            const line: string[] = [];
            for (const variant of variants) {
                const stackName = variant.label === "floor" ? "floor" : "lab";
                const timing = await noopPreview(variant.dir, stackName, variant.env);
                variant.runs.push(timing);
                line.push(`${variant.label} ${timing.wallS.toFixed(2)}`);
            }
            say(`round ${round + 1} (load ${load()}): ${line.join(", ")}`);
        }
        const floorMedian = median(variants[0]?.runs.map((t) => t.wallS) ?? []);
        for (const variant of variants) {
            const wall = median(variant.runs.map((t) => t.wallS));
            const cpu = median(variant.runs.map((t) => t.cpuS));
            say(
                `${variant.label}: median ${wall.toFixed(2)} s (CPU ${cpu.toFixed(2)} s), ${(wall - floorMedian).toFixed(2)} s above the floor`,
            );
        }
        const logged = await noopPreview(floor.dir, "floor", env, true);
        const floorBreakdown = breakdown(parseEngineLog(logged.stderr), logged.wallS * 1000);
        for (const variant of variants.slice(1)) {
            const run = await noopPreview(variant.dir, "lab", variant.env, true);
            say(`${variant.label}, one run with the engine's log (load ${load()}):`);
            for (const row of formatBreakdown(
                breakdown(parseEngineLog(run.stderr), run.wallS * 1000),
                floorBreakdown,
            )) {
                console.log(row);
            }
        }
        await stack.destroy();
    } finally {
        removeNetworks(engine);
        engine.stop();
        if (project !== undefined) fs.rmSync(project, { recursive: true, force: true });
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
