import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installCommand, kubeconfigForNode, serverFlags } from "../../hosts/k3s-scripts";
import {
    dummyGenerated,
    isSecretValue,
    plainOccurrences,
    ProgramLoadError,
    unwrapSecrets,
    type Program,
} from "../helpers/program";
import { loadProgram, stackConfig } from "../helpers/program";

/** The sandbox's `homelab:cluster` object, to change one key of it. */
const sandboxCluster = (): Record<string, unknown> =>
    JSON.parse(stackConfig("sandbox")["homelab:cluster"] ?? "{}") as Record<string, unknown>;

const commandType = "command:remote:Command";
const providerType = "pulumi:providers:kubernetes";
const vmType = "proxmoxve:index/vmLegacy:VmLegacy";
const token = dummyGenerated("k3s-token");
const crds =
    "https://raw.githubusercontent.com/traefik/traefik/v3.7.9/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml";

/** The sandbox's one node, as Pulumi.sandbox.yaml declares it. */
const sandboxNode = { name: "k3s-sandbox-01", address: "192.168.30.31" };

/** Three nodes (embedded etcd HA): the sandbox node's VM settings with other names, addresses and ids. */
function threeNodes(): Record<string, unknown> {
    const cluster = sandboxCluster();
    const [node] = cluster.nodes as { vm: Record<string, unknown> }[];
    const vm = node?.vm ?? {};
    return {
        ...cluster,
        nodes: [21, 22, 23].map((octet) => ({
            name: `k3s-0${octet - 20}`,
            address: `192.168.30.${octet}`,
            vm: { ...vm, vmId: 100 + octet },
        })),
    };
}

/** Every path where the value leaks outside a secret marker, across every resource's inputs. */
function leaks(program: Program, value: string): string[] {
    return program.resources.flatMap((resource) =>
        plainOccurrences(resource.rawInputs, value).map((where) => `${resource.type} ${resource.name} ${where}`),
    );
}

describe("the commands a k3s node runs", () => {
    const flags = "'--tls-san' '192.168.30.21' '--disable' 'traefik' '--write-kubeconfig-mode' '0600'";
    const installer = (role: string) =>
        "curl -sfL https://get.k3s.io | sudo -n env INSTALL_K3S_VERSION='v1.33.5+k3s1' sh -s - " +
        `'server' '--token-file' '/etc/rancher/k3s/cluster-token' ${flags}${role}`;
    const install = (role: Parameters<typeof installCommand>[0]["role"]) =>
        installCommand({ version: "v1.33.5+k3s1", address: "192.168.30.21", role, user: "deploy", traefikCrds: crds });

    it("installs the pinned version with the token from a root-only file, --tls-san and without the bundled Traefik", () => {
        const command = install({ kind: "single" });
        const steps = command.split(" && ");
        expect(steps[steps.length - 1]).toBe(installer(""));
        expect(
            command.startsWith(
                "sudo -n sh -c 'umask 077 && mkdir -p '\\''/etc/rancher/k3s'\\'' && cat >'\\''/etc/rancher/k3s/cluster-token.tmp'\\'' && " +
                    "mv -f '\\''/etc/rancher/k3s/cluster-token.tmp'\\'' '\\''/etc/rancher/k3s/cluster-token'\\''' && ",
            ),
        ).toBe(true);
        expect(steps).toContain(
            `curl -sfL '${crds}' | sudo -n tee /var/lib/rancher/k3s/server/manifests/traefik-crds.yaml >/dev/null`,
        );
    });

    it("starts embedded etcd on the first of several servers and joins the others to it", () => {
        expect(install({ kind: "cluster-init" }).endsWith(installer(" '--cluster-init'"))).toBe(true);
        expect(
            install({ kind: "join", server: "192.168.30.21" }).endsWith(
                installer(" '--server' 'https://192.168.30.21:6443'"),
            ),
        ).toBe(true);
        expect(
            serverFlags({
                version: "v1.33.5+k3s1",
                address: "192.168.30.22",
                role: { kind: "join", server: "192.168.30.21" },
                user: "root",
                traefikCrds: crds,
            }),
        ).toEqual([
            "server",
            "--token-file",
            "/etc/rancher/k3s/cluster-token",
            "--tls-san",
            "192.168.30.22",
            "--disable",
            "traefik",
            "--write-kubeconfig-mode",
            "0600",
            "--server",
            "https://192.168.30.21:6443",
        ]);
    });

    it("rewrites the kubeconfig from loopback to the node's address", () => {
        const kubeconfig = "clusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: default\n";
        expect(kubeconfigForNode(kubeconfig, "192.168.30.31")).toBe(
            "clusters:\n- cluster:\n    server: https://192.168.30.31:6443\n  name: default\n",
        );
    });
});

