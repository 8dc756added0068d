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
        expect(summary).toMatchSnapshot();
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
            for (const share of ["media", "downloads", "photos", "backups"]) {
                expect(mounts).toContain(`What=192.168.30.12:/mnt/user/${share}\nWhere=/data/${share}\n`);
            }
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

    test("backups: ping URLs travel only as secret stdin into root-only env files", () => {
        const cases = [
            ["machines-appdata-backup", "appdataBackupPingUrl", "/etc/homelab/appdata-backup.env", "deploy"],
            ["machines-plex-backup", "plexBackupPingUrl", "/boot/config/homelab/plex-backup.env", "root"],
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
        const appdataInstall = command("machines-appdata-backup-install").inputs.stdin as string;
        expect(appdataInstall).toContain(`EnvironmentFile=/etc/homelab/appdata-backup.env`);
        expect(appdataInstall).toContain("OnCalendar=*-*-* 03:00:00");
        expect(command("machines-appdata-backup-install").dependencies).toContain(
            command("machines-docker-prod-01-mounts").urn,
        );
        expect(command("machines-plex-backup-install").inputs.stdin).toContain(
            "30 3 * * * /bin/bash /boot/config/homelab/plex-backup.sh",
        );
    });

    test("no secret appears outside a secret marker in any machine resource", () => {
        const secrets = ["proxmoxApiToken", "appdataBackupPingUrl", "plexBackupPingUrl", "deploySshPrivateKey"];
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
