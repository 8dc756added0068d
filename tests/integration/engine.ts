import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { catalogSecretRequests } from "../../catalog/secrets";
import { standInVariants } from "../../components/offline";
import { repoRoot, stackSettings, type AnyStack } from "../helpers/program";

/** A `docker` CLI bound to one engine. */
export class EngineClient {
    constructor(public readonly dockerHost: string) {}

    docker(...args: string[]): string {
        const result = spawnSync("docker", args, {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: this.dockerHost },
        });
        if (result.status !== 0) throw new Error(`docker ${args.join(" ")}: ${result.stderr}`);
        return result.stdout.trim();
    }

    /** The stand-in `tag` and its variants that declare the catalog's image volumes (runtimeImage picks them). */
    buildStandIn(tag: string, marker: string): void {
        const variants = standInVariants(tag, catalog).map(({ image, volumes }) => [image, ...volumes].join(" "));
        execFileSync("bash", [path.join(repoRoot, "offline-toolchain/standin/build.sh"), tag], {
            env: {
                ...process.env,
                DOCKER_HOST: this.dockerHost,
                STANDIN_MARKER: marker,
                STANDIN_VARIANTS: variants.join("\n"),
            },
            stdio: "inherit",
        });
    }

    /** The real Traefik, built from its Go module and tagged as the catalog's image (offline-toolchain/traefik/). */
    buildTraefik(tag: string): void {
        execFileSync("bash", [path.join(repoRoot, "offline-toolchain/traefik/build.sh"), tag], {
            env: { ...process.env, DOCKER_HOST: this.dockerHost },
            stdio: ["ignore", "ignore", "inherit"],
        });
    }

    inspect(name: string): ContainerInfo {
        return (JSON.parse(this.docker("inspect", name)) as ContainerInfo[])[0] as ContainerInfo;
    }

    containersWithLabel(label: string): string[] {
        const out = this.docker("ps", "-a", "--filter", `label=${label}`, "--format", "{{.Names}}");
        return out === "" ? [] : out.split("\n").sort();
    }
}

/** A Docker engine of the test's own (scripts/dockerd.sh). */
export class TestEngine extends EngineClient {
    constructor(public readonly dir: string) {
        super(
            execFileSync("bash", [path.join(repoRoot, "scripts/dockerd.sh"), "start", dir], {
                encoding: "utf8",
            }).trim(),
        );
    }

    stop(): void {
        execFileSync("bash", [path.join(repoRoot, "scripts/dockerd.sh"), "stop", this.dir], { stdio: "inherit" });
    }
}

export interface ContainerInfo {
    Id: string;
    Name: string;
    State: { Running: boolean; Health?: { Status: string } };
    Config: { User: string; Env: string[]; Labels: Record<string, string>; Image: string };
    HostConfig: {
        NetworkMode: string;
        RestartPolicy: { Name: string };
        LogConfig: { Type: string; Config: Record<string, string> };
        Binds: string[] | null;
    };
    /** Type: "bind", "volume" (a named or anonymous volume), "tmpfs", ... */
    Mounts: { Type: string; Source: string; Destination: string; RW: boolean }[];
    NetworkSettings: { Networks: Record<string, unknown> };
}

/** What `docker image inspect` shows of an image. */
export interface ImageInfo {
    Id: string;
    Config: { Volumes: Record<string, unknown> | null };
}

/**
 * A suite's work dir (state, engine data and logs), kept after the run for a failure's logs. When
 * the test command runs the suites it names a list file in HOMELAB_TEST_WORK_DIRS, and removes the
 * dirs a passing run made (scripts/test.sh).
 */
export function suiteWorkDir(prefix: string): string {
    const dir = fs.mkdtempSync(prefix);
    const list = process.env.HOMELAB_TEST_WORK_DIRS;
    if (list !== undefined && list !== "") fs.appendFileSync(list, `${dir}\n`);
    return dir;
}

/**
 * A copy of the project to run the real engine on, so the test's stack config never touches
 * the repository's Pulumi.lab.yaml. node_modules is linked, not copied.
 */
