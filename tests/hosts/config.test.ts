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

    test("an appdata backup on a host without the NAS backups export", async () => {
        const hosts = withVm(prodHosts(), "docker-prod-01", (vm) => {
            vm.mounts = ["media"];
        });
        const error = await failure(hostsConfig(hosts));
        expect(error.message).toContain(
            'homelab:backups.appdata.host: "docker-prod-01" is not allowed; it does not mount the NAS export "backups"',
        );
    });
});
