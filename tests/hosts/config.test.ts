import { machineProblems } from "../../hosts/machines";
import { loadProgram, ProgramLoadError, stackConfig, stackSettings } from "../helpers/program";

type Hosts = Record<string, Record<string, unknown> & { vm?: Record<string, unknown> }>;

function prodHosts(): Hosts {
    return JSON.parse(stackConfig("prod")["homelab:hosts"] ?? "{}") as Hosts;
}

function withVm(hosts: Hosts, host: string, change: (vm: Record<string, unknown>) => void): Hosts {
    const vm = { ...(hosts[host]?.vm ?? {}) };
    change(vm);
    hosts[host] = { ...hosts[host], vm };
    return hosts;
}

/** Loads prod with config keys replaced, expecting the load to fail before any resource exists. */
async function failure(config: Record<string, string>): Promise<ProgramLoadError> {
    try {
        await loadProgram("prod", { config });
    } catch (error) {
        if (error instanceof ProgramLoadError) return error;
        throw error;
    }
    throw new Error("the program loaded, but the config is bad");
}

const hostsConfig = (hosts: Hosts): Record<string, string> => ({ "homelab:hosts": JSON.stringify(hosts) });

describe("bad VM config fails before any resource is registered, naming key, value and what is allowed", () => {
    test("in-process host files where the VMs and backups need SSH", async () => {
        const error = await failure({ "homelab:hostFiles": "local" });
        expect(error.message).toContain(
            'homelab:hostFiles: "local" is not allowed with homelab:hosts.docker-prod-01.vm, homelab:hosts.auth-prod-01.vm, homelab:hosts.immich-prod-01.vm, homelab:backups; expected ssh: the bootstrap and the backups run on the hosts over SSH',
        );
        expect(error.registered).toBe(0);
    });

    test("an unknown way to write host files", async () => {
        const error = await failure({ "homelab:hostFiles": "rsync" });
        expect(error.message).toContain('homelab:hostFiles: "rsync" is not allowed; expected ssh or local');
        expect(error.registered).toBe(0);
    });

    test("two VMs with one address", async () => {
        const hosts = prodHosts();
        hosts["auth-prod-01"] = { ...hosts["auth-prod-01"], address: "192.168.30.11" };
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            'homelab:hosts.docker-prod-01.address: "192.168.30.11" is not allowed; homelab:hosts.auth-prod-01 has the same address; expected one address per machine',
        );
        expect(error.message.match(/has the same address/g)).toHaveLength(1);
        expect(error.registered).toBe(0);
    });

    test("a VM with the NAS's address", async () => {
        const hosts = prodHosts();
        hosts["immich-prod-01"] = { ...hosts["immich-prod-01"], address: "192.168.30.12" };
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            'homelab:hosts.immich-prod-01.address: "192.168.30.12" is not allowed; homelab:hosts.nas-prod-01 has the same address',
        );
    });

    test("an address outside the VM's subnet", async () => {
        const hosts = prodHosts();
        hosts["immich-prod-01"] = { ...hosts["immich-prod-01"], address: "192.168.40.14" };
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            'homelab:hosts.immich-prod-01.address: "192.168.40.14" is not allowed; it is outside the VM\'s subnet 192.168.30.0/24 ' +
                "(homelab:hosts.immich-prod-01.vm.network.subnet); expected a host address inside it",
        );
        expect(error.registered).toBe(0);
    });

    test("the broadcast address of the subnet", async () => {
        const hosts = prodHosts();
        hosts["auth-prod-01"] = { ...hosts["auth-prod-01"], address: "192.168.30.255" };
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain("it is the broadcast address of the VM's subnet 192.168.30.0/24");
    });

    test("memory below the floor", async () => {
        const hosts = withVm(prodHosts(), "auth-prod-01", (vm) => {
            vm.memoryMb = 512;
        });
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            "homelab:hosts.auth-prod-01.vm.memoryMb: 512 is not allowed; expected memory in MiB, at least 2048 (a Docker VM below that swaps)",
        );
        expect(error.registered).toBe(0);
    });

    test("a missing SSH key", async () => {
        const error = await failure(
            hostsConfig(
                withVm(prodHosts(), "docker-prod-01", (vm) => {
                    delete vm.sshKeys;
                }),
            ),
        );
        expect(error.message).toContain("homelab:hosts.docker-prod-01.vm.sshKeys: (missing) is not allowed");
        expect(error.registered).toBe(0);

        const empty = await failure(
            hostsConfig(
                withVm(prodHosts(), "docker-prod-01", (vm) => {
                    vm.sshKeys = [];
                }),
            ),
        );
        expect(empty.message).toContain(
            "homelab:hosts.docker-prod-01.vm.sshKeys: [] is not allowed; expected at least one SSH public key for the deploy user",
        );
    });

    test("a private key where the public key belongs", async () => {
        const error = await failure(
            hostsConfig(
                withVm(prodHosts(), "docker-prod-01", (vm) => {
                    vm.sshKeys = ["-----BEGIN OPENSSH PRIVATE KEY-----"];
                }),
            ),
        );
        expect(error.message).toContain("homelab:hosts.docker-prod-01.vm.sshKeys.0:");
        expect(error.message).toContain("an OpenSSH public key line");
    });

    test("two VMs with one VM id, an unknown image and an unknown NFS export", async () => {
        let hosts = withVm(prodHosts(), "immich-prod-01", (vm) => {
            vm.vmId = 111;
            vm.image = "ubuntu";
            vm.mounts = ["photos", "music"];
        });
        hosts = withVm(hosts, "auth-prod-01", () => undefined);
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            "homelab:hosts.docker-prod-01.vm.vmId: 111 is not allowed; homelab:hosts.immich-prod-01 has the same id",
        );
        expect(error.message).toContain(
            'homelab:hosts.immich-prod-01.vm.image: "ubuntu" is not allowed; expected a key of homelab:proxmox.images (debian-13)',
        );
        expect(error.message).toContain(
            'homelab:hosts.immich-prod-01.vm.mounts: "music" is not allowed; expected a key of homelab:proxmox.nfs.exports',
        );
    });

    test("both a cloud image and a template", async () => {
        const error = await failure(
            hostsConfig(
                withVm(prodHosts(), "auth-prod-01", (vm) => {
                    vm.templateId = 9000;
                }),
            ),
        );
        expect(error.message).toContain(
            'homelab:hosts.auth-prod-01.vm.image: "debian-13" is not allowed; expected exactly one of image (a cloud image key) or templateId',
        );
    });

    test("VMs without homelab:proxmox, backups without their hosts", () => {
        const problems = machineProblems({
            ...stackSettings("prod"),
            proxmox: undefined,
            backups: { plex: { ...stackSettings("prod").backups?.plex, host: "nowhere" } as never },
        });
        expect(problems).toContain(
            "homelab:proxmox: (missing) is not allowed where hosts declare a vm (docker-prod-01, auth-prod-01, immich-prod-01); " +
                "expected { endpoint, images, nfs } of the Proxmox VE the VMs run on",
        );
        expect(problems).toContain(
            'homelab:backups.plex.host: "nowhere" is not allowed; expected a host in homelab:hosts reached over SSH ' +
                "(a deployUser and no dockerHost), Plex's NAS",
        );
    });

    test("the lab has nothing to complain about", () => {
        expect(machineProblems(stackSettings("lab"))).toEqual([]);
        expect(machineProblems(stackSettings("prod"))).toEqual([]);
    });

    test("Tier 1 runs on every VM: one that leaves out the NAS backups export", async () => {
        const hosts = withVm(prodHosts(), "immich-prod-01", (vm) => {
            vm.mounts = ["data", "photos"];
        });
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            'homelab:hosts.immich-prod-01.vm.mounts: ["data","photos"] is not allowed with homelab:backups.appdata ' +
                '(Tier 1 runs on every VM); it leaves out the NAS export "backups"; expected "backups" among them, ' +
                "or no mounts key (every export)",
        );
        expect(error.message.match(/leaves out the NAS export/g)).toHaveLength(1);
        expect(error.registered).toBe(0);
    });

    test("Tier 1 without any backups export", async () => {
        const proxmox = prodProxmox();
        proxmox.nfs.exports = { data: { path: "/mnt/user/data", at: "" }, photos: "/mnt/user/photos" };
        const error = await failure({ "homelab:proxmox": JSON.stringify(proxmox) });
        expect(error.message).toContain(
            'homelab:proxmox.nfs.exports: ["data","photos"] is not allowed with homelab:backups.appdata; it has no ' +
                '"backups" export; expected homelab:proxmox.nfs.exports.backups, the NAS share every VM\'s Tier 1 backup writes to',
        );
    });

    test("the old single-host Tier 1 key is refused by name", async () => {
        const backups = JSON.parse(stackConfig("prod")["homelab:backups"] ?? "{}") as Record<string, unknown>;
        backups.appdata = { host: "docker-prod-01", onCalendar: "*-*-* 03:00:00" };
        const error = await failure({ "homelab:backups": JSON.stringify(backups) });
        expect(error.message).toContain('homelab:backups.appdata: unknown key(s) "host"; remove or rename them');
    });

    test("Tier 2: a ZFS snapshot name where a dataset belongs, and a host not reached over SSH", async () => {
        const backups = JSON.parse(stackConfig("prod")["homelab:backups"] ?? "{}") as Record<string, unknown>;
        backups.snapshots = { host: "nas-prod-01", cron: "30 4 * * *", datasets: ["photos@daily"], keep: 0 };
        const error = await failure({ "homelab:backups": JSON.stringify(backups) });
        expect(error.message).toContain(
            'homelab:backups.snapshots.datasets.0: "photos@daily" is not allowed; expected a ZFS pool or dataset name such as tank/photos',
        );
        expect(error.message).toContain(
            "homelab:backups.snapshots.keep: 0 is not allowed; expected how many snapshots to keep, 1 to 365",
        );
        const problems = machineProblems({
            ...stackSettings("prod"),
            backups: {
                snapshots: { host: "lab", cron: "0 4 * * *", datasets: ["tank"], keep: 3, installDir: "/boot/x" },
            },
        });
        expect(problems).toEqual([
            'homelab:backups.snapshots.host: "lab" is not allowed; expected a host in homelab:hosts reached over SSH ' +
                "(a deployUser and no dockerHost), the ZFS NAS",
        ]);
    });

    test("each VM's Tier 1 check has its own secret ping URL, named after the host", async () => {
        const error = await loadProgram("prod", { withoutSecrets: ["appdataBackupPingUrlAuthProd01"] }).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ProgramLoadError);
        const message = (error as ProgramLoadError).message;
        expect(message).toContain(
            "homelab:appdataBackupPingUrlAuthProd01: (missing) is not allowed; expected a secret " +
                "(used by auth-prod-01 Tier 1 backup (Healthchecks)): " +
                "pulumi config set --secret homelab:appdataBackupPingUrlAuthProd01 <value>",
        );
        expect(message).not.toContain("appdataBackupPingUrlDockerProd01");
        expect(message).not.toContain("appdataBackupPingUrlImmichProd01");
    });
});

