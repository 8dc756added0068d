/**
 * The hosts' generated scripts and units: each is compared with its golden file under
 * tests/hosts/golden/ (the generated text itself, readable in a diff), then checked for what
 * matters: shellcheck, systemd-analyze, and runs against fake commands.
 *
 * A deliberate change to a generated file: rewrite the golden files, then read their diff.
 *   HOMELAB_UPDATE_GOLDEN=1 npx jest tests/hosts/scripts.test.ts
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
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
    snapshotCron,
    snapshotInstaller,
    snapshotPlan,
    snapshotRemoval,
    snapshotScript,
    type AppdataBackupPlan,
    type PlexBackupPlan,
    type SnapshotPlan,
} from "../../hosts/backups/scripts";
import {
    baseScript,
    mountOf,
    mountsScript,
    mountUnit,
    nfsMounts,
    systemdEscapePath,
    type NfsMount,
} from "../../hosts/bootstrap-scripts";
import { vmHosts } from "../../hosts/problems";
import { runStdinScript, writeSecretFileCommand } from "../../hosts/remote";
import { stackSettings } from "../helpers/program";

const settings = stackSettings("prod");
const backups = settings.backups;
if (backups?.appdata === undefined || backups.plex === undefined || backups.snapshots === undefined) {
    throw new Error("prod has no Tier 1 and Tier 2 backups");
}
const onCalendar = backups.appdata.onCalendar;
const vmNames = vmHosts(settings).map((vm) => vm.name);
const appdataPlans: Record<string, AppdataBackupPlan> = Object.fromEntries(
    vmNames.map((host) => [host, appdataBackupPlan(settings, host, onCalendar)]),
);
const appdataPlan = appdataBackupPlan(settings, "docker-prod-01", onCalendar);
const plexConfig = backups.plex;
const plexPlan = plexBackupPlan(settings, plexConfig);
const snapshotConfig = backups.snapshots;
const zfsPlan = snapshotPlan(snapshotConfig);
const docker = vmHosts(settings).find((vm) => vm.name === "docker-prod-01");
if (docker === undefined) throw new Error("prod has no docker-prod-01 VM");
const mounts = nfsMounts(docker.host, settings);

/** Every generated script, by host and the name it has there (its golden file's path). */
const scripts: Record<string, string> = {
    ...Object.fromEntries(
        vmHosts(settings).flatMap(({ name, host }) => [
            [`${name}/bootstrap-base.sh`, baseScript(name, "deploy", settings)],
            [`${name}/bootstrap-mounts.sh`, mountsScript(name, nfsMounts(host, settings))],
            [`${name}/homelab-appdata-backup`, appdataBackupScript(appdataBackupPlan(settings, name, onCalendar))],
        ]),
    ),
    "docker-prod-01/install-appdata-backup.sh": appdataBackupInstaller(appdataPlan),
    "nas-prod-01/plex-backup.sh": plexBackupScript(plexPlan),
    "nas-prod-01/install-plex-backup.sh": plexBackupInstaller(plexPlan),
    "nas-prod-01/zfs-snapshots.sh": snapshotScript(zfsPlan),
    "nas-prod-01/install-zfs-snapshots.sh": snapshotInstaller(zfsPlan),
};

/** The Unraid cron entries, by host and file name. */
const cronFiles: Record<string, string> = {
    "nas-prod-01/homelab-plex-backup.cron": plexBackupCron(plexPlan),
    "nas-prod-01/homelab-zfs-snapshots.cron": snapshotCron(zfsPlan),
};

/** The one-line commands the remote commands run, as sh sees them. */
const commandLines: Record<string, string> = {
    "run-stdin-script-deploy": runStdinScript("deploy"),
    "run-stdin-script-root": runStdinScript("root"),
    "write-ping-url-deploy": writeSecretFileCommand("deploy", appdataBackup.envFile),
    "write-ping-url-root": writeSecretFileCommand("root", plexPlan.envFile),
    "write-zfs-ping-url-root": writeSecretFileCommand("root", zfsPlan.envFile),
    "remove-appdata-backup": appdataBackupRemoval("deploy"),
    "remove-plex-backup": plexBackupRemoval(plexPlan),
    "remove-zfs-snapshots": snapshotRemoval(zfsPlan),
};

