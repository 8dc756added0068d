/**
 * Recovers a stack after an interrupted `pulumi up` (killed, crashed, lost its connection):
 *   1. `pulumi cancel` drops the dead run's lock;
 *   2. `pulumi refresh --clear-pending-creates` forgets the creates it left half done and drops
 *      whatever it had already deleted;
 *   3. containers of the stack that run on an engine but are not in the state (a create the dead
 *      run finished without recording) are removed: they would block their fixed names;
 *   4. `pulumi up` converges.
 * Containers hold no data (appdata is bind-mounted from the host), so step 3 loses nothing.
 *   ts-node scripts/recover.ts --stack <name> [--no-up]   (run in the project directory)
 */
import { execFileSync, spawnSync } from "node:child_process";

interface StateResource {
    urn: string;
    id?: string;
    type: string;
    inputs?: Record<string, unknown>;
}

const args = process.argv.slice(2);
const stackArg = args[args.indexOf("--stack") + 1];
if (!args.includes("--stack") || stackArg === undefined) throw new Error("usage: recover.ts --stack <name> [--no-up]");
const stack: string = stackArg;

function pulumi(...command: string[]): string {
    return execFileSync("pulumi", [...command, "--stack", stack, "--non-interactive"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        // A stack export runs to megabytes.
        maxBuffer: 256 * 1024 * 1024,
    });
}

function docker(host: string, ...command: string[]): string[] {
    const result = spawnSync("docker", ["-H", host, ...command], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`docker ${command.join(" ")} on ${host}: ${result.stderr}`);
    return result.stdout.split("\n").filter(Boolean);
}

spawnSync("pulumi", ["cancel", "--yes", "--stack", stack, "--non-interactive"], { stdio: "inherit" });
pulumi("refresh", "--yes", "--skip-preview", "--clear-pending-creates");

const state = JSON.parse(pulumi("stack", "export")) as { deployment: { resources?: StateResource[] } };
const resources = state.deployment.resources ?? [];
const known = new Set(resources.filter((r) => r.type === "docker:index/container:Container").map((r) => r.id));
const engines = new Set(
    resources.flatMap((r) =>
        r.type === "pulumi:providers:docker" && typeof r.inputs?.host === "string" ? [r.inputs.host] : [],
    ),
);
let removed = 0;
for (const host of engines) {
    const ours = docker(host, "ps", "-aq", "--no-trunc", "--filter", "label=homelab.service");
    for (const id of ours.filter((candidate) => !known.has(candidate))) {
        docker(host, "rm", "-f", id);
        removed += 1;
    }
}
console.log(`recover: removed ${removed} container(s) the interrupted run left outside the state`);
if (!args.includes("--no-up")) console.log(pulumi("up", "--yes", "--skip-preview"));
