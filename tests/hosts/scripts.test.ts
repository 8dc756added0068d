import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    appdataBackup,
    appdataBackupInstaller,
    appdataBackupPlan,
    appdataBackupRemoval,
    appdataBackupScript,
    appdataBackupService,
    appdataBackupTimer,
    pingEnvFile,
    plexBackupCron,
    plexBackupInstaller,
    plexBackupPlan,
    plexBackupRemoval,
    plexBackupScript,
    type PlexBackupPlan,
} from "../../hosts/backups/scripts";
import { baseScript, mountsScript, mountUnit, nfsMounts, systemdEscapePath } from "../../hosts/bootstrap-scripts";
import { vmHosts } from "../../hosts/problems";
import { runStdinScript, writeSecretFileCommand } from "../../hosts/remote";
import { stackSettings } from "../helpers/program";

const settings = stackSettings("prod");
const backups = settings.backups;
if (backups?.appdata === undefined || backups.plex === undefined) throw new Error("prod has no Tier 1 backups");
const appdataPlan = appdataBackupPlan(settings, backups.appdata.host, backups.appdata.onCalendar);
const plexConfig = backups.plex;
const plexPlan = plexBackupPlan(settings, plexConfig);
const docker = vmHosts(settings).find((vm) => vm.name === "docker-prod-01");
if (docker === undefined) throw new Error("prod has no docker-prod-01 VM");
const mounts = nfsMounts(docker.host, settings);

/** Every generated script, by the name it has on the host. */
const scripts: Record<string, string> = {
    ...Object.fromEntries(
        vmHosts(settings).flatMap(({ name, host }) => [
            [`bootstrap-base-${name}.sh`, baseScript(name, "deploy", settings)],
            [`bootstrap-mounts-${name}.sh`, mountsScript(name, nfsMounts(host, settings))],
        ]),
    ),
    "homelab-appdata-backup": appdataBackupScript(appdataPlan),
    "install-appdata-backup.sh": appdataBackupInstaller(appdataPlan),
    "plex-backup.sh": plexBackupScript(plexPlan),
    "install-plex-backup.sh": plexBackupInstaller(plexPlan),
};

/** The one-line commands the remote commands run, as sh sees them. */
const commandLines: Record<string, string> = {
    "run-stdin-script-deploy": runStdinScript("deploy"),
    "run-stdin-script-root": runStdinScript("root"),
    "write-ping-url-deploy": writeSecretFileCommand("deploy", appdataBackup.envFile),
    "write-ping-url-root": writeSecretFileCommand("root", plexPlan.envFile),
    "remove-appdata-backup": appdataBackupRemoval("deploy"),
    "remove-plex-backup": plexBackupRemoval(plexPlan),
};

const units: Record<string, string> = {
    ...Object.fromEntries(mounts.map((mount) => [mount.unit, mountUnit(mount)])),
    "homelab-appdata-backup.service": appdataBackupService(appdataPlan),
    "homelab-appdata-backup.timer": appdataBackupTimer(appdataPlan),
};

const has = (binary: string, args: string[]): boolean => spawnSync(binary, args).status === 0;
const hasShellcheck = has("shellcheck", ["--version"]);
const hasSystemdAnalyze = has("systemd-analyze", ["--version"]);
const systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((dir) =>
    fs.existsSync(path.join(dir, "sysinit.target")),
);

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "homelab-hosts-"));
}

describe("generated files (snapshots: one place generates them)", () => {
    test.each(Object.keys(scripts))("script %s", (name) => {
        expect(scripts[name]).toMatchSnapshot();
    });
    test.each(Object.keys(units))("unit %s", (name) => {
        expect(units[name]).toMatchSnapshot();
    });
    test("command lines and the Unraid cron entry", () => {
        expect({ ...commandLines, cron: plexBackupCron(plexPlan) }).toMatchSnapshot();
    });
    test("mount units are named as systemd requires (systemd-escape --path)", () => {
        expect(systemdEscapePath("/data/media")).toBe("data-media");
        expect(systemdEscapePath("/data/my-share/x.y")).toBe("data-my\\x2dshare-x.y");
        expect(systemdEscapePath("/.hidden/a b")).toBe("\\x2ehidden-a\\x20b");
        expect(mounts.map((m) => [m.unit, m.where, m.options])).toEqual([
            ["data-media.mount", "/data/media", "_netdev,hard,noatime"],
            ["data-downloads.mount", "/data/downloads", "_netdev,hard,noatime"],
            ["data-photos.mount", "/data/photos", "_netdev,hard,noatime"],
            ["data-backups.mount", "/data/backups", "_netdev,hard,noatime"],
        ]);
    });
    test("the ping URL env file is one quoted line, for systemd and bash alike", () => {
        expect(pingEnvFile("https://hc-ping.com/abc")).toBe("PING_URL='https://hc-ping.com/abc'\n");
        expect(pingEnvFile("https://x/it's")).toBe("PING_URL='https://x/it'\\''s'\n");
        expect(() => pingEnvFile("https://x/\nEVIL=1")).toThrow(/one line/);
    });
});