/** Each VM's units, by host: the same unit names on every VM. */
const unitsByHost: Record<string, Record<string, string>> = Object.fromEntries(
    vmHosts(settings).map(({ name, host }) => {
        const plan = appdataBackupPlan(settings, name, onCalendar);
        return [
            name,
            {
                ...Object.fromEntries(nfsMounts(host, settings).map((mount) => [mount.unit, mountUnit(mount)])),
                "homelab-appdata-backup.service": appdataBackupService(plan),
                "homelab-appdata-backup.timer": appdataBackupTimer(plan),
            },
        ];
    }),
);
const units: Record<string, string> = unitsByHost["docker-prod-01"] ?? {};

const has = (binary: string, args: string[]): boolean => spawnSync(binary, args).status === 0;
const hasShellcheck = has("shellcheck", ["--version"]);
const hasSystemdAnalyze = has("systemd-analyze", ["--version"]);
const systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((dir) =>
    fs.existsSync(path.join(dir, "sysinit.target")),
);

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "homelab-hosts-"));
}

/** The golden files: what the generators write today, as plain text (update command at the top). */
const goldenDir = path.join(__dirname, "golden");
const updateGolden = process.env.HOMELAB_UPDATE_GOLDEN === "1";

/** The command lines as one shell file: a comment naming each, then the line itself. */
const remoteCommands = [
    "# The one-line commands the remote commands run on a host (sh -c), by name. Generated: see tests/hosts/scripts.test.ts.",
    ...Object.entries(commandLines).flatMap(([name, line]) => ["", `# ${name}`, line]),
    "",
].join("\n");

/** Every golden file, by its path under golden/. */
const golden: Record<string, string> = {
    ...scripts,
    ...Object.fromEntries(Object.entries(units).map(([name, content]) => [`docker-prod-01/${name}`, content])),
    ...cronFiles,
    "remote-commands.sh": remoteCommands,
};

function goldenFiles(dir: string, prefix = ""): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
        return entry.isDirectory() ? goldenFiles(path.join(dir, entry.name), relative) : [relative];
    });
}

