/**
 * The fleet lab (offline-toolchain/fleet/: four engines, each reached over SSH as production's
 * are) beside the one-engine lab (every host on one engine through its unix socket), in the same
 * run: cold `up`, no-op `preview` (in turns, fleet then one engine), one service's image change,
 * `destroy`. Both run the same catalog with the stand-in image for every service (Traefik too);
 * the only difference in containers is the every-host entry (beszel-agent), which the fleet runs
 * once per engine (four) and the one-engine lab once. The ratio is the cost of SSH per engine.
 * Figures only; nothing is asserted.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fleetLayout, fleetStackConfig } from "../../offline-toolchain/fleet/layout";
import { repoRoot, stackSettings, type AnyStack } from "../../tests/helpers/program";
import { EngineClient, labSecretKeys, labStack, projectCopy, TestEngine } from "../../tests/integration/engine";
import { hostNames } from "../../topology";

const standIn = { v1: "homelab-standin:v1", v2: "homelab-standin:v2" };
/** No-op previews of each, in turns. */
const previewRounds = 3;
/** The service whose image changes. */
const changed = "sonarr";

export interface SideFigures {
    engines: number;
    containers: number;
    coldUpS: number;
    previewsS: number[];
    changeS: number;
    destroyS: number;
}

export interface FleetFigures {
    fleet: SideFigures;
    oneEngine: SideFigures;
    /** fleet.sh up: four namespaces, engines and sshds, the bootstrap scripts and the NAS mounts. */
    fleetBuildS: number;
    loadBefore: number[];
    loadAfter: number[];
}

const elapsedS = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

async function timed(work: () => Promise<unknown>): Promise<number> {
    const start = process.hrtime.bigint();
    await work();
    return elapsedS(start);
}

/** A preview that must plan nothing: a preview with changes is not the no-op figure. */
async function noopPreview(stack: Stack, label: string): Promise<number> {
    const start = process.hrtime.bigint();
    const result = await stack.preview();
    const seconds = elapsedS(start);
    const changes = Object.entries(result.changeSummary).filter(([op, count]) => op !== "same" && count > 0);
    if (changes.length > 0) throw new Error(`${label}: the preview is not a no-op: ${JSON.stringify(changes)}`);
    return seconds;
}

interface Side {
    stack: Stack;
    engines: EngineClient[];
    config: (images: Record<string, string>) => Record<string, { value: string }>;
}

async function withSecrets(stack: Stack, name: AnyStack): Promise<void> {
    for (const key of labSecretKeys(name)) {
        await stack.setConfig(`homelab:${key}`, { value: `bench-${key}`, secret: true });
    }
}

const offline = (images: Record<string, string>): { value: string } => ({
    value: JSON.stringify({ standInImage: standIn.v1, keep: [], images }),
});

const containerCount = (engines: readonly EngineClient[]): number =>
    engines.reduce((sum, engine) => sum + engine.containersWithLabel("homelab.service").length, 0);

