import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../catalog";
import type { ServiceEntry } from "../catalog/types";
import { directoriesFor, healthcheckFor, type OwnedDirectory } from "../components/spec";
import { directoriesScript } from "../hosts/directories";
import { localDirectoriesProvider } from "../hosts/local-directories";
import { loadProgram, stackSettings, type Program } from "./helpers/program";

const entry = (name: string): ServiceEntry => {
    const found = catalog.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no catalog entry ${name}`);
    return found;
};
const prod = stackSettings("prod");
const lab = stackSettings("lab");
const prodHost = (name: string): NonNullable<(typeof prod.hosts)[string]> => {
    const host = prod.hosts[name];
    if (host === undefined) throw new Error(`no host ${name}`);
    return host;
};

describe("the directories a service needs before it starts", () => {
    test("a service running as 2000:2000 gets its appdata and sub-directories with that owner, enforced", () => {
        // The worker shares the server's data and custom-templates, as upstream's compose does.
        expect(directoriesFor(entry("authentik-worker"), prod, prodHost("auth-prod-01"))).toEqual([
            { path: "/opt/appdata/authentik-server", uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
            { path: "/opt/appdata/authentik-server/data", uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
            {
                path: "/opt/appdata/authentik-server/custom-templates",
                uid: 2000,
                gid: 2000,
                mode: "0750",
                enforceOwner: true,
            },
            { path: "/opt/appdata/authentik-worker", uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
            { path: "/opt/appdata/authentik-worker/certs", uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
            {
                path: "/opt/appdata/authentik-worker/blueprints",
                uid: 2000,
                gid: 2000,
                mode: "0750",
                enforceOwner: true,
            },
        ]);
    });

    test("Dockman gets the stacks directory it manages, owned 2000:2000 like the bootstrap makes it", () => {
        expect(directoriesFor(entry("dockman"), prod, prodHost("docker-prod-01"))).toEqual([
            { path: "/opt/appdata/dockman", uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
            { path: "/opt/stacks", uid: 2000, gid: 2000, mode: "0755", enforceOwner: true },
        ]);
    });

    test("a database's directory is created as root if missing and then left to its entrypoint", () => {
        expect(directoriesFor(entry("immich-postgres"), prod, prodHost("immich-prod-01"))).toEqual([
            { path: "/opt/appdata/immich-postgres", uid: 0, gid: 0, mode: "0755", enforceOwner: false },
        ]);
    });

    test("Seerr's appdata belongs to the image's node user, 1000:1000", () => {
        expect(directoriesFor(entry("seerr"), prod, prodHost("docker-prod-01"))).toEqual([
            { path: "/opt/appdata/seerr", uid: 1000, gid: 1000, mode: "0750", enforceOwner: true },
        ]);
    });

    test("prod never creates data directories on a VM (an empty one would hide a missing NFS mount)", () => {
        expect(directoriesFor(entry("sonarr"), prod, prodHost("docker-prod-01")).map((d) => d.path)).toEqual([
            "/opt/appdata/sonarr",
        ]);
    });

    test("the lab, which has no NAS, creates the data paths a service uses and its import paths", () => {
        const host = lab.hosts["docker-prod-01"];
        if (host === undefined) throw new Error("no lab host");
        expect(directoriesFor(entry("sonarr"), lab, host).map((d) => [d.path, d.uid, d.mode])).toEqual([
            ["/var/tmp/homelab-lab/appdata/sonarr", 2000, "0750"],
            ["/var/tmp/homelab-lab/data", 2000, "0775"],
            ["/var/tmp/homelab-lab/data/downloads", 2000, "0775"],
            ["/var/tmp/homelab-lab/data/media", 2000, "0775"],
        ]);
        expect(directoriesFor(entry("audiobookshelf"), lab, host).map((d) => d.path)).toEqual([
            "/var/tmp/homelab-lab/appdata/audiobookshelf",
            "/var/tmp/homelab-lab/appdata/audiobookshelf/config",
            "/var/tmp/homelab-lab/appdata/audiobookshelf/metadata",
            "/var/tmp/homelab-lab/data",
            "/var/tmp/homelab-lab/data/media",
            "/var/tmp/homelab-lab/data/media/audiobooks",
            "/var/tmp/homelab-lab/data/media/podcasts",
        ]);
    });
});

const isRoot = process.getuid?.() === 0;
const asRoot = isRoot ? test : test.skip;

/** Runs both executors of the same directory list on a fresh temp tree and returns what they left. */
function tree(root: string): Record<string, string> {
    const result: Record<string, string> = {};
    for (const name of fs.readdirSync(root, { recursive: true }) as string[]) {
        const stat = fs.statSync(path.join(root, name));
        result[name] = `${stat.uid}:${stat.gid} ${(stat.mode & 0o7777).toString(8)}`;
    }
    return result;
}

describe("both executors give the same result (the host script and the lab's in-process one)", () => {
    const plan = (root: string): OwnedDirectory[] => [
        { path: `${root}/app`, uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
        { path: `${root}/app/sub`, uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
        { path: `${root}/wrong`, uid: 2000, gid: 2000, mode: "0750", enforceOwner: true },
        { path: `${root}/db`, uid: 0, gid: 0, mode: "0755", enforceOwner: false },
        { path: `${root}/db-existing`, uid: 0, gid: 0, mode: "0755", enforceOwner: false },
    ];
    const made: string[] = [];
    afterAll(() => {
        for (const root of made) {
            fs.rmSync(root, { recursive: true, force: true });
            fs.rmSync(`${root}.sh`, { force: true });
        }
    });
    const prepare = (): string => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-dirs-"));
        made.push(root);
        // Docker made this one as root before; a database's entrypoint gave that one to postgres (999).
        fs.mkdirSync(`${root}/wrong`, { mode: 0o755 });
        fs.mkdirSync(`${root}/db-existing`, { mode: 0o700 });
        fs.chownSync(`${root}/db-existing`, 999, 999);
        return root;
    };
    const expected = {
        app: "2000:2000 750",
        "app/sub": "2000:2000 750",
        wrong: "2000:2000 755",
        db: "0:0 755",
        "db-existing": "999:999 700",
    };

    asRoot("the generated script, run as root", () => {
        const root = prepare();
        const script = path.join(root, "..", `${path.basename(root)}.sh`);
        fs.writeFileSync(script, directoriesScript("test-host", plan(root)));
        execFileSync("shellcheck", [script]);
        execFileSync("bash", [script]);
        execFileSync("bash", [script]); // idempotent
        expect(tree(root)).toEqual(expected);
    });

    asRoot("the lab's dynamic provider", async () => {
        const root = prepare();
        await localDirectoriesProvider.create({ directories: plan(root) });
        await localDirectoriesProvider.create({ directories: plan(root) });
        expect(tree(root)).toEqual(expected);
    });
});

describe("containers wait for their host's directories", () => {
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("prod");
    });

    test("one remote script per host writes exactly that host's directories", () => {
        const scripts = program
            .ofType("command:remote:Command")
            .filter((command) => command.name.startsWith("directories-"));
        expect(scripts.map((command) => command.name).sort()).toEqual([
            "directories-auth-prod-01-create",
            "directories-docker-prod-01-create",
            "directories-immich-prod-01-create",
            "directories-nas-prod-01-create",
        ]);
        const auth = scripts.find((command) => command.name === "directories-auth-prod-01-create");
        const stdin = String(auth?.inputs.stdin);
        expect(stdin).toContain("ensure_dir '/opt/appdata/authentik-server/data' 2000 2000 0750 enforce");
        expect(stdin).toContain("ensure_dir '/opt/appdata/authentik-postgresql' 0 0 0755 keep");
        expect(stdin).not.toContain("sonarr");
        const nas = scripts.find((command) => command.name === "directories-nas-prod-01-create");
        expect(String(nas?.inputs.stdin)).toContain("ensure_dir '/mnt/user/appdata/plex' 2000 2000 0750 enforce");
    });

    test("every container depends on its host's directory script", () => {
        const scripts = new Map(
            program
                .ofType("command:remote:Command")
                .filter((command) => command.name.startsWith("directories-"))
                .map((command) => [command.name.replace(/^directories-|-create$/g, ""), command.urn]),
        );
        const containers = program.ofType("docker:index/container:Container");
        expect(containers.length).toBeGreaterThan(30);
        for (const container of containers) {
            const labels = container.inputs.labels as { label: string; value: string }[];
            const host = labels.find((label) => label.label === "homelab.host")?.value ?? "";
            expect({
                container: container.name,
                waits: container.dependencies.includes(scripts.get(host) ?? "-"),
            }).toEqual({
                container: container.name,
                waits: true,
            });
        }
    });
});

describe("healthchecks probe quickly while a container starts, where the engine can", () => {
    test("a Docker 25+ host gets a 2 s start interval", () => {
        expect(healthcheckFor(entry("sonarr"), prodHost("docker-prod-01"))).toEqual({
            tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://localhost:8989/ping"],
            interval: "30s",
            timeout: "10s",
            retries: 3,
            startPeriod: "1m0s",
            startInterval: "2s",
        });
    });

    test("the lab's Docker 20.10 gets none (it would read back as a perpetual diff)", () => {
        const host = lab.hosts["docker-prod-01"];
        if (host === undefined) throw new Error("no lab host");
        expect(healthcheckFor(entry("sonarr"), host)).not.toHaveProperty("startInterval");
    });
});