interface ProxmoxConfig {
    nfs: { exports: Record<string, unknown>; options?: string };
}

function prodProxmox(): ProxmoxConfig {
    return JSON.parse(stackConfig("prod")["homelab:proxmox"] ?? "{}") as ProxmoxConfig;
}

const proxmoxConfig = (proxmox: ProxmoxConfig): Record<string, string> => ({
    "homelab:proxmox": JSON.stringify(proxmox),
});

describe("one filesystem for the TRaSH tree: hardlinking services never straddle two NFS mounts", () => {
    const arr = "sonarr, sonarr-anime, radarr, radarr-4k";

    test("prod mounts one data share at /data, so downloads and media are one mount", () => {
        expect(machineProblems(stackSettings("prod"))).toEqual([]);
    });

    test("media and downloads as two exports (the old layout)", async () => {
        const proxmox = prodProxmox();
        proxmox.nfs.exports = {
            media: "/mnt/user/media",
            downloads: "/mnt/user/downloads",
            photos: "/mnt/user/photos",
            backups: "/mnt/user/backups",
        };
        const error = await failure(proxmoxConfig(proxmox));
        expect(error.message).toContain(
            `homelab:proxmox.nfs.exports.downloads: "/mnt/user/downloads" is not allowed on docker-prod-01 with ${arr}; ` +
                'it mounts at /data/downloads, so /data/downloads is on it and /data/media on export "media" at /data/media: ' +
                "two filesystems, and their imports from downloads to media cannot hardlink or move atomically (EXDEV); " +
                'expected one export whose mount holds both, such as the data share at the data root ({ path: /mnt/user/data, at: "" })',
        );
        // One line for the four services; the VMs that run none of them are fine.
        expect(error.message.match(/EXDEV/g)).toHaveLength(1);
        expect(error.registered).toBe(0);
    });

    test("downloads mounted on its own below the data root", async () => {
        const proxmox = prodProxmox();
        proxmox.nfs.exports = { ...proxmox.nfs.exports, incoming: { path: "/mnt/user/incoming", at: "downloads" } };
        const error = await failure(proxmoxConfig(proxmox));
        expect(error.message).toContain(
            `homelab:proxmox.nfs.exports.incoming: {"path":"/mnt/user/incoming","at":"downloads"} is not allowed on ` +
                `docker-prod-01 with ${arr}; it mounts at /data/downloads, so /data/downloads is on it and /data/media ` +
                'on export "data" at /data: two filesystems',
        );
    });

    test("one end on NFS, the other on the VM's own disk", () => {
        const settings = stackSettings("prod", {
            "homelab:proxmox": JSON.stringify({
                ...prodProxmox(),
                nfs: { exports: { downloads: "/mnt/user/downloads", backups: "/mnt/user/backups" } },
            }),
        });
        expect(machineProblems(settings)).toEqual([
            `homelab:proxmox.nfs.exports.downloads: "/mnt/user/downloads" is not allowed on docker-prod-01 with ${arr}; ` +
                "it mounts at /data/downloads, so /data/downloads is on it and /data/media on the VM's own disk: " +
                "two filesystems, and their imports from downloads to media cannot hardlink or move atomically (EXDEV); " +
                'expected one export whose mount holds both, such as the data share at the data root ({ path: /mnt/user/data, at: "" })',
        ]);
    });

    test("only services on that VM count, and only enabled ones", () => {
        const settings = stackSettings("prod", {
            "homelab:proxmox": JSON.stringify({
                ...prodProxmox(),
                nfs: { exports: { media: "/mnt/user/media", downloads: "/mnt/user/downloads", backups: "/b" } },
            }),
        });
        const entry = {
            name: "importer",
            title: "importer",
            stack: "photos",
            storage: { declaredVolumes: [], statePaths: [], source: "test" },
            host: "immich-prod-01",
            image: { repository: "x", tag: "1" },
            user: { kind: "puid" },
            mounts: [{ from: "data", sub: "", target: "/data" }],
            health: { kind: "none", reason: "test" },
            networking: { mode: "bridge", proxy: true, internal: false },
            hardlinks: { from: "downloads", to: "media" },
        } as const;
        expect(machineProblems(settings, [entry]).map((p) => p.split(";")[0])).toEqual([
            'homelab:proxmox.nfs.exports.downloads: "/mnt/user/downloads" is not allowed on immich-prod-01 with importer',
        ]);
        expect(machineProblems(settings, [{ ...entry, enabled: false }])).toEqual([]);
        expect(machineProblems(settings, [{ ...entry, hardlinks: undefined }])).toEqual([]);
    });

    test("the NAS's own data tree must be the one the VMs mount at /data", async () => {
        const hosts = prodHosts();
        hosts["nas-prod-01"] = {
            ...hosts["nas-prod-01"],
            storage: { appdata: "/mnt/user/appdata", data: "/mnt/user" },
        };
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            'homelab:proxmox.nfs.exports.data: {"path":"/mnt/user/data","at":""} is not allowed with ' +
                'homelab:hosts.nas-prod-01.storage.data "/mnt/user"; the VMs see /mnt/user/data at /data, but services ' +
                "on the NAS see /mnt/user there; expected the path /mnt/user, or the NAS's storage.data set to the " +
                "directory the VMs mount at /data",
        );
        expect(error.message.match(/storage\.data/g)).toHaveLength(2);
    });

    test("two exports on one mount point, and a mount point that is not below the data root", async () => {
        const proxmox = prodProxmox();
        proxmox.nfs.exports = { ...proxmox.nfs.exports, pictures: { path: "/mnt/user/pictures", at: "photos" } };
        const error = await failure(proxmoxConfig(proxmox));
        expect(error.message).toContain(
            'homelab:proxmox.nfs.exports.pictures: {"path":"/mnt/user/pictures","at":"photos"} is not allowed; it mounts ' +
                'at /data/photos like export "photos"; expected one export per mount point',
        );

        const absolute = prodProxmox();
        absolute.nfs.exports = { ...absolute.nfs.exports, data: { path: "/mnt/user/data", at: "/data" } };
        const schema = await failure(proxmoxConfig(absolute));
        expect(schema.message).toContain(
            'homelab:proxmox.nfs.exports.data.at: "/data" is not allowed; expected a path below storage.data without ' +
                'a leading or trailing slash, such as photos, or "" for the data root',
        );
        expect(schema.registered).toBe(0);
    });
});