export async function fleetBench(work: string, say: (line: string) => void): Promise<FleetFigures> {
    const loadBefore = os.loadavg();
    // Short: the fleet's engine sockets live below it (108-byte limit); traversable by the deploy user.
    const fleetWork = fs.mkdtempSync("/tmp/hl-bench-");
    fs.chmodSync(fleetWork, 0o711);
    const fleetScript = path.join(repoRoot, "offline-toolchain/fleet/fleet.sh");
    const fleetCommand = (...args: string[]): string =>
        execFileSync("bash", [fleetScript, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const projects: string[] = [];
    let engine: TestEngine | undefined;
    try {
        const buildStart = process.hrtime.bigint();
        const summary = JSON.parse(fleetCommand("up", fleetWork)) as {
            path: string;
            hosts: Record<string, { address: string; socket: string }>;
        };
        const fleetBuildS = elapsedS(buildStart);
        say(`fleet: fleet.sh up ${fleetBuildS.toFixed(1)} s`);
        const fleetEngines = hostNames.map((name) => new EngineClient(summary.hosts[name]?.socket ?? ""));
        engine = new TestEngine(path.join(work, "fleet-one-engine"));
        for (const client of [...fleetEngines, engine]) {
            client.buildStandIn(standIn.v1, "v1");
            client.buildStandIn(standIn.v2, "v2");
        }

        const layout = fleetLayout(fleetWork);
        const fleetProject = projectCopy();
        projects.push(fleetProject);
        const fleetStack = await labStack(fleetProject, fleetWork, {
            stack: "fleet",
            env: { PATH: `${summary.path}:${process.env.PATH ?? ""}` },
        });
        const fleetConfig = fleetStackConfig(layout);
        const fleet: Side = {
            stack: fleetStack,
            engines: fleetEngines,
            config: (images) => ({
                "homelab:hosts": { value: JSON.stringify(fleetConfig["homelab:hosts"]) },
                "homelab:storage": { value: JSON.stringify(fleetConfig["homelab:storage"]) },
                "homelab:offline": offline(images),
            }),
        };

        const oneWork = path.join(work, "fleet-one");
        const oneProject = projectCopy();
        projects.push(oneProject);
        const dockerHost = engine.dockerHost;
        const hosts = Object.fromEntries(
            Object.entries(stackSettings("lab").hosts).map(([name, host]) => [name, { ...host, dockerHost }]),
        );
        const storage = { appdata: `${oneWork}/appdata`, stacks: `${oneWork}/stacks`, data: `${oneWork}/data` };
        const one: Side = {
            stack: await labStack(oneProject, oneWork),
            engines: [engine],
            config: (images) => ({
                "homelab:hosts": { value: JSON.stringify(hosts) },
                "homelab:storage": { value: JSON.stringify(storage) },
                "homelab:offline": offline(images),
            }),
        };

        await fleet.stack.setAllConfig(fleet.config({}));
        await withSecrets(fleet.stack, "fleet");
        await one.stack.setAllConfig(one.config({}));
        await withSecrets(one.stack, "lab");

        const coldFleet = await timed(() => fleet.stack.up());
        say(`fleet: pulumi up (cold) ${coldFleet.toFixed(1)} s, ${containerCount(fleet.engines)} containers`);
        const coldOne = await timed(() => one.stack.up());
        say(`one engine: pulumi up (cold) ${coldOne.toFixed(1)} s, ${containerCount(one.engines)} containers`);

        const fleetPreviews: number[] = [];
        const onePreviews: number[] = [];
        for (let round = 0; round < previewRounds; round += 1) {
            fleetPreviews.push(await noopPreview(fleet.stack, "fleet"));
            onePreviews.push(await noopPreview(one.stack, "one engine"));
        }
        say(
            `no-op previews (s): fleet ${fleetPreviews.map((s) => s.toFixed(2)).join(" ")}; ` +
                `one engine ${onePreviews.map((s) => s.toFixed(2)).join(" ")}`,
        );

        const figures = async (side: Side, coldUpS: number, previewsS: number[]): Promise<SideFigures> => {
            const containers = containerCount(side.engines);
            await side.stack.setAllConfig(side.config({ [changed]: standIn.v2 }));
            const changeS = await timed(() => side.stack.up());
            const destroyS = await timed(() => side.stack.destroy());
            return { engines: side.engines.length, containers, coldUpS, previewsS, changeS, destroyS };
        };
        const fleetFigures = await figures(fleet, coldFleet, fleetPreviews);
        say(
            `fleet: ${changed} changed ${fleetFigures.changeS.toFixed(1)} s, destroy ${fleetFigures.destroyS.toFixed(1)} s`,
        );
        const oneFigures = await figures(one, coldOne, onePreviews);
        say(
            `one engine: ${changed} changed ${oneFigures.changeS.toFixed(1)} s, destroy ${oneFigures.destroyS.toFixed(1)} s`,
        );
        return { fleet: fleetFigures, oneEngine: oneFigures, fleetBuildS, loadBefore, loadAfter: os.loadavg() };
    } finally {
        let down = false;
        try {
            fleetCommand("down", fleetWork);
            down = true;
        } catch (error) {
            console.error(`[bench] fleet.sh down ${fleetWork} failed (left in place): ${String(error)}`);
        }
        if (engine !== undefined) {
            try {
                const containers = engine.docker("ps", "-aq");
                if (containers !== "") engine.docker("rm", "-f", ...containers.split("\n"));
                engine.docker("network", "prune", "-f");
            } catch (error) {
                console.error(`[bench] could not clean the one-engine lab: ${String(error)}`);
            }
            engine.stop();
        }
        for (const project of projects) fs.rmSync(project, { recursive: true, force: true });
        // Only once nothing is mounted below it any more.
        if (down) fs.rmSync(fleetWork, { recursive: true, force: true });
    }
}
