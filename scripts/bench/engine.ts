/**
 * The lab stack on a private Docker engine: cold `up`, a no-op `preview`, one service's image
 * change and that service's downtime, and the same containers brought up by docker-compose from a
 * compose file generated from the catalog. Prints figures; asserts nothing.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { catalog } from "../../catalog";
import { composeDocument } from "../../components/compose";
import { stackSettings } from "../../tests/helpers/program";
import { labSecretKeys, labStack, projectCopy, TestEngine } from "../../tests/integration/engine";

const run = promisify(execFile);
const services = catalog.filter((entry) => entry.enabled !== false);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-bench-"));
const standIn = { v1: "homelab-standin:v1", v2: "homelab-standin:v2" };
const secretKeys = labSecretKeys();

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
    const start = Date.now();
    const result = await work();
    return [result, (Date.now() - start) / 1000];
}

/** Samples one container until it is replaced and healthy again: old one gone → new one healthy. */
function watchDowntime(engine: TestEngine, name: string, oldId: string): () => number | undefined {
    let goneAt: number | undefined;
    let healthyAt: number | undefined;
    let stop = false;
    const loop = async (): Promise<void> => {
        while (!stop && healthyAt === undefined) {
            const probe = await run(
                "docker",
                [
                    "inspect",
                    "--format",
                    "{{.Id}} {{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
                    name,
                ],
                {
                    env: { ...process.env, DOCKER_HOST: engine.dockerHost },
                },
            ).catch(() => ({ stdout: "" }));
            const [id = "", running = "", health = ""] = probe.stdout.trim().split(" ");
            const now = Date.now();
            if (goneAt === undefined && (id !== oldId || running !== "true")) goneAt = now;
            if (goneAt !== undefined && id !== "" && id !== oldId && running === "true" && health === "healthy")
                healthyAt = now;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    };
    const done = loop();
    return () => {
        stop = true;
        void done;
        return goneAt !== undefined && healthyAt !== undefined ? (healthyAt - goneAt) / 1000 : undefined;
    };
}

/** When no container's healthcheck is still starting (polled every 250 ms, at most 5 minutes). */
async function allHealthy(engine: TestEngine): Promise<number> {
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
        // One `docker ps` per poll: "Up 3 seconds (health: starting)" until the first check passes.
        const states = engine.docker("ps", "--filter", "label=homelab.service", "--format", "{{.Status}}");
        if (!states.includes("health: starting")) return Date.now();
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return Date.now();
}

async function main(): Promise<void> {
    const engine = new TestEngine(path.join(work, "engine"));
    try {
        engine.buildStandIn(standIn.v1, "v1");
        engine.buildStandIn(standIn.v2, "v2");
        const lab = { appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: `${work}/data` };
        const labHosts = stackSettings("lab").hosts;
        const hosts = Object.fromEntries(
            Object.entries(labHosts).map(([name, host]) => [name, { ...host, dockerHost: engine.dockerHost }]),
        );
        const config = (offline: Record<string, unknown>) => ({
            "homelab:hosts": { value: JSON.stringify(hosts) },
            "homelab:storage": { value: JSON.stringify(lab) },
            "homelab:offline": { value: JSON.stringify({ standInImage: standIn.v1, ...offline }) },
        });
        const stack: Stack = await labStack(projectCopy(), work);
        await stack.setAllConfig(config({}));
        for (const key of secretKeys) await stack.setConfig(`homelab:${key}`, { value: `bench-${key}`, secret: true });

        const upStart = Date.now();
        const [, coldUp] = await timed(() => stack.up());
        const upHealthy = (await allHealthy(engine)) - upStart;
        const containers = engine.containersWithLabel("homelab.service").length;
        console.log(`pulumi up (cold, empty state): ${coldUp.toFixed(1)} s for ${containers} containers`);
        console.log(`pulumi up, then every healthcheck passing: ${(upHealthy / 1000).toFixed(1)} s`);
        const [, noop] = await timed(() => stack.preview());
        console.log(`pulumi preview (no change): ${noop.toFixed(1)} s`);

        await stack.setAllConfig(config({ images: { sonarr: standIn.v2 } }));
        const stopWatching = watchDowntime(engine, "sonarr", engine.inspect("sonarr").Id);
        const [, change] = await timed(() => stack.up());
        await new Promise((resolve) => setTimeout(resolve, 45_000)); // the new container's first healthcheck
        const downtime = stopWatching();
        console.log(`pulumi up (one image changed: sonarr): ${change.toFixed(1)} s`);
        console.log(
            `sonarr downtime (old container gone → new one healthy): ${downtime === undefined ? "not healthy within 45 s" : `${downtime.toFixed(1)} s`} (healthcheck interval 30 s)`,
        );
        const [, destroy] = await timed(() => stack.destroy());
        console.log(`pulumi destroy: ${destroy.toFixed(1)} s`);

        const settings = {
            ...stackSettings("lab"),
            hosts: stackSettings("lab").hosts,
            storage: lab,
            offline: { standInImage: standIn.v1, keep: [], images: {} },
        };
        const secrets = Object.fromEntries(secretKeys.map((key) => [key, `bench-${key}`]));
        const composeFile = path.join(work, "compose.yaml");
        fs.writeFileSync(composeFile, stringify(composeDocument(services, settings, secrets)));
        engine.docker("network", "create", "proxy");
        // The generated file orders like the program: depends_on with service_healthy where the
        // program waits for a database to be healthy.
        const composeStart = Date.now();
        const [, composeUp] = await timed(() =>
            run("docker-compose", ["-f", composeFile, "-p", "homelab", "up", "-d"], {
                env: { ...process.env, DOCKER_HOST: engine.dockerHost },
            }),
        );
        const composeHealthy = (await allHealthy(engine)) - composeStart;
        const composeContainers = engine.containersWithLabel("homelab.service").length;
        console.log(
            `docker-compose up -d (depends_on service_healthy as the program waits): ${composeUp.toFixed(1)} s for ${composeContainers} containers`,
        );
        console.log(`docker-compose up -d, then every healthcheck passing: ${(composeHealthy / 1000).toFixed(1)} s`);
        console.log(`ratio pulumi/compose (cold up, same ordering): ${(coldUp / composeUp).toFixed(2)}`);
        console.log(`ratio pulumi/compose (until all healthy): ${(upHealthy / composeHealthy).toFixed(2)}`);
        execFileSync("docker-compose", ["-f", composeFile, "-p", "homelab", "down"], {
            env: { ...process.env, DOCKER_HOST: engine.dockerHost },
            stdio: "ignore",
        });
    } finally {
        engine.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

void main();
