/**
 * Recovers a stack after an interrupted `pulumi up` (killed, crashed, lost its connection):
 *   1. `pulumi cancel` drops the dead run's lock;
 *   2. every create the dead run left pending is looked up on its Docker engine by its fixed
 *      name: found ones are imported into the state, missing ones cleared;
 *   3. `pulumi up` converges.
 * Fixed container names make step 2 exact: a half-finished create either left a container with
 * that name (adopt it) or nothing (create it again); it never leaves a duplicate.
 *   ts-node scripts/recover.ts --stack <name> [--no-up]   (run in the project directory)
 */
import { execFileSync, spawnSync } from "node:child_process";

interface StateResource {
    urn: string;
    id?: string;
    type: string;
    inputs?: Record<string, unknown>;
    provider?: string;
}
interface Deployment {
    resources?: StateResource[];
    pending_operations?: { resource: StateResource; type: string }[];
}

const args = process.argv.slice(2);
const stackArg = args[args.indexOf("--stack") + 1];
if (!args.includes("--stack") || stackArg === undefined) throw new Error("usage: recover.ts --stack <name> [--no-up]");
const stack: string = stackArg;

function pulumi(...command: string[]): string {
    return execFileSync("pulumi", [...command, "--stack", stack, "--non-interactive"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
}

/** The id of what a pending create left on its engine, if anything. */
function findOnEngine(resource: StateResource, hosts: Map<string, string>): string | undefined {
    const host = hosts.get(resource.provider ?? "");
    const name = typeof resource.inputs?.name === "string" ? resource.inputs.name : undefined;
    if (host === undefined || name === undefined) return undefined;
    const lookups: Record<string, string[]> = {
        "docker:index/container:Container": ["ps", "-aq", "--no-trunc", "--filter", `name=^/${name}$`],
        "docker:index/network:Network": ["network", "ls", "-q", "--no-trunc", "--filter", `name=^${name}$`],
    };
    const lookup = lookups[resource.type];
    if (lookup === undefined) return undefined;
    const found = spawnSync("docker", ["-H", host, ...lookup], { encoding: "utf8" });
    const id = found.stdout.trim().split("\n")[0];
    return found.status === 0 && id ? id : undefined;
}

spawnSync("pulumi", ["cancel", "--yes", "--stack", stack, "--non-interactive"], { stdio: "inherit" });
const state = JSON.parse(pulumi("stack", "export")) as { deployment: Deployment };
const resources = state.deployment.resources ?? [];
// Provider reference "urn::id" → the Docker endpoint it talks to.
const hosts = new Map(
    resources
        .filter((r) => r.type === "pulumi:providers:docker" && typeof r.inputs?.host === "string")
        .map((r) => [`${r.urn}::${r.id ?? ""}`, String(r.inputs?.host)]),
);
const pending = (state.deployment.pending_operations ?? []).filter((op) => op.type === "creating");
const imports = pending.flatMap((op) => {
    const id = findOnEngine(op.resource, hosts);
    return id === undefined ? [] : [op.resource.urn, id];
});
console.log(`recover: ${pending.length} pending create(s), ${imports.length / 2} found on the engine and adopted`);
if (imports.length > 0) {
    // One flag per token: the CLI reads the list as URN ID URN ID ...
    pulumi("refresh", "--yes", "--skip-preview", ...imports.flatMap((token) => ["--import-pending-creates", token]));
}
pulumi("refresh", "--yes", "--skip-preview", "--clear-pending-creates");
if (!args.includes("--no-up")) console.log(pulumi("up", "--yes", "--skip-preview"));