describe("the sandbox's one-node cluster under mocks", () => {
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("sandbox");
    });

    it("declares the node as a Proxmox VM like the other VMs, tagged k3s", () => {
        const vm = program.get(vmType, "machines-vms-k3s-sandbox-01");
        expect(vm.inputs).toMatchObject({
            name: "k3s-sandbox-01",
            vmId: 131,
            nodeName: "pve-prod-01",
            tags: ["homelab", "k3s"],
            protection: false,
            initialization: { ipConfigs: [{ ipv4: { address: "192.168.30.31/24", gateway: "192.168.30.1" } }] },
        });
        expect(vm.protect).toBe(false);
    });

    it("installs k3s over SSH once the VM exists, with the pinned version, --tls-san and --disable traefik", () => {
        const install = program.get(commandType, "k3s-k3s-sandbox-01-install");
        const create = String(install.inputs.create);
        expect(create).toContain("INSTALL_K3S_VERSION='v1.33.5+k3s1'");
        expect(create).toContain("'--tls-san' '192.168.30.31'");
        expect(create).toContain("'--disable' 'traefik'");
        expect(create).not.toContain("--cluster-init");
        expect(install.inputs.connection).toMatchObject({ host: sandboxNode.address, user: "deploy" });
        const vm = program.get(vmType, "machines-vms-k3s-sandbox-01");
        expect(install.dependencies).toContain(vm.urn);
    });

    it("keeps the generated token secret everywhere: only on the install's stdin, never in a command line", () => {
        const install = program.get(commandType, "k3s-k3s-sandbox-01-install");
        expect(isSecretValue(install.rawInputs.stdin)).toBe(true);
        expect(unwrapSecrets(install.rawInputs.stdin)).toBe(token);
        expect(install.additionalSecretOutputs).toContain("stdin");
        expect(
            program.get("random:index/randomPassword:RandomPassword", "k3s-token").additionalSecretOutputs,
        ).toContain("result");
        expect(leaks(program, token)).toEqual([]);
        expect(JSON.stringify(program.outputs)).not.toContain(token);
    });

    it("reads the kubeconfig back with its output secret and never logged, into the provider as a secret", () => {
        const read = program.get(commandType, "k3s-kubeconfig");
        expect(read.inputs.create).toBe("sudo -n cat /etc/rancher/k3s/k3s.yaml");
        expect(read.inputs.logging).toBe("none");
        expect(read.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
        const provider = program.get(providerType, "k3s-provider");
        expect(isSecretValue(provider.rawInputs.kubeconfig)).toBe(true);
        expect(provider.inputs.namespace).toBe("homelab");
    });

    it("puts every Kubernetes object on the cluster's provider (no default provider)", () => {
        const provider = program.get(providerType, "k3s-provider");
        const objects = program.resources.filter((resource) => resource.type.startsWith("kubernetes:"));
        expect(objects.length).toBeGreaterThan(0);
        expect(objects.filter((resource) => !resource.provider.startsWith(`${provider.urn}::`))).toEqual([]);
    });
});

describe("three servers: embedded etcd HA", () => {
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("sandbox", { config: { "homelab:cluster": JSON.stringify(threeNodes()) } });
    });

    it("starts etcd on the first and joins the others to it, one node after the other", () => {
        const installs = ["k3s-01", "k3s-02", "k3s-03"].map((node) => program.get(commandType, `k3s-${node}-install`));
        const [first, second, third] = installs.map((install) => String(install.inputs.create));
        expect(first?.endsWith("'--cluster-init'")).toBe(true);
        expect(second?.endsWith("'--server' 'https://192.168.30.21:6443'")).toBe(true);
        expect(third?.endsWith("'--server' 'https://192.168.30.21:6443'")).toBe(true);
        expect(second).toContain("'--tls-san' '192.168.30.22'");
        expect(installs[1]?.dependencies).toContain(installs[0]?.urn);
        expect(installs[2]?.dependencies).toContain(installs[1]?.urn);
        expect(program.ofType(vmType).map((vm) => vm.name)).toEqual([
            "machines-vms-k3s-01",
            "machines-vms-k3s-02",
            "machines-vms-k3s-03",
        ]);
        expect(program.get(commandType, "k3s-kubeconfig").inputs.connection).toMatchObject({ host: "192.168.30.21" });
        expect(leaks(program, token)).toEqual([]);
    });

    it("protects the VMs where the stack protects stateful resources", async () => {
        const protectedRun = await loadProgram("sandbox", {
            config: {
                "homelab:cluster": JSON.stringify(threeNodes()),
                "homelab:protectStateful": "true",
            },
        });
        expect(protectedRun.ofType(vmType).map((vm) => [vm.name, vm.protect, vm.inputs.protection])).toEqual([
            ["machines-vms-k3s-01", true, true],
            ["machines-vms-k3s-02", true, true],
            ["machines-vms-k3s-03", true, true],
        ]);
    });
});