const shellcheckReason = "shellcheck is not installed (Debian: apt-get install shellcheck; CI installs it)";
describe(hasShellcheck ? "shellcheck" : `shellcheck (skipped: ${shellcheckReason})`, () => {
    const run = hasShellcheck ? test.each : test.skip.each;
    run(Object.keys(scripts))("%s passes shellcheck", (name) => {
        const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], {
            input: scripts[name],
            encoding: "utf8",
        });
        expect(result.stdout + result.stderr).toBe("");
        expect(result.status).toBe(0);
    });
    run(Object.keys(commandLines))("command line %s passes shellcheck as sh", (name) => {
        const result = spawnSync("shellcheck", ["--shell=sh", "--severity=style", "-"], {
            input: `#!/bin/sh\n${commandLines[name] ?? ""}\n`,
            encoding: "utf8",
        });
        expect(result.stdout + result.stderr).toBe("");
        expect(result.status).toBe(0);
    });
});

const systemdReason = !hasSystemdAnalyze
    ? "systemd-analyze is not installed (Debian package systemd)"
    : "this machine has no systemd unit directory (sysinit.target) to verify against";
describe(
    hasSystemdAnalyze && systemUnits ? "systemd-analyze verify" : `systemd-analyze verify (skipped: ${systemdReason})`,
    () => {
        (hasSystemdAnalyze && systemUnits ? test : test.skip)(
            "mount units, service and timer verify cleanly in a scratch root",
            () => {
                const root = tempDir();
                const unitDir = path.join(root, "etc/systemd/system");
                fs.mkdirSync(unitDir, { recursive: true });
                // The units refer to the standard targets: the scratch root gets a copy of this machine's.
                const standard = path.join(root, "usr/lib/systemd/system");
                fs.mkdirSync(standard, { recursive: true });
                for (const entry of fs.readdirSync(systemUnits ?? "", { withFileTypes: true })) {
                    if (entry.isFile())
                        fs.copyFileSync(path.join(entry.parentPath, entry.name), path.join(standard, entry.name));
                }
                const script = path.join(root, appdataBackup.script);
                fs.mkdirSync(path.dirname(script), { recursive: true });
                fs.writeFileSync(script, scripts["homelab-appdata-backup"] ?? "", { mode: 0o755 });
                for (const [name, content] of Object.entries(units))
                    fs.writeFileSync(path.join(unitDir, name), content);
                const result = spawnSync(
                    "systemd-analyze",
                    ["verify", `--root=${root}`, ...Object.keys(units).map((name) => `/etc/systemd/system/${name}`)],
                    { encoding: "utf8" },
                );
                expect(result.stderr).toBe("");
                expect(result.status).toBe(0);
                fs.rmSync(root, { recursive: true, force: true });
            },
        );
        (hasSystemdAnalyze ? test : test.skip)("the timer's calendar event is one systemd accepts", () => {
            const result = spawnSync("systemd-analyze", ["calendar", appdataPlan.onCalendar], { encoding: "utf8" });
            expect(result.status).toBe(0);
        });
    },
);

/** Fake commands on PATH, each logging its arguments to $LOG. */
function fakeBin(dir: string, commands: Record<string, string>): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin, { recursive: true });
    for (const [name, body] of Object.entries(commands)) {
        fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >>"$LOG"\n${body}\n`, { mode: 0o755 });
    }
    return bin;
}

interface Run {
    status: number | null;
    log: string[];
    stderr: string;
}

function runScript(text: string, dir: string, bin: string, env: Record<string, string>): Run {
    const file = path.join(dir, "script.sh");
    fs.writeFileSync(file, text);
    const log = path.join(dir, "log");
    fs.writeFileSync(log, "");
    const result = spawnSync("bash", [file], {
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH ?? ""}`, LOG: log, ...env },
    });
    return { status: result.status, log: fs.readFileSync(log, "utf8").trim().split("\n"), stderr: result.stderr };
}

