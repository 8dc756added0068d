/**
 * Docker starts only once the NAS's exports are mounted: the bootstrap's mounts script installs a
 * docker.service drop-in with RequiresMountsFor= the VM's mount points. Checked as text, then by
 * systemd itself: `systemd-analyze verify` in a scratch root with the generated mount units, the
 * drop-in and a docker.service, and systemd's own dump of docker.service's dependencies.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    dockerMountsDropIn,
    dockerMountsUnit,
    mountsScript,
    mountUnit,
    nfsMounts,
    type NfsMount,
} from "../../hosts/bootstrap-scripts";
import { vmHosts } from "../../hosts/problems";
import { stackSettings } from "../helpers/program";

const settings = stackSettings("prod");
const mountsOf = (host: string): NfsMount[] => {
    const vm = vmHosts(settings).find((candidate) => candidate.name === host);
    if (vm === undefined) throw new Error(`Pulumi.prod.yaml has no VM ${host}`);
    return nfsMounts(vm.host, settings);
};

describe("the docker.service drop-in", () => {
    test("names every data mount of each VM, in prod", () => {
        expect(dockerMountsDropIn).toBe("/etc/systemd/system/docker.service.d/homelab-mounts.conf");
        const lines = Object.fromEntries(
            vmHosts(settings).map(({ name }) => [
                name,
                dockerMountsUnit(mountsOf(name))
                    .split("\n")
                    .filter((line) => line.startsWith("RequiresMountsFor=")),
            ]),
        );
        expect(lines).toEqual({
            "docker-prod-01": ["RequiresMountsFor=/data /data/backups /data/photos"],
            "auth-prod-01": ["RequiresMountsFor=/data /data/backups /data/photos"],
            "immich-prod-01": ["RequiresMountsFor=/data /data/backups /data/photos"],
        });
    });

    test("quotes a mount point systemd would split, and escapes its specifier character", () => {
        const odd: NfsMount = {
            key: "odd",
            what: "nas:/mnt/user/odd",
            where: "/srv/my data/100%",
            options: "_netdev",
            unit: "srv-my\\x20data-100\\x25.mount",
        };
        expect(dockerMountsUnit([odd])).toContain('\nRequiresMountsFor="/srv/my data/100%%"\n');
    });

    test("the mounts script installs it with the units, before the daemon-reload, and never restarts Docker", () => {
        const script = mountsScript("docker-prod-01", mountsOf("docker-prod-01"));
        const install = script.indexOf(
            "install_file '/etc/systemd/system/docker.service.d/homelab-mounts.conf' 0644 <<",
        );
        expect(install).toBeGreaterThan(script.indexOf("install_file '/etc/systemd/system/data.mount'"));
        expect(script.indexOf("systemctl daemon-reload")).toBeGreaterThan(install);
        expect(script).toContain("install -d -m 0755 '/etc/systemd/system/docker.service.d'\n");
        expect(script).not.toMatch(/systemctl (re)?start docker|systemctl restart/);
    });
});

const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
const systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((dir) =>
    fs.existsSync(path.join(dir, "sysinit.target")),
);
const runnable = hasSystemdAnalyze && systemUnits !== undefined;

/** Debian's docker.io units, as the package ships them (used where this machine has none). */
const debianDockerService = `[Unit]
Description=Docker Application Container Engine
After=network-online.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
Restart=always

[Install]
WantedBy=multi-user.target
`;
const debianDockerSocket = `[Unit]
Description=Docker Socket for the API

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
`;

/**
 * A scratch root: this machine's standard units, a docker.service (this machine's, else Debian's)
 * with a stub for each program it runs, the VM's mount units and, unless `withDropIn` is false, the drop-in.
 */