describe("an existing API server (kubeconfigPath)", () => {
    const content =
        "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: kubeconfig-credential-0f1e2d\n";
    let file: string;
    let program: Program;
    beforeAll(async () => {
        file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "homelab-k3s-")), "kubeconfig");
        fs.writeFileSync(file, content);
        program = await loadProgram("sandbox", {
            config: {
                "homelab:cluster": JSON.stringify({ ...sandboxCluster(), kubeconfigPath: file, awaitWorkloads: false }),
            },
        });
    });
    afterAll(() => {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });

    it("registers no VM and no install, and builds the provider from the file, secret", () => {
        expect(program.ofType(vmType)).toEqual([]);
        expect(program.ofType(commandType)).toEqual([]);
        const provider = program.get(providerType, "k3s-provider");
        expect(isSecretValue(provider.rawInputs.kubeconfig)).toBe(true);
        expect(unwrapSecrets(provider.rawInputs.kubeconfig)).toBe(content);
        expect(leaks(program, "kubeconfig-credential-0f1e2d")).toEqual([]);
    });

    it("marks the workloads not to be awaited", () => {
        const deployment = program.get("kubernetes:apps/v1:Deployment", "k3s-services-immich-server");
        expect(deployment.inputs.metadata).toMatchObject({ annotations: { "pulumi.com/skipAwait": "true" } });
    });
});

describe("bad cluster config fails before any resource is registered", () => {
    async function failure(cluster: Record<string, unknown>): Promise<ProgramLoadError> {
        try {
            await loadProgram("sandbox", { config: { "homelab:cluster": JSON.stringify(cluster) } });
        } catch (error) {
            if (error instanceof ProgramLoadError) return error;
            throw error;
        }
        throw new Error("the program loaded, but the config is bad");
    }

    it.each([
        [
            "two nodes",
            () => ({ ...threeNodes(), nodes: (threeNodes().nodes as unknown[]).slice(0, 2) }),
            "homelab:cluster.nodes: 2 node(s) is not allowed; expected 1, 3, 5, 7 (one for the sandbox, an odd number of servers for embedded etcd's quorum)",
        ],
        [
            "no version",
            () => ({ ...sandboxCluster(), k3sVersion: undefined }),
            "homelab:cluster.k3sVersion: (missing) is not allowed where the program installs k3s; expected a pinned k3s release such as v1.33.5+k3s1",
        ],
        [
            "a channel instead of a release",
            () => ({ ...sandboxCluster(), k3sVersion: "stable" }),
            'homelab:cluster.k3sVersion: "stable" is not allowed; expected a pinned k3s release such as v1.33.5+k3s1 (no channel, no latest)',
        ],
        [
            "a kubeconfig that does not exist",
            () => ({ ...sandboxCluster(), kubeconfigPath: "/nonexistent/kubeconfig" }),
            'homelab:cluster.kubeconfigPath: "/nonexistent/kubeconfig" is not allowed; no such file; expected the path of a readable kubeconfig file',
        ],
        [
            "a node on the NAS's address",
            () => ({
                ...sandboxCluster(),
                nodes: (sandboxCluster().nodes as Record<string, unknown>[]).map((node) => ({
                    ...node,
                    address: "192.168.30.12",
                })),
            }),
            'homelab:cluster.nodes: "192.168.30.12" (k3s-sandbox-01) is not allowed; homelab:hosts.nas-prod-01 has the same address; expected one address per machine',
        ],
    ])("%s", async (_, cluster, message) => {
        const error = await failure(cluster());
        expect(error.message).toContain(message);
        expect(error.registered).toBe(0);
    });
});