describe("the Plex backup restarts what it stopped and fails loudly", () => {
    let dir: string;
    let plan: PlexBackupPlan;
    let bin: string;
    const databases = (): string =>
        path.join(plan.appdata, "Library/Application Support/Plex Media Server/Plug-in Support/Databases");

    beforeEach(() => {
        dir = tempDir();
        plan = plexBackupPlan(
            { ...settings, storage: { ...settings.storage, appdata: path.join(dir, "appdata") } },
            {
                ...plexConfig,
                destination: path.join(dir, "backups/plex"),
                installDir: path.join(dir, "homelab"),
                keep: 2,
            },
        );
        fs.mkdirSync(databases(), { recursive: true });
        fs.mkdirSync(path.dirname(plan.envFile), { recursive: true });
        fs.writeFileSync(plan.envFile, pingEnvFile("https://hc.example/ping"));
        for (const file of ["com.plexapp.plugins.library.db", "com.plexapp.plugins.library.blobs.db"]) {
            fs.writeFileSync(path.join(databases(), file), file);
        }
        fs.writeFileSync(path.join(databases(), "../../Preferences.xml"), "<Preferences/>");
        bin = fakeBin(dir, {
            docker: 'if [ "$1" = inspect ]; then echo "$RUNNING"; fi',
            curl: "exit 0",
        });
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("running Plex: stopped, copied, started again; pings start then 0; keeps the newest copies", () => {
        for (const old of ["20200101-000000", "20200102-000000"]) {
            fs.mkdirSync(path.join(plan.destination, old), { recursive: true });
        }
        const run = runScript(plexBackupScript(plan), dir, bin, { RUNNING: "true" });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.log).toEqual([
            "curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/ping/start",
            "docker inspect --format {{.State.Running}} plex",
            "docker stop --time 120 plex",
            "docker start plex",
            "curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/ping/0",
        ]);
        const copies = fs.readdirSync(plan.destination).sort();
        expect(copies).toHaveLength(2);
        expect(copies[0]).toBe("20200102-000000");
        expect(fs.readdirSync(path.join(plan.destination, copies[1] ?? "")).sort()).toEqual([
            "Preferences.xml",
            "com.plexapp.plugins.library.blobs.db",
            "com.plexapp.plugins.library.db",
        ]);
    });

    test("a failed copy still starts Plex again, reports the failure and leaves no partial copy", () => {
        fs.rmSync(path.join(databases(), "com.plexapp.plugins.library.blobs.db"));
        const run = runScript(plexBackupScript(plan), dir, bin, { RUNNING: "true" });
        expect(run.status).not.toBe(0);
        expect(run.log.filter((line) => line.startsWith("docker st"))).toEqual([
            "docker stop --time 120 plex",
            "docker start plex",
        ]);
        expect(run.log.at(-1)).toBe(
            `curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/ping/${run.status ?? ""}`,
        );
        expect(fs.readdirSync(plan.destination)).toEqual([]);
    });

    test("Plex not running: nothing is stopped or started", () => {
        const run = runScript(plexBackupScript(plan), dir, bin, { RUNNING: "false" });
        expect(run.status).toBe(0);
        expect(run.log.filter((line) => line.startsWith("docker st"))).toEqual([]);
    });

    test("Plex cannot be started again: the run fails", () => {
        bin = fakeBin(dir, {
            docker: 'if [ "$1" = inspect ]; then echo true; fi\nif [ "$1" = start ]; then exit 1; fi',
            curl: "exit 0",
        });
        const run = runScript(plexBackupScript(plan), dir, bin, {});
        expect(run.status).not.toBe(0);
        expect(run.log.at(-1)).toMatch(/ping\/[1-9]\d*$/);
    });
});

describe("the appdata backup refuses an unmounted NAS and passes rsync's verdict on", () => {
    let dir: string;
    const run = (mounted: boolean, rsyncStatus: number): Run => {
        const bin = fakeBin(dir, {
            mountpoint: `exit ${mounted ? 0 : 1}`,
            rsync: `exit ${rsyncStatus}`,
            curl: "exit 0",
        });
        const plan = {
            ...appdataPlan,
            mountPoint: path.join(dir, "backups"),
            destination: path.join(dir, "backups/docker-prod-01"),
        };
        return runScript(appdataBackupScript(plan), dir, bin, { PING_URL: "https://hc.example/a" });
    };
    beforeEach(() => {
        dir = tempDir();
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test("not mounted: no copy, exit 1, failure pinged", () => {
        const result = run(false, 0);
        expect(result.status).toBe(1);
        expect(result.log.some((line) => line.startsWith("rsync"))).toBe(false);
        expect(result.log.at(-1)).toBe("curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/a/1");
    });

    test("both trees copied with --delete; vanished files (24) are fine", () => {
        const result = run(true, 24);
        expect(result.status).toBe(0);
        expect(result.log.filter((line) => line.startsWith("rsync"))).toEqual([
            `rsync -aH --numeric-ids --delete /opt/appdata/ ${dir}/backups/docker-prod-01/appdata/`,
            `rsync -aH --numeric-ids --delete /opt/stacks/ ${dir}/backups/docker-prod-01/stacks/`,
        ]);
        expect(result.log.at(-1)).toBe("curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/a/0");
    });

    test("any other rsync failure fails the run with its code", () => {
        const result = run(true, 23);
        expect(result.status).toBe(23);
        expect(result.log.at(-1)).toBe("curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/a/23");
    });

    test("without the ping URL the unit fails at once", () => {
        const bin = fakeBin(dir, { curl: "exit 0" });
        const result = runScript(appdataBackupScript(appdataPlan), dir, bin, {});
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain("PING_URL is not set");
    });
});
