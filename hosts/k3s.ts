import * as fs from "node:fs";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { secretOf, type Secrets } from "../config/load";
import type { ClusterNode, ClusterSettings } from "../config/schema";
import { installCommand, kubeconfigForNode, readKubeconfigCommand, type ServerInstall } from "./k3s-scripts";
import { sshKeySecret } from "./ssh";

export interface K3sClusterArgs {
    cluster: ClusterSettings;
    secrets: Secrets;
    /** Traefik's CRD bundle URL (`traefikCrdsUrl` of the catalog's Traefik tag). */
    traefikCrds: string;
    /** Each node's VM by node name (what its install waits for); absent for machines that exist already. */
    vms?: Readonly<Record<string, pulumi.Resource>>;
}

/** How each node joins: alone, the first of several (starts embedded etcd), or a server joining the first. */
export function serverRole(nodes: readonly ClusterNode[], index: number): ServerInstall["role"] {
    const first = nodes[0];
    if (nodes.length === 1 || first === undefined) return { kind: "single" };
    return index === 0 ? { kind: "cluster-init" } : { kind: "join", server: first.address };
}

/**
 * The k3s cluster as resources: a cluster token generated here (never read back from a node), k3s
 * installed on each server node over SSH at the pinned version, the kubeconfig read back from the
 * first node (a secret, never logged) and rewritten to its address, and the one Kubernetes
 * provider every workload uses. With `kubeconfigPath` (an API server that exists already) only the
 * provider is registered, from that file's content (a secret).
 */
export class K3sCluster extends pulumi.ComponentResource {
    public static readonly typeToken = "homelab:k3s:Cluster";
    public readonly provider: k8s.Provider;
    /** The kubeconfig the provider uses; secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** What a workload must wait for: the installs (none for an existing API server). */
    public readonly ready: pulumi.Resource[] = [];

    constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(K3sCluster.typeToken, name, {}, opts);
        const { cluster } = args;
        const nodes = cluster.nodes;
        const first = nodes[0];

        if (cluster.kubeconfigPath !== undefined || first === undefined || cluster.k3sVersion === undefined) {
            const path = cluster.kubeconfigPath;
            if (path === undefined)
                throw new Error("k3s: homelab:cluster has neither nodes and k3sVersion nor kubeconfigPath");
            this.kubeconfig = pulumi.secret(fs.readFileSync(path, "utf8"));
        } else {
            const version = cluster.k3sVersion;
            const privateKey = secretOf(args.secrets, sshKeySecret, "k3s cluster");
            const commands = new command.Provider(`${name}-command`, {}, { parent: this });
            const randomness = new random.Provider(`${name}-random`, {}, { parent: this });
            const token = new random.RandomPassword(
                `${name}-token`,
                { length: 64, special: false },
                { parent: this, provider: randomness, additionalSecretOutputs: ["result"] },
            );
            const connectionTo = (node: ClusterNode) => ({
                host: node.address,
                user: cluster.deployUser,
                privateKey,
                // A freshly created VM needs a while before SSH answers.
                dialErrorLimit: 30,
            });
            let previous: command.remote.Command | undefined;
            for (const [index, node] of nodes.entries()) {
                const create = installCommand({
                    version,
                    address: node.address,
                    role: serverRole(nodes, index),
                    user: cluster.deployUser,
                    traefikCrds: args.traefikCrds,
                });
                const vm = args.vms?.[node.name];
                const install = new command.remote.Command(
                    `${name}-${node.name}-install`,
                    {
                        connection: connectionTo(node),
                        create,
                        // The token reaches the node on stdin only, into a root-only file.
                        stdin: pulumi.secret(token.result),
                        // A new version (or flags) re-runs the installer: an in-place upgrade.
                        triggers: [create],
                    },
                    {
                        parent: this,
                        provider: commands,
                        additionalSecretOutputs: ["stdin"],
                        // One node at a time: servers join once the first has started embedded etcd, and
                        // an upgrade never takes two of three etcd members down together.
                        dependsOn: [...(vm ? [vm] : []), ...(previous ? [previous] : [])],
                    },
                );
                previous = install;
                this.ready.push(install);
            }
            const read = new command.remote.Command(
                `${name}-kubeconfig`,
                {
                    connection: connectionTo(first),
                    create: readKubeconfigCommand(cluster.deployUser),
                    // The kubeconfig holds the cluster's admin credentials: not in the engine's log.
                    logging: "none",
                    triggers: [version],
                },
                {
                    parent: this,
                    provider: commands,
                    additionalSecretOutputs: ["stdout", "stderr"],
                    dependsOn: this.ready,
                },
            );
            // stdout is absent where the command has not run (mocks): then there is no kubeconfig yet.
            this.kubeconfig = pulumi.secret(
                read.stdout.apply((text: string | undefined) => kubeconfigForNode(text ?? "", first.address)),
            );
        }

        this.provider = new k8s.Provider(
            `${name}-provider`,
            { kubeconfig: this.kubeconfig, namespace: cluster.namespace },
            { parent: this, dependsOn: this.ready },
        );
        this.registerOutputs({});
    }
}