export function projectCopy(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-project-"));
    const skip = new Set(["node_modules", ".git", ".lab", "coverage"]);
    for (const entry of fs.readdirSync(repoRoot)) {
        if (skip.has(entry)) continue;
        fs.cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** The secret keys the lab stack reads, from the catalog: the test gives each a throwaway value. */
export function labSecretKeys(stack: AnyStack = "lab"): string[] {
    const services = catalog.filter((entry) => entry.enabled !== false);
    return catalogSecretRequests(services, stackSettings(stack)).map((request) => request.key);
}

/** A stack of a project copy (`lab` unless named), with a local file backend under `work` and a passphrase. */
export async function labStack(
    project: string,
    work: string,
    options: { stack?: AnyStack; env?: Record<string, string> } = {},
): Promise<Stack> {
    fs.mkdirSync(`${work}/state`, { recursive: true });
    return LocalWorkspace.createOrSelectStack(
        { stackName: options.stack ?? "lab", workDir: project },
        {
            envVars: {
                PULUMI_BACKEND_URL: `file://${work}/state`,
                PULUMI_CONFIG_PASSPHRASE: "integration-test",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                ...options.env,
            },
            secretsProvider: "passphrase",
        },
    );
}

export interface ProcessInfo {
    pid: number;
    command: string;
}

/** Every living process below `root` (children, their children, …), from /proc. */
export function descendants(root: number): ProcessInfo[] {
    const parents = new Map<number, number>();
    const commands = new Map<number, string>();
    for (const entry of fs.readdirSync("/proc")) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) continue;
        try {
            // The command name is in parentheses and may hold spaces: the fields after it are fixed.
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            parents.set(pid, Number(fields[1]));
            commands.set(pid, fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim());
        } catch {
            // gone meanwhile
        }
    }
    const found: ProcessInfo[] = [];
    const visit = (pid: number): void => {
        for (const [child, parent] of parents) {
            if (parent !== pid) continue;
            found.push({ pid: child, command: commands.get(child) ?? "" });
            visit(child);
        }
    };
    visit(root);
    return found;
}

/** The ones of `processes` still running (a zombie counts as gone). */
export function stillRunning(processes: readonly ProcessInfo[]): ProcessInfo[] {
    return processes.filter((process) => {
        try {
            const stat = fs.readFileSync(`/proc/${process.pid}/stat`, "utf8");
            return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z";
        } catch {
            return false;
        }
    });
}

export interface KilledRun {
    /** Every process below the killed `pulumi up` when it was killed. */
    started: ProcessInfo[];
    /** Of those, the project's own language host. */
    languageHost: ProcessInfo[];
    /** What was still running after the language host had had its time to exit. */
    outlived: ProcessInfo[];
}

/**
 * Runs `pulumi up` on the stack and SIGKILLs it once three containers are being replaced, then
 * gives the project's language host 15 s to notice its engine is gone and exit, kills what
 * outlives it (upstream plugins run in process groups of their own), and runs the documented
 * recovery (scripts/recover.ts).
 */
export async function killUpMidRun(stack: Stack, project: string): Promise<KilledRun> {
    const env = { ...process.env, ...stack.workspace.envVars };
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", stack.name, "--non-interactive"], {
        cwd: project,
        env,
    });
    let output = "";
    let started: ProcessInfo[] = [];
    await new Promise<void>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            const replaced = output.match(/docker:index:Container \S+ (deleted original|created replacement)/g) ?? [];
            // Once: output still arriving after the kill must not take a second, emptier snapshot.
            if (replaced.length >= 3 && child.pid !== undefined && started.length === 0) {
                started = descendants(child.pid);
                child.kill("SIGKILL");
            }
        });
        child.on("exit", () => {
            resolve();
        });
    });
    if (child.signalCode !== "SIGKILL") throw new Error(`pulumi up ended before it was killed:\n${output}`);
    const languageHost = started.filter((info) => info.command.includes("pulumi-language-nodejs"));
    const deadline = Date.now() + 15_000;
    while (stillRunning(languageHost).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const outlived = stillRunning(started);
    for (const info of outlived) {
        try {
            process.kill(info.pid, "SIGKILL");
        } catch {
            // exited meanwhile
        }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    execFileSync("npx", ["ts-node", "--transpile-only", "scripts/recover.ts", "--stack", stack.name], {
        cwd: project,
        env,
        stdio: "inherit",
    });
    return { started, languageHost, outlived };
}
