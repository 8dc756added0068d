import { vmHosts } from "../../hosts/problems";
import { vmImportId, vmOptions } from "../../hosts/proxmox";
import { sha256 } from "../../hosts/remote";
import {
    dummySecret,
    isSecretValue,
    plainOccurrences,
    loadProgram,
    stackSettings,
    type Program,
    type RecordedResource,
} from "../helpers/program";

const vmType = "proxmoxve:index/vmLegacy:VmLegacy";
const commandType = "command:remote:Command";
const vmNames = ["docker-prod-01", "auth-prod-01", "immich-prod-01"] as const;

describe("prod", () => {
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("prod");
    });
    const vm = (host: string): RecordedResource => program.get(vmType, `machines-vms-${host}`);
    const command = (name: string): RecordedResource => program.get(commandType, name);

    test("three Proxmox VMs with their addresses, sizes and protection, on the one explicit Proxmox provider", () => {
        expect(program.ofType(vmType).map((r) => r.name)).toEqual(vmNames.map((host) => `machines-vms-${host}`));
        const summary = Object.fromEntries(
            vmNames.map((host) => {
                const { inputs } = vm(host);
                const init = inputs.initialization as {
                    ipConfigs: { ipv4: { address: string; gateway: string } }[];
                    userAccount: { username: string; keys: string[] };
                };
                return [
                    host,
                    {
                        name: inputs.name,
                        node: inputs.nodeName,
                        vmId: inputs.vmId,
                        address: init.ipConfigs[0]?.ipv4,
                        user: init.userAccount.username,
                        keys: init.userAccount.keys.length,
                        cores: (inputs.cpu as { cores: number }).cores,
                        memory: (inputs.memory as { dedicated: number }).dedicated,
                        disk: (inputs.disks as { size: number; interface: string }[]).map((d) => [d.interface, d.size]),
                        network: inputs.networkDevices,
                        protect: vm(host).protect,
                        protection: inputs.protection,
                    },
                ];
            }),
        );
        expect(summary).toEqual({
            "docker-prod-01": {
                name: "docker-prod-01",
                node: "pve-prod-01",
                vmId: 111,
                address: { address: "192.168.30.11/24", gateway: "192.168.30.1" },
                user: "deploy",
                keys: 1,
                cores: 6,
                memory: 16384,
                disk: [["scsi0", 128]],
                network: [{ bridge: "vmbr0", model: "virtio", vlanId: 30 }],
                protect: true,
                protection: true,
            },
            "auth-prod-01": {
                name: "auth-prod-01",
                node: "pve-prod-01",
                vmId: 113,
                address: { address: "192.168.30.13/24", gateway: "192.168.30.1" },
                user: "deploy",
                keys: 1,
                cores: 2,
                memory: 4096,
                disk: [["scsi0", 32]],
                network: [{ bridge: "vmbr0", model: "virtio", vlanId: 30 }],
                protect: true,
                protection: true,
            },
            "immich-prod-01": {
                name: "immich-prod-01",
                node: "pve-prod-01",
                vmId: 114,
                address: { address: "192.168.30.14/24", gateway: "192.168.30.1" },
                user: "deploy",
                keys: 1,
                cores: 4,
                memory: 12288,
                disk: [["scsi0", 64]],
                network: [{ bridge: "vmbr0", model: "virtio", vlanId: 30 }],
                protect: true,
                protection: true,
            },
        });
        for (const host of vmNames) {
            expect(vm(host).protect).toBe(true);
            expect(vm(host).inputs.rebootAfterUpdate).toBe(false);
        }

        const providers = program.ofType("pulumi:providers:proxmoxve");
        expect(providers.map((p) => p.name)).toEqual(["machines-proxmox"]);
        const provider = providers[0] as RecordedResource;
        expect(provider.inputs.endpoint).toBe("https://192.168.30.5:8006/");
        expect(isSecretValue(provider.rawInputs.apiToken)).toBe(true);
        expect(provider.inputs.apiToken).toBe(dummySecret("proxmoxApiToken"));
        for (const resource of program.resources.filter((r) => r.type.startsWith("proxmoxve:"))) {
            expect(resource.provider).toMatch(/pulumi:providers:proxmoxve::machines-proxmox::/);
        }
    });

    test("a new VM boots from the downloaded cloud image; the image download never churns", () => {
        const images = program.ofType("proxmoxve:download/file:File");
        expect(images.map((i) => i.name)).toEqual(["machines-vms-image-debian-13-pve-prod-01"]);
        expect(images[0]?.inputs).toMatchObject({ contentType: "import", overwrite: false, nodeName: "pve-prod-01" });
        for (const host of vmNames) {
            expect((vm(host).inputs.disks as { importFrom?: string }[])[0]?.importFrom).toBe(
                "machines-vms-image-debian-13-pve-prod-01-id",
            );
            expect(vm(host).dependencies).toContain(images[0]?.urn);
        }
    });

    test("VMs are protected, retained on delete, adopted by <node>/<vmid>, and ignore only what diffs forever", () => {
        const settings = stackSettings("prod");
        for (const { vm: config } of vmHosts(settings)) {
            expect(vmOptions(config, settings)).toEqual({
                protect: true,
                retainOnDelete: true,
                import: vmImportId(config),
                ignoreChanges: ["clone", "disks[*].importFrom", "disks[*].speed"],
            });
        }
        expect(vmImportId({ ...vmHosts(settings)[0]?.vm, node: "pve", vmId: 4321 } as never)).toBe("pve/4321");
    });

    test("every Docker provider of a VM host depends on its VM; the NAS provider stands alone", () => {
        for (const host of vmNames) {
            const provider = program.get("pulumi:providers:docker", `hosts-${host}`);
            expect(provider.dependencies).toContain(vm(host).urn);
            expect(provider.dependencies).toContain(command(`machines-${host}-base`).urn);
        }
        expect(program.get("pulumi:providers:docker", "hosts-nas-prod-01").dependencies).toEqual([]);
    });

    test("bootstrap: content-hash triggers, run as root from stdin, after the VM", () => {
        for (const host of vmNames) {
            for (const step of ["base", "mounts"]) {
                const cmd = command(`machines-${host}-${step}`);
                const script = cmd.inputs.stdin as string;
                expect(cmd.inputs.triggers).toEqual([sha256(script)]);
                expect(cmd.inputs.create).toBe(
                    `script=$(mktemp) && trap 'rm -f "$script"' EXIT && cat >"$script" && sudo -n bash "$script"`,
                );
                expect(cmd.inputs.delete).toBeUndefined();
                const connection = cmd.inputs.connection as { host: string; user: string };
                expect(connection.host).toMatch(/^192\.168\.30\.1[134]$/);
                expect(connection.user).toBe("deploy");
                // The private key makes the whole connection secret.
                expect(isSecretValue(cmd.rawInputs.connection)).toBe(true);
            }
            const base = command(`machines-${host}-base`);
            expect(base.dependencies).toContain(vm(host).urn);
            expect(base.inputs.stdin).toContain("install -d -o 2000 -g 2000 -m 0755 '/opt/stacks' '/opt/appdata'");
            expect(base.inputs.stdin).toContain("usermod --append --groups docker 'deploy'");
            const mounts = command(`machines-${host}-mounts`).inputs.stdin as string;
            // One data share for the TRaSH tree at /data; the ZFS shares below it.
            expect(mounts).toContain("What=192.168.30.12:/mnt/user/data\nWhere=/data\n");
            for (const share of ["photos", "backups"]) {
                expect(mounts).toContain(`What=192.168.30.12:/mnt/user/${share}\nWhere=/data/${share}\n`);
            }
            expect(mounts).not.toContain("Where=/data/media");
            expect(mounts).not.toContain("Where=/data/downloads");
        }
    });

    test("containers of a VM host wait for its bootstrap", () => {
        const readiness = (host: string): string[] =>
            ["base", "mounts"].map((step) => command(`machines-${host}-${step}`).urn);
        const containers = program.ofType("docker:index/container:Container");
        const onHost = (name: string): RecordedResource => {
            const found = containers.find((c) => c.name === name);
            if (found === undefined) throw new Error(`no container ${name}`);
            return found;
        };
        expect(onHost("sonarr").dependencies).toEqual(expect.arrayContaining(readiness("docker-prod-01")));
        expect(onHost("authentik-server").dependencies).toEqual(expect.arrayContaining(readiness("auth-prod-01")));
        expect(onHost("immich-server").dependencies).toEqual(expect.arrayContaining(readiness("immich-prod-01")));
    });

    test("backups: ping URLs travel only as secret stdin into root-only env files, one check per job", () => {
        const cases = [
            [
                "machines-docker-prod-01-appdata-backup",
                "appdataBackupPingUrlDockerProd01",
                "/etc/homelab/appdata-backup.env",
                "deploy",
            ],
            [
                "machines-auth-prod-01-appdata-backup",
                "appdataBackupPingUrlAuthProd01",
                "/etc/homelab/appdata-backup.env",
                "deploy",
            ],
            [
                "machines-immich-prod-01-appdata-backup",
                "appdataBackupPingUrlImmichProd01",
                "/etc/homelab/appdata-backup.env",
                "deploy",
            ],
            ["machines-plex-backup", "plexBackupPingUrl", "/boot/config/homelab/plex-backup.env", "root"],
            ["machines-zfs-snapshots", "zfsSnapshotPingUrl", "/boot/config/homelab/zfs-snapshots.env", "root"],
        ] as const;
        for (const [name, secret, envFile, user] of cases) {
            const env = command(`${name}-ping-url`);
            expect(isSecretValue(env.rawInputs.stdin)).toBe(true);
            expect(env.inputs.stdin).toBe(`PING_URL='${dummySecret(secret)}'\n`);
            expect(env.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
            expect(env.inputs.create).toContain("umask 077");
            expect(env.inputs.create).toContain(envFile);
            expect(env.inputs.connection).toMatchObject({ user });

            const install = command(`${name}-install`);
            expect(install.dependencies).toContain(env.urn);
            expect(install.inputs.triggers).toEqual([sha256(install.inputs.stdin as string)]);
            expect(install.inputs.delete).toEqual(expect.any(String));
        }
        expect(program.ofType(commandType).filter((c) => c.name.endsWith("-ping-url"))).toHaveLength(cases.length);
        for (const host of vmNames) {
            const install = command(`machines-${host}-appdata-backup-install`);
            expect((install.inputs.connection as { host: string }).host).toBe(
                (command(`machines-${host}-base`).inputs.connection as { host: string }).host,
            );
            expect(install.inputs.stdin).toContain("EnvironmentFile=/etc/homelab/appdata-backup.env");
            expect(install.inputs.stdin).toContain("OnCalendar=*-*-* 03:00:00");
            expect(install.inputs.stdin).toContain(`RequiresMountsFor=/data/backups\n`);
            expect(install.dependencies).toContain(command(`machines-${host}-mounts`).urn);
        }
        const script = (host: string): string =>
            command(`machines-${host}-appdata-backup-install`).inputs.stdin as string;
        expect(script("immich-prod-01")).toContain(
            "dump '/data/backups/immich-prod-01/databases/immich-postgres.sql.gz' " +
                "docker exec immich-postgres pg_dumpall --clean --if-exists --username=postgres\n" +
                "copy '/opt/appdata/' '/data/backups/immich-prod-01/appdata/' --exclude=/immich-postgres/\n",
        );
        expect(script("auth-prod-01")).toContain(
            "dump '/data/backups/auth-prod-01/databases/authentik-postgresql.sql.gz' docker exec authentik-postgresql " +
                "pg_dump --clean --if-exists --create --username=authentik --dbname=authentik\n" +
                "copy '/opt/appdata/' '/data/backups/auth-prod-01/appdata/' --exclude=/authentik-postgresql/\n",
        );
        expect(script("docker-prod-01")).not.toContain("docker exec");
        expect(command("machines-plex-backup-install").inputs.stdin).toContain(
            "30 3 * * * /bin/bash /boot/config/homelab/plex-backup.sh",
        );
        const zfs = command("machines-zfs-snapshots-install");
        expect(zfs.inputs.connection).toMatchObject({ host: "192.168.30.12", user: "root" });
        expect(zfs.inputs.stdin).toContain("30 4 * * * /bin/bash /boot/config/homelab/zfs-snapshots.sh");
        expect(zfs.inputs.stdin).toContain(
            "readonly datasets=('photos' 'backups')\nreadonly prefix=homelab-\nreadonly keep=14\n",
        );
        expect(program.resources.filter((r) => r.type === "homelab:backups:ZfsSnapshots").map((r) => r.name)).toEqual([
            "machines-zfs-snapshots",
        ]);
    });

    test("no secret appears outside a secret marker in any machine resource", () => {
        const secrets = [
            "proxmoxApiToken",
            "appdataBackupPingUrlDockerProd01",
            "appdataBackupPingUrlAuthProd01",
            "appdataBackupPingUrlImmichProd01",
            "plexBackupPingUrl",
            "zfsSnapshotPingUrl",
            "deploySshPrivateKey",
        ];
        const machines = program.resources.filter(
            (r) =>
                r.type.startsWith("proxmoxve:") ||
                r.type.startsWith("pulumi:providers:proxmoxve") ||
                r.type === commandType,
        );
        for (const resource of machines) {
            for (const secret of secrets) {
                expect({
                    resource: resource.name,
                    leaks: plainOccurrences(resource.rawInputs, dummySecret(secret)),
                }).toEqual({
                    resource: resource.name,
                    leaks: [],
                });
            }
        }
    });

    test("Tier 0: one Proxmox backup job of the three VMs to the PBS storage", () => {
        const jobs = program.ofType("proxmoxve:backup/job:Job");
        expect(jobs.map((j) => j.name)).toEqual(["machines-vms-backup"]);
        expect(jobs[0]?.inputs).toMatchObject({
            resourceId: "homelab-vms",
            storage: "pbs-prod-01",
            schedule: "*-*-* 01:30",
            mode: "snapshot",
            vmids: ["111", "113", "114"],
            pruneBackups: { "keep-daily": "7", "keep-weekly": "4", "keep-monthly": "3" },
        });
        for (const host of vmNames) expect(jobs[0]?.dependencies).toContain(vm(host).urn);
    });
});