describe("generated files, compared with tests/hosts/golden/", () => {
    test.each(Object.keys(golden))("%s", (name) => {
        const file = path.join(goldenDir, name);
        const generated = golden[name] ?? "";
        if (updateGolden) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, generated);
        }
        const expected = fs.existsSync(file)
            ? fs.readFileSync(file, "utf8")
            : `${file} is missing: HOMELAB_UPDATE_GOLDEN=1 npx jest tests/hosts/scripts.test.ts writes it`;
        expect(generated).toBe(expected);
    });
    test("no golden file is left over from a file no longer generated", () => {
        expect(goldenFiles(goldenDir).sort()).toEqual(Object.keys(golden).sort());
    });
    test("every script is bash in strict mode, and every file says it is generated", () => {
        const marker =
            /^# Generated by the homelab Pulumi program \(hosts\/(backups\/)?\); local edits are overwritten\.$/m;
        for (const [name, script] of Object.entries(scripts)) {
            expect({
                name,
                bash: script.startsWith("#!/bin/bash\n"),
                strict: script.includes("\nset -euo pipefail\n"),
                marker: marker.test(script),
            }).toEqual({ name, bash: true, strict: true, marker: true });
        }
        for (const [name, file] of Object.entries({ ...units, ...cronFiles })) {
            expect({ name, marker: marker.test(file.split("\n")[0] ?? "") }).toEqual({ name, marker: true });
        }
    });
    test("every VM gets the same units; only the backup service names its host", () => {
        for (const host of vmNames) {
            const expected = Object.fromEntries(
                Object.entries(units).map(([name, content]) => [name, content.replaceAll("docker-prod-01", host)]),
            );
            expect(unitsByHost[host]).toEqual(expected);
        }
        expect(units["homelab-appdata-backup.service"]).toContain(
            "Description=Tier 1 backup of docker-prod-01 to the NAS (/data/backups/docker-prod-01)\n",
        );
        for (const name of ["data.mount", "data-backups.mount", "data-photos.mount", "homelab-appdata-backup.timer"]) {
            expect(units[name]).not.toContain("docker-prod-01");
        }
    });
    test("mount units are named as systemd requires (systemd-escape --path)", () => {
        expect(systemdEscapePath("/data/media")).toBe("data-media");
        expect(systemdEscapePath("/data")).toBe("data");
        expect(systemdEscapePath("/data/my-share/x.y")).toBe("data-my\\x2dshare-x.y");
        expect(systemdEscapePath("/.hidden/a b")).toBe("\\x2ehidden-a\\x20b");
    });
    test("prod: one data share at /data for the TRaSH tree, photos and backups mounted below it", () => {
        expect(mounts.map((m) => [m.key, m.unit, m.what, m.where, m.options])).toEqual([
            ["data", "data.mount", "192.168.30.12:/mnt/user/data", "/data", "_netdev,hard,noatime"],
            [
                "backups",
                "data-backups.mount",
                "192.168.30.12:/mnt/user/backups",
                "/data/backups",
                "_netdev,hard,noatime",
            ],
            ["photos", "data-photos.mount", "192.168.30.12:/mnt/user/photos", "/data/photos", "_netdev,hard,noatime"],
        ]);
        for (const { host } of vmHosts(settings)) {
            expect(nfsMounts(host, settings).map((m) => m.where)).toEqual(["/data", "/data/backups", "/data/photos"]);
        }
    });
    test("the mount holding a path is the one with the longest mount point containing it", () => {
        const at = (key: string, where: string): NfsMount => ({ key, what: "", where, options: "", unit: "" });
        const tree = [at("root", "/data"), at("photos", "/data/photos"), at("deep", "/data/photos/raw")];
        expect(mountOf(tree, "/data/media")?.key).toBe("root");
        expect(mountOf(tree, "/data")?.key).toBe("root");
        expect(mountOf(tree, "/data/photos")?.key).toBe("photos");
        expect(mountOf(tree, "/data/photos/2024")?.key).toBe("photos");
        expect(mountOf(tree, "/data/photos/raw/x")?.key).toBe("deep");
        expect(mountOf(tree, "/data/photosets")?.key).toBe("root");
        expect(mountOf(tree, "/opt/appdata")).toBeUndefined();
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

/** A scratch root with this machine's standard units, one host's units and its backup script. */
function unitRoot(hostUnits: Record<string, string>, backupScript: string): string {
    const root = tempDir();
    const unitDir = path.join(root, "etc/systemd/system");
    fs.mkdirSync(unitDir, { recursive: true });
    // The units refer to the standard targets: the scratch root gets a copy of this machine's.
    const standard = path.join(root, "usr/lib/systemd/system");
    fs.mkdirSync(standard, { recursive: true });
    for (const entry of fs.readdirSync(systemUnits ?? "", { withFileTypes: true })) {
        if (entry.isFile()) fs.copyFileSync(path.join(entry.parentPath, entry.name), path.join(standard, entry.name));
    }
    const script = path.join(root, appdataBackup.script);
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.writeFileSync(script, backupScript, { mode: 0o755 });
    for (const [name, content] of Object.entries(hostUnits)) fs.writeFileSync(path.join(unitDir, name), content);
    return root;
}

describe(
    hasSystemdAnalyze && systemUnits ? "systemd-analyze verify" : `systemd-analyze verify (skipped: ${systemdReason})`,
    () => {
        (hasSystemdAnalyze && systemUnits ? test.each : test.skip.each)(vmNames)(
            "%s: mount units, service and timer verify cleanly in a scratch root",
            (host) => {
                const hostUnits = unitsByHost[host] ?? {};
                const root = unitRoot(hostUnits, scripts[`${host}/homelab-appdata-backup`] ?? "");
                const result = spawnSync(
                    "systemd-analyze",
                    [
                        "verify",
                        `--root=${root}`,
                        ...Object.keys(hostUnits).map((name) => `/etc/systemd/system/${name}`),
                    ],
                    { encoding: "utf8" },
                );
                expect(result.stderr).toBe("");
                expect(result.status).toBe(0);
                fs.rmSync(root, { recursive: true, force: true });
            },
        );
        (hasSystemdAnalyze && systemUnits ? test : test.skip)(
            "systemd orders the nested mounts after /data by itself (Requires= and After= from the path)",
            () => {
                const root = unitRoot(units, scripts["docker-prod-01/homelab-appdata-backup"] ?? "");
                const result = spawnSync(
                    "systemd-analyze",
                    [
                        "verify",
                        `--root=${root}`,
                        "/etc/systemd/system/data-photos.mount",
                        "/etc/systemd/system/data-backups.mount",
                    ],
                    {
                        encoding: "utf8",
                        env: { ...process.env, SYSTEMD_LOG_LEVEL: "debug", SYSTEMD_LOG_TARGET: "console" },
                    },
                );
                fs.rmSync(root, { recursive: true, force: true });
                expect(result.status).toBe(0);
                // The debug log dumps each unit with its dependencies and where they came from.
                const log = result.stdout + result.stderr;
                const unitDump = (unit: string): string => {
                    const start = log.indexOf(`-> Unit ${unit}:`);
                    if (start < 0) return "";
                    const end = log.indexOf("-> Unit ", start + 1);
                    return log.slice(start, end < 0 ? undefined : end);
                };
                // origin-path or origin-implicit: which one depends on the order systemd loads them in.
                for (const unit of ["data-photos.mount", "data-backups.mount"]) {
                    expect(unitDump(unit)).toMatch(/\n\s*Requires: data\.mount \(origin-(path|implicit)\)\n/);
                    expect(unitDump(unit)).toMatch(/\n\s*After: data\.mount \(origin-(path|implicit)\)\n/);
                }
                expect(unitDump("data.mount")).not.toContain("After: data-");
            },
        );
        (hasSystemdAnalyze ? test : test.skip)("the timer's calendar event is one systemd accepts", () => {
            const result = spawnSync("systemd-analyze", ["calendar", onCalendar], { encoding: "utf8" });
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

describe("the mounts script: fstab conflicts, units it no longer wants, never mounting over live mounts", () => {
    let dir: string;
    beforeEach(() => {
        dir = tempDir();
        fs.mkdirSync(path.join(dir, "etc/systemd/system"), { recursive: true });
        fs.writeFileSync(path.join(dir, "etc/fstab"), "UUID=abc / ext4 defaults 0 1\n");
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const unitDir = (): string => path.join(dir, "etc/systemd/system");
    /** The real script with its two system paths moved into the scratch directory. */
    const run = (mounted: string[]): Run => {
        const script = (scripts["docker-prod-01/bootstrap-mounts.sh"] ?? "")
            .replaceAll("/etc/fstab", path.join(dir, "etc/fstab"))
            .replaceAll("/etc/systemd/system", unitDir());
        const bin = fakeBin(dir, {
            systemctl: "exit 0",
            mountpoint: 'for m in $MOUNTED; do if [ "$m" = "$2" ]; then exit 0; fi; done; exit 1',
            findmnt: 'printf "/\\n"; for m in $MOUNTED; do printf "%s\\n" "$m"; done',
        });
        return runScript(script, dir, bin, { MOUNTED: mounted.join(" ") });
    };
    const systemctl = (result: Run): string[] => result.log.filter((line) => line.startsWith("systemctl"));

    test("a fresh VM: units installed, enabled and started, parents first", () => {
        const result = run([]);
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(systemctl(result)).toEqual([
            "systemctl daemon-reload",
            "systemctl enable data.mount data-backups.mount data-photos.mount",
            "systemctl start data.mount data-backups.mount data-photos.mount",
        ]);
        expect(fs.readdirSync(unitDir()).sort()).toEqual([
            "data-backups.mount",
            "data-photos.mount",
            "data.mount",
            "docker.service.d",
        ]);
    });

    test("an fstab line below a mount point (the old /data/media) stops the run before anything changes", () => {
        fs.appendFileSync(path.join(dir, "etc/fstab"), "192.168.30.12:/mnt/user/media /data/media nfs defaults 0 0\n");
        const result = run([]);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            `bootstrap: ${dir}/etc/fstab mounts /data or a path below it; remove that line.`,
        );
        expect(systemctl(result)).toEqual([]);
        expect(fs.readdirSync(unitDir())).toEqual([]);
    });

    test("the old layout still mounted: its units go, the new one waits for a reboot, the run fails", () => {
        const marker = "# Generated by the homelab Pulumi program (hosts/); local edits are overwritten.\n";
        fs.writeFileSync(path.join(unitDir(), "data-media.mount"), `${marker}[Mount]\nWhere=/data/media\n`);
        fs.writeFileSync(path.join(unitDir(), "data-downloads.mount"), `${marker}[Mount]\nWhere=/data/downloads\n`);
        fs.writeFileSync(path.join(unitDir(), "srv-music.mount"), "[Mount]\nWhere=/srv/music\n");
        const result = run(["/data/media", "/data/downloads"]);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("bootstrap: /data would be mounted over live mounts below it.");
        expect(result.stderr).toContain("bootstrap: reboot docker-prod-01, then run pulumi up again.");
        expect(systemctl(result)).toEqual([
            "systemctl disable data-downloads.mount",
            "systemctl disable data-media.mount",
            "systemctl daemon-reload",
            "systemctl enable data.mount data-backups.mount data-photos.mount",
        ]);
        // A unit this program did not write is left alone.
        expect(fs.readdirSync(unitDir()).sort()).toEqual([
            "data-backups.mount",
            "data-photos.mount",
            "data.mount",
            "docker.service.d",
            "srv-music.mount",
        ]);
    });

    test("after the reboot everything is mounted: nothing blocks, start is a no-op", () => {
        expect(run([]).status).toBe(0);
        const result = run(["/data", "/data/backups", "/data/photos"]);
        expect(result.status).toBe(0);
        expect(systemctl(result)).toEqual([
            "systemctl enable data.mount data-backups.mount data-photos.mount",
            "systemctl start data.mount data-backups.mount data-photos.mount",
        ]);
    });
});

/** The plan with its NAS side moved into a scratch directory (the sources stay: rsync is a fake). */
function planIn(plan: AppdataBackupPlan, dir: string): AppdataBackupPlan {
    const moved = (p: string): string => path.join(dir, p.slice(plan.mountPoint.length));
    return {
        ...plan,
        mountPoint: dir,
        destination: moved(plan.destination),
        databases: plan.databases.map((database) => ({ ...database, file: moved(database.file) })),
    };
}

describe("the appdata backup refuses an unmounted NAS and passes rsync's verdict on", () => {
    let dir: string;
    const run = (mounted: boolean, rsyncStatus: number): Run => {
        const bin = fakeBin(dir, {
            mountpoint: `exit ${mounted ? 0 : 1}`,
            rsync: `exit ${rsyncStatus}`,
            curl: "exit 0",
        });
        return runScript(appdataBackupScript(planIn(appdataPlan, path.join(dir, "backups"))), dir, bin, {
            PING_URL: "https://hc.example/a",
        });
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
            `rsync -aH --numeric-ids --delete --delete-excluded /opt/appdata/ ${dir}/backups/docker-prod-01/appdata/`,
            `rsync -aH --numeric-ids --delete --delete-excluded /opt/stacks/ ${dir}/backups/docker-prod-01/stacks/`,
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

describe("Tier 1 on every VM: each host dumps its own databases, and never copies their live directories", () => {
    test("the plans, from the catalog", () => {
        expect(
            Object.fromEntries(
                Object.entries(appdataPlans).map(([host, plan]) => [
                    host,
                    {
                        destination: plan.destination,
                        mountPoint: plan.mountPoint,
                        sources: plan.sources,
                        databases: plan.databases.map((d) => [d.service, d.dump, d.file, d.dataDirs]),
                    },
                ]),
            ),
        ).toEqual({
            "docker-prod-01": {
                destination: "/data/backups/docker-prod-01",
                mountPoint: "/data/backups",
                sources: [
                    { path: "/opt/appdata", exclude: [] },
                    { path: "/opt/stacks", exclude: [] },
                ],
                databases: [],
            },
            "auth-prod-01": {
                destination: "/data/backups/auth-prod-01",
                mountPoint: "/data/backups",
                sources: [
                    { path: "/opt/appdata", exclude: ["/authentik-postgresql/"] },
                    { path: "/opt/stacks", exclude: [] },
                ],
                databases: [
                    [
                        "authentik-postgresql",
                        { tool: "pg_dump", user: "authentik", database: "authentik" },
                        "/data/backups/auth-prod-01/databases/authentik-postgresql.sql.gz",
                        ["/opt/appdata/authentik-postgresql"],
                    ],
                ],
            },
            "immich-prod-01": {
                destination: "/data/backups/immich-prod-01",
                mountPoint: "/data/backups",
                sources: [
                    { path: "/opt/appdata", exclude: ["/immich-postgres/"] },
                    { path: "/opt/stacks", exclude: [] },
                ],
                databases: [
                    [
                        "immich-postgres",
                        { tool: "pg_dumpall", user: "postgres" },
                        "/data/backups/immich-prod-01/databases/immich-postgres.sql.gz",
                        ["/opt/appdata/immich-postgres"],
                    ],
                ],
            },
        });
    });

    test("a disabled database is not dumped; a host's appdata override moves its data directory", () => {
        const catalogEntry = {
            name: "db",
            title: "db",
            stack: "photos",
            storage: { declaredVolumes: [], statePaths: [], source: "test" },
            host: "immich-prod-01",
            image: { repository: "postgres", tag: "16" },
            user: { kind: "user" },
            mounts: [{ from: "appdata", target: "/var/lib/postgresql/data" }],
            health: { kind: "none", reason: "test" },
            networking: { mode: "bridge", proxy: false, internal: true },
            dump: { tool: "pg_dump", user: "app", database: "app" },
        } as const;
        const moved = {
            ...settings,
            hosts: {
                ...settings.hosts,
                "immich-prod-01": { ...settings.hosts["immich-prod-01"], storage: { appdata: "/srv/appdata" } },
            },
        } as typeof settings;
        const plan = appdataBackupPlan(moved, "immich-prod-01", onCalendar, [
            catalogEntry,
            { ...catalogEntry, name: "off", enabled: false },
        ]);
        expect(plan.databases.map((d) => [d.service, d.dataDirs])).toEqual([["db", ["/srv/appdata/db"]]]);
        expect(plan.sources[0]).toEqual({ path: "/srv/appdata", exclude: ["/db/"] });
    });

    let dir: string;
    beforeEach(() => {
        dir = tempDir();
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });
    const immich = (): AppdataBackupPlan => planIn(appdataPlans["immich-prod-01"] as AppdataBackupPlan, dir);
    const dumpFile = (): string => path.join(dir, "immich-prod-01/databases/immich-postgres.sql.gz");

    test("dump in the container as the database user, compressed, renamed; the copy skips the live directory", () => {
        const bin = fakeBin(dir, {
            mountpoint: "exit 0",
            rsync: "exit 0",
            curl: "exit 0",
            docker: "echo 'SELECT 1; -- dump'",
        });
        const result = runScript(appdataBackupScript(immich()), dir, bin, { PING_URL: "https://hc.example/i" });
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(result.log).toEqual([
            "curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/i/start",
            "mountpoint -q " + dir,
            "docker exec immich-postgres pg_dumpall --clean --if-exists --username=postgres",
            "rsync -aH --numeric-ids --delete --delete-excluded --exclude=/immich-postgres/ /opt/appdata/ " +
                `${dir}/immich-prod-01/appdata/`,
            `rsync -aH --numeric-ids --delete --delete-excluded /opt/stacks/ ${dir}/immich-prod-01/stacks/`,
            "curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/i/0",
        ]);
        expect(zlib.gunzipSync(fs.readFileSync(dumpFile())).toString()).toBe("SELECT 1; -- dump\n");
        expect(fs.statSync(dumpFile()).mode & 0o777).toBe(0o600);
        expect(fs.readdirSync(path.dirname(dumpFile()))).toEqual(["immich-postgres.sql.gz"]);
    });

    test("a failed dump keeps the previous dump, leaves no partial file, still copies, and fails the run", () => {
        fs.mkdirSync(path.dirname(dumpFile()), { recursive: true });
        fs.writeFileSync(dumpFile(), "previous");
        const bin = fakeBin(dir, {
            mountpoint: "exit 0",
            rsync: "exit 0",
            curl: "exit 0",
            docker: "echo 'half a dump'; echo 'pg_dumpall: error: connection failed' >&2; exit 7",
        });
        const result = runScript(appdataBackupScript(immich()), dir, bin, { PING_URL: "https://hc.example/i" });
        expect(result.status).toBe(7);
        expect(result.stderr).toContain("pg_dumpall: error: connection failed");
        expect(result.stderr).toContain("immich-postgres.sql.gz failed with exit code 7");
        expect(result.log.filter((line) => line.startsWith("rsync"))).toHaveLength(2);
        expect(result.log.at(-1)).toBe("curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/i/7");
        expect(fs.readFileSync(dumpFile(), "utf8")).toBe("previous");
        expect(fs.readdirSync(path.dirname(dumpFile()))).toEqual(["immich-postgres.sql.gz"]);
    });
});

describe("Tier 2: ZFS snapshots keep the newest of their own and never touch others", () => {
    let dir: string;
    let plan: SnapshotPlan;
    beforeEach(() => {
        dir = tempDir();
        plan = snapshotPlan({ ...snapshotConfig, keep: 2, installDir: path.join(dir, "homelab") });
        fs.mkdirSync(path.dirname(plan.envFile), { recursive: true });
        fs.writeFileSync(plan.envFile, pingEnvFile("https://hc.example/z"));
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /**
     * A fake zfs: `snapshot` fails for $FAIL; `list` prints $SNAPSHOTS_<dataset>, oldest first as
     * -s creation does, then the snapshot this run just made.
     */
    const zfs = `case "$1" in
    snapshot) if [ "\${3%@*}" = "$FAIL" ]; then exit 1; fi ;;
    list)
        dataset=\${*: -1}
        var="SNAPSHOTS_$dataset"
        if [ -n "\${!var:-}" ]; then printf '%s\\n' "\${!var}"; fi
        echo "$dataset@homelab-20260101-040000" ;;
esac`;

    test("one recursive snapshot per dataset; beyond keep, the oldest homelab- snapshots go, recursively", () => {
        const bin = fakeBin(dir, { zfs, curl: "exit 0", date: "echo 20260101-040000" });
        const result = runScript(snapshotScript(plan), dir, bin, {
            SNAPSHOTS_photos: [
                "photos@homelab-20250101-043000",
                "photos@manual-keep-me",
                "photos@homelab-20250102-043000",
                "photos@homelab-20250103-043000",
                "photos@homelab-notadate",
            ].join("\n"),
            SNAPSHOTS_backups: "backups@homelab-20250103-043000",
        });
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(result.log.filter((line) => !line.startsWith("zfs list"))).toEqual([
            "curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/z/start",
            "date +%Y%m%d-%H%M%S",
            "zfs snapshot -r photos@homelab-20260101-040000",
            "zfs destroy -r photos@homelab-20250101-043000",
            "zfs destroy -r photos@homelab-20250102-043000",
            "zfs snapshot -r backups@homelab-20260101-040000",
            "curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/z/0",
        ]);
    });

    test("a failed snapshot of one dataset still snapshots the others and fails the run", () => {
        const bin = fakeBin(dir, { zfs, curl: "exit 0", date: "echo 20260101-040000" });
        const result = runScript(snapshotScript(plan), dir, bin, { FAIL: "photos" });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("snapshots of photos failed");
        expect(result.log).toContain("zfs snapshot -r backups@homelab-20260101-040000");
        expect(result.log.at(-1)).toBe("curl -fsS -m 10 --retry 5 -o /dev/null https://hc.example/z/1");
    });
});

test("a VM that keeps its appdata elsewhere gets that directory from its bootstrap", () => {
    const hosts = JSON.parse(JSON.stringify(settings.hosts)) as typeof settings.hosts;
    const vm = hosts["auth-prod-01"];
    if (vm === undefined) throw new Error("auth-prod-01 is not in Pulumi.prod.yaml");
    hosts["auth-prod-01"] = { ...vm, storage: { appdata: "/srv/appdata" } };
    const script = baseScript("auth-prod-01", "deploy", { ...settings, hosts });
    expect(script).toContain("install -d -o 2000 -g 2000 -m 0755 '/opt/stacks' '/srv/appdata'");
});

describe("the base script runs every step unless HOMELAB_BOOTSTRAP_SKIP names it (labs without apt or systemd)", () => {
    let dir: string;
    beforeEach(() => {
        dir = tempDir();
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });
    /** docker.io is installed, no other package is; `getent` answers $FOUND (0: the accounts exist). */
    const run = (env: Record<string, string>, found = 2): Run => {
        const bin = fakeBin(dir, {
            docker: "exit 0",
            "dpkg-query": "exit 1",
            "apt-get": "exit 0",
            getent: `exit ${found}`,
            groupadd: "exit 0",
            useradd: "exit 0",
            usermod: "exit 0",
            install: "exit 0",
        });
        return runScript(scripts["docker-prod-01/bootstrap-base.sh"] ?? "", dir, bin, env);
    };
    const commands = (result: Run): string[] =>
        result.log.filter((line) => line !== "" && !line.startsWith("dpkg-query") && !line.startsWith("getent"));

    test("unset: packages, identity, docker access and directories, in that order", () => {
        const result = run({});
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(commands(result)).toEqual([
            "apt-get update -q",
            "apt-get install -y -q --no-install-recommends nfs-common rsync curl qemu-guest-agent",
            "groupadd --gid 2000 homelab",
            "useradd --uid 2000 --gid 2000 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin homelab",
            "usermod --append --groups docker deploy",
            "install -d -o 2000 -g 2000 -m 0755 /opt/stacks /opt/appdata",
        ]);
    });

    test("packages skipped: no dpkg-query or apt-get, the skip is printed, the rest runs", () => {
        const result = run({ HOMELAB_BOOTSTRAP_SKIP: "packages" });
        expect(result.status).toBe(0);
        expect(result.stderr).toBe("bootstrap: skipped packages (HOMELAB_BOOTSTRAP_SKIP)\n");
        expect(result.log.filter((line) => line.startsWith("dpkg-query") || line.startsWith("apt-get"))).toEqual([]);
        expect(commands(result)).toEqual([
            "groupadd --gid 2000 homelab",
            "useradd --uid 2000 --gid 2000 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin homelab",
            "usermod --append --groups docker deploy",
            "install -d -o 2000 -g 2000 -m 0755 /opt/stacks /opt/appdata",
        ]);
    });

    test("a second run finds the service accounts and creates none", () => {
        const result = run({ HOMELAB_BOOTSTRAP_SKIP: "packages,directories" }, 0);
        expect(result.status).toBe(0);
        expect(result.stderr).toBe(
            "bootstrap: skipped packages (HOMELAB_BOOTSTRAP_SKIP)\nbootstrap: skipped directories (HOMELAB_BOOTSTRAP_SKIP)\n",
        );
        expect(commands(result)).toEqual(["usermod --append --groups docker deploy"]);
    });

    test("an unknown step stops the run before any step, naming it and the steps there are", () => {
        const result = run({ HOMELAB_BOOTSTRAP_SKIP: "packages,mounts" });
        expect(result.status).toBe(2);
        expect(result.stderr).toBe(
            "bootstrap: HOMELAB_BOOTSTRAP_SKIP: unknown step 'mounts'; the steps are: packages identity docker-access directories\n",
        );
        expect(result.log.filter((line) => line !== "")).toEqual([]);
    });
});
