import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { catalogSecretRequests } from "../../catalog/secrets";
import { repoRoot, stackSettings } from "../helpers/program";

/** A Docker engine of the test's own (scripts/dockerd.sh), and a `docker` CLI bound to it. */
export class TestEngine {
    public readonly dockerHost: string;

    constructor(public readonly dir: string) {
        this.dockerHost = execFileSync("bash", [path.join(repoRoot, "scripts/dockerd.sh"), "start", dir], {
            encoding: "utf8",
        }).trim();
    }

    docker(...args: string[]): string {
        const result = spawnSync("docker", args, {
            encoding: "utf8",
            env: { ...process.env, DOCKER_HOST: this.dockerHost },
        });
        if (result.status !== 0) throw new Error(`docker ${args.join(" ")}: ${result.stderr}`);
        return result.stdout.trim();
    }

    buildStandIn(tag: string, marker: string): void {
        execFileSync("bash", [path.join(repoRoot, "offline-toolchain/standin/build.sh"), tag], {
            env: { ...process.env, DOCKER_HOST: this.dockerHost, STANDIN_MARKER: marker },
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
    Mounts: { Source: string; Destination: string; RW: boolean }[];
    NetworkSettings: { Networks: Record<string, unknown> };
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
export function labSecretKeys(): string[] {
    const services = catalog.filter((entry) => entry.enabled !== false);
    return catalogSecretRequests(services, stackSettings("lab")).map((request) => request.key);
}

/** The `lab` stack of a project copy, with a local file backend under `work` and a passphrase. */
export async function labStack(project: string, work: string): Promise<Stack> {
    fs.mkdirSync(`${work}/state`, { recursive: true });
    return LocalWorkspace.createOrSelectStack(
        { stackName: "lab", workDir: project },
        {
            envVars: {
                PULUMI_BACKEND_URL: `file://${work}/state`,
                PULUMI_CONFIG_PASSPHRASE: "integration-test",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            },
            secretsProvider: "passphrase",
        },
    );
}
