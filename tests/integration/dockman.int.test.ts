import { type Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { stackSettings } from "../helpers/program";
import { labSecretKeys, labStack, projectCopy, TestEngine, suiteWorkDir } from "./engine";

/**
 * One owner per container, on the real engine with Debian's docker-compose (v1.29): the lab runs
 * every catalog container labelled with its compose project and service, so Dockman groups it, but
 * docker-compose run as Dockman's Deploy/Update/Down buttons run it (`up -d`, `up
 * --remove-orphans`, `down --remove-orphans`) under each stack's project name leaves every one of
 * them alone; the stacks directory holds nothing compose could start; and a restart by container
 * id (Dockman's restart button) is no drift for the next refreshing preview.
 */

const services = catalog.filter((entry) => entry.enabled !== false);
const work = suiteWorkDir(path.join(os.tmpdir(), "homelab-dockman-"));
const lab = { appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: `${work}/data` };
const standIn = "homelab-standin:dockman";
/** Published ports bind here: beside the lab test's 127.0.0.1 and the adoption test's 127.0.0.2. */
const address = "127.0.0.3";

let engine: TestEngine;
let stack: Stack;
let project: string;
/** The program's containers after its up: name → id. */
let owned: Record<string, string>;

function labConfig(): Record<string, { value: string }> {
    const hosts = Object.fromEntries(
        Object.entries(stackSettings("lab").hosts).map(([name, host]) => [
            name,
            { ...host, address, dockerHost: engine.dockerHost, hostNetwork: false },
        ]),
    );
    return {
        "homelab:hosts": { value: JSON.stringify(hosts) },
        "homelab:storage": { value: JSON.stringify(lab) },
        "homelab:offline": { value: JSON.stringify({ standInImage: standIn }) },
    };
}

function compose(args: string[], cwd: string): { status: number | null; output: string } {
    const result = spawnSync("docker-compose", args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, DOCKER_HOST: engine.dockerHost },
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function composeOk(args: string[], cwd: string): string {
    const { status, output } = compose(args, cwd);
    if (status !== 0) throw new Error(`docker-compose ${args.join(" ")}:\n${output}`);
    return output;
}

/** Every container on the engine: name → id and whether it runs. */
function everyContainer(): Record<string, { id: string; running: boolean }> {
    const out = engine.docker("ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.ID}} {{.State}}");
    return Object.fromEntries(
        out
            .split("\n")
            .filter(Boolean)
            .map((line) => {
                const [name = "", id = "", state = ""] = line.split(" ");
                return [name, { id, running: state === "running" }];
            }),
    );
}

/** The program's containers as they are now: name → id, each still running. */
function ownedNow(): Record<string, string> {
    const all = everyContainer();
    return Object.fromEntries(
        Object.keys(owned).map((name) => {
            const found = all[name];
            return [name, found?.running === true ? found.id : found === undefined ? "gone" : "stopped"];
        }),
    );
}

const composeFileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

/** Every file under a directory, relative to it. */
function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) => {
        return fs.statSync(path.join(dir, file)).isFile();
    });
}

beforeAll(async () => {
    const version = spawnSync("docker-compose", ["version", "--short"], { encoding: "utf8" });
    if (version.status !== 0) throw new Error("docker-compose is missing: apt-get install docker-compose");
    engine = new TestEngine(path.join(work, "engine"));
    engine.buildStandIn(standIn, "dockman");
    project = projectCopy();
    stack = await labStack(project, work);
    await stack.setAllConfig(labConfig());
    for (const key of labSecretKeys()) await stack.setConfig(`homelab:${key}`, { value: `it-${key}`, secret: true });
});

afterAll(() => {
    engine.stop();
    // The project copy only (the work dir keeps the state and engine logs for a failed run).
    fs.rmSync(project, { recursive: true, force: true });
});

test("the program's containers carry the compose project and service Dockman groups by, and nothing compose adopts by", async () => {
    const result = await stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const names = engine.containersWithLabel("homelab.service");
    expect(names).toEqual(services.map((entry) => entry.name).sort());
    owned = Object.fromEntries(names.map((name) => [name, engine.inspect(name).Id]));
    for (const entry of services) {
        const labels = engine.inspect(entry.name).Config.Labels;
        expect([entry.name, labels["com.docker.compose.project"], labels["com.docker.compose.service"]]).toEqual([
            entry.name,
            entry.stack,
            entry.name,
        ]);
        expect([entry.name, labels["dockman.update.disable"]]).toEqual([entry.name, "true"]);
    }
    expect(engine.containersWithLabel("com.docker.compose.config-hash")).toEqual([]);
    expect(engine.containersWithLabel("com.docker.compose.oneoff")).toEqual([]);
    // The stacks below, as Dockman shows them: Sonarr in arr, Gluetun in torrent.
    expect(engine.inspect("sonarr").Config.Labels["com.docker.compose.project"]).toBe("arr");
    expect(engine.inspect("gluetun").Config.Labels["com.docker.compose.project"]).toBe("torrent");
});

test("the stacks directory (Dockman's compose root) holds no compose file: compose there finds nothing to up", () => {
    expect(fs.existsSync(lab.stacks)).toBe(true);
    expect(filesUnder(lab.stacks).filter((file) => composeFileNames.includes(path.basename(file)))).toEqual([]);
    const { status, output } = compose(["up", "-d"], lab.stacks);
    expect(status).not.toBe(0);
    expect(output).toContain("Can't find a suitable configuration file");
    expect(ownedNow()).toEqual(owned);
});

test("docker-compose up, up --remove-orphans and down --remove-orphans under each stack's project leave the program's containers alone", () => {
    const stacks = [...new Set(services.map((entry) => entry.stack))].sort();
    expect(stacks).toEqual([
        "arr",
        "auth",
        "books",
        "cloudflared",
        "dns-sync",
        "infra",
        "monitoring",
        "photos",
        "plex",
        "torrent",
    ]);
    // A stack of the owner's own in the stacks directory, as Dockman would run it: one trivial service.
    const scratch = path.join(work, "scratch");
    fs.mkdirSync(scratch, { recursive: true });
    fs.writeFileSync(
        path.join(scratch, "docker-compose.yml"),
        `version: "2.4"\nservices:\n  scratch:\n    image: ${standIn}\n    entrypoint: ["sleep", "600"]\n`,
    );
    for (const name of stacks) {
        const up = composeOk(["--project-name", name, "up", "-d"], scratch);
        // Compose v1 warns about orphans it sees under the project: it sees none of the program's.
        expect([name, up.includes("orphan")]).toEqual([name, false]);
        expect(everyContainer()[`${name}_scratch_1`]?.running).toBe(true);
        composeOk(["--project-name", name, "up", "-d", "--remove-orphans"], scratch);
        expect(everyContainer()[`${name}_scratch_1`]?.running).toBe(true);
        composeOk(["--project-name", name, "down", "--remove-orphans"], scratch);
        expect(everyContainer()[`${name}_scratch_1`]).toBeUndefined();
        expect([name, ownedNow()]).toEqual([name, owned]);
    }
});

test("a restart by container id (Dockman's restart) is no drift: a refreshing preview plans no change", async () => {
    const sonarr = owned.sonarr;
    if (sonarr === undefined) throw new Error("sonarr is not running");
    engine.docker("restart", sonarr);
    expect(ownedNow()).toEqual(owned);
    const preview = await stack.preview({ refresh: true });
    expect(Object.entries(preview.changeSummary).filter(([op]) => op !== "same")).toEqual([]);
});