function scratchRoot(mounts: readonly NfsMount[], withDropIn = true): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-docker-mounts-"));
    const standard = path.join(root, "usr/lib/systemd/system");
    fs.mkdirSync(standard, { recursive: true });
    for (const entry of fs.readdirSync(systemUnits ?? "", { withFileTypes: true })) {
        if (entry.isFile()) fs.copyFileSync(path.join(entry.parentPath, entry.name), path.join(standard, entry.name));
    }
    for (const [name, fallback] of [
        ["docker.service", debianDockerService],
        ["docker.socket", debianDockerSocket],
    ] as const) {
        const own = path.join(systemUnits ?? "", name);
        const content = fs.existsSync(own) ? fs.readFileSync(own, "utf8") : fallback;
        fs.writeFileSync(path.join(standard, name), content);
        // verify checks that each Exec program exists in the root.
        for (const match of content.matchAll(/^Exec\w+=[-@!+:]*(\/\S+)/gm)) {
            const program = path.join(root, match[1] ?? "");
            fs.mkdirSync(path.dirname(program), { recursive: true });
            fs.writeFileSync(program, "#!/bin/sh\n", { mode: 0o755 });
        }
    }
    const units = path.join(root, "etc/systemd/system");
    fs.mkdirSync(units, { recursive: true });
    for (const mount of mounts) fs.writeFileSync(path.join(units, mount.unit), mountUnit(mount));
    if (withDropIn) {
        const dropIn = path.join(root, dockerMountsDropIn);
        fs.mkdirSync(path.dirname(dropIn), { recursive: true });
        fs.writeFileSync(dropIn, dockerMountsUnit(mounts));
    }
    return root;
}

/** systemd's dump of docker.service's dependencies in that root: "Requires: data.mount", ... */
function dockerDependencies(root: string): string[] {
    const result = spawnSync(
        "systemd-analyze",
        ["verify", `--root=${root}`, "/usr/lib/systemd/system/docker.service"],
        { encoding: "utf8", env: { ...process.env, SYSTEMD_LOG_LEVEL: "debug", SYSTEMD_LOG_TARGET: "console" } },
    );
    const log = result.stdout + result.stderr;
    const start = log.indexOf("-> Unit docker.service:");
    if (start < 0) throw new Error(`systemd-analyze dumped no docker.service:\n${log.slice(-2000)}`);
    const end = log.indexOf("-> Unit ", start + 1);
    return log
        .slice(start, end < 0 ? undefined : end)
        .split("\n")
        .map((line) => line.trim())
        .filter(
            (line) => /^(Requires|After): \S*data\S*\.mount \(/.test(line) || line.startsWith("RequiresMountsFor: "),
        )
        .sort();
}

describe(runnable ? "systemd-analyze" : "systemd-analyze (skipped: no systemd-analyze or no unit directory)", () => {
    (runnable ? test : test.skip)("verify accepts docker.service with the drop-in and the VM's mount units", () => {
        const mounts = mountsOf("docker-prod-01");
        const root = scratchRoot(mounts);
        try {
            const result = spawnSync(
                "systemd-analyze",
                [
                    "verify",
                    `--root=${root}`,
                    "/usr/lib/systemd/system/docker.service",
                    ...mounts.map((mount) => `/etc/systemd/system/${mount.unit}`),
                ],
                { encoding: "utf8" },
            );
            expect(result.stderr).toBe("");
            expect(result.status).toBe(0);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    (runnable ? test : test.skip)(
        "systemd gives docker.service Requires= and After= on every data mount unit (none without the drop-in)",
        () => {
            const mounts = mountsOf("docker-prod-01");
            const withDropIn = scratchRoot(mounts);
            const without = scratchRoot(mounts, false);
            try {
                expect(dockerDependencies(withDropIn)).toEqual([
                    "After: data-backups.mount (origin-path)",
                    "After: data-photos.mount (origin-path)",
                    "After: data.mount (origin-path)",
                    "Requires: data-backups.mount (origin-path)",
                    "Requires: data-photos.mount (origin-path)",
                    "Requires: data.mount (origin-path)",
                    "RequiresMountsFor: /data (origin-file)",
                    "RequiresMountsFor: /data/backups (origin-file)",
                    "RequiresMountsFor: /data/photos (origin-file)",
                ]);
                expect(dockerDependencies(without)).toEqual([]);
            } finally {
                fs.rmSync(withDropIn, { recursive: true, force: true });
                fs.rmSync(without, { recursive: true, force: true });
            }
        },
    );
});
