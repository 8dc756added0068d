import * as fs from "node:fs";
import { show } from "../config/errors";
import type { SecretRequest } from "../config/load";
import type { ClusterNode, ClusterSettings, Settings } from "../config/schema";
import { hostNames } from "../topology";
import { ipv4Number, ipv4Range } from "../topology/ipv4";
import { sshKeySecret } from "./ssh";

/**
 * The k3s cluster's config rules that span keys (a schema sees one value at a time), and what the
 * cluster needs from the rest of the program. Pure: tested without Pulumi.
 */

/** 1 (the sandbox) or an odd number up to 7: embedded etcd keeps a quorum only with an odd count. */
export const allowedNodeCounts = [1, 3, 5, 7] as const;

/** Where a k3s server keeps what the program reads or writes. */
export const k3sPaths = {
    kubeconfig: "/etc/rancher/k3s/k3s.yaml",
    token: "/etc/rancher/k3s/cluster-token",
} as const;

/** The API server's port on every server node. */
export const apiPort = 6443;

/** The cluster's nodes the program installs (none when it is given a kubeconfig). */
export function installedNodes(settings: Settings): ClusterNode[] {
    const cluster = settings.cluster;
    return cluster === undefined || cluster.kubeconfigPath !== undefined ? [] : cluster.nodes;
}

/** The nodes that are Proxmox VMs, with what the VM code needs of a host. */
export function clusterVms(
    settings: Settings,
): { name: string; address: string; deployUser: string; vm: NonNullable<ClusterNode["vm"]> }[] {
    const cluster = settings.cluster;
    if (cluster === undefined) return [];
    return installedNodes(settings).flatMap((node) =>
        node.vm === undefined
            ? []
            : [{ name: node.name, address: node.address, deployUser: cluster.deployUser, vm: node.vm }],
    );
}

/** Where the cluster's ingress (its Traefik's LoadBalancer, k3s's ServiceLB on every node) answers: the first node. */
export function clusterIngressAddress(settings: Settings): string | undefined {
    return settings.cluster?.nodes[0]?.address;
}

function clusterShapeProblems(cluster: ClusterSettings): string[] {
    const problems: string[] = [];
    const key = "homelab:cluster";
    // An existing API server: its kubeconfig wins, and the nodes (if listed) only say where its ingress answers.
    if (cluster.kubeconfigPath !== undefined) {
        if (!fs.existsSync(cluster.kubeconfigPath)) {
            problems.push(
                `${key}.kubeconfigPath: ${show(cluster.kubeconfigPath)} is not allowed; no such file; ` +
                    "expected the path of a readable kubeconfig file",
            );
        }
        return problems;
    }
    const count = cluster.nodes.length;
    if (!(allowedNodeCounts as readonly number[]).includes(count)) {
        problems.push(
            `${key}.nodes: ${count} node(s) is not allowed; expected ${allowedNodeCounts.join(", ")} ` +
                "(one for the sandbox, an odd number of servers for embedded etcd's quorum)",
        );
    }
    if (cluster.k3sVersion === undefined) {
        problems.push(
            `${key}.k3sVersion: (missing) is not allowed where the program installs k3s; ` +
                "expected a pinned k3s release such as v1.33.5+k3s1",
        );
    }
    for (const [i, node] of cluster.nodes.entries()) {
        const twin = cluster.nodes.findIndex((other) => other.name === node.name || other.address === node.address);
        if (twin < i) {
            problems.push(
                `${key}.nodes[${i}]: ${show(node.name)} at ${show(node.address)} is not allowed; ` +
                    `${key}.nodes[${twin}] has the same name or address; expected one name and address per node`,
            );
        }
        if ((hostNames as readonly string[]).includes(node.name)) {
            problems.push(
                `${key}.nodes[${i}].name: ${show(node.name)} is not allowed; it is a Docker host of the homelab; ` +
                    "expected a name of its own such as k3s-01",
            );
        }
    }
    return problems;
}

/** Problems with `homelab:cluster` against itself and the rest of the settings. */
export function clusterProblems(settings: Settings): string[] {
    const cluster = settings.cluster;
    if (cluster === undefined) return [];
    const problems = clusterShapeProblems(cluster);
    const vms = clusterVms(settings);
    if (vms.length > 0 && settings.proxmox === undefined) {
        problems.push(
            "homelab:proxmox: (missing) is not allowed where homelab:cluster.nodes declare a vm; " +
                "expected { endpoint, images } of the Proxmox VE the k3s VMs run on",
        );
    }
    const takenIds = new Map<number, string>();
    for (const [name, host] of Object.entries(settings.hosts)) {
        if (host.vm !== undefined) takenIds.set(host.vm.vmId, `homelab:hosts.${name}`);
        for (const node of cluster.nodes) {
            if (node.address === host.address) {
                problems.push(
                    `homelab:cluster.nodes: ${show(node.address)} (${node.name}) is not allowed; homelab:hosts.${name} ` +
                        "has the same address; expected one address per machine",
                );
            }
        }
    }
    for (const { name, address, vm } of vms) {
        const key = `homelab:cluster.nodes.${name}.vm`;
        const owner = takenIds.get(vm.vmId);
        if (owner !== undefined) {
            problems.push(
                `${key}.vmId: ${show(vm.vmId)} is not allowed; ${owner} has the same id; expected one Proxmox VM id per VM`,
            );
        }
        takenIds.set(vm.vmId, `homelab:cluster.nodes.${name}`);
        if (
            vm.image !== undefined &&
            settings.proxmox !== undefined &&
            settings.proxmox.images[vm.image] === undefined
        ) {
            problems.push(
                `${key}.image: ${show(vm.image)} is not allowed; expected a key of homelab:proxmox.images ` +
                    `(${Object.keys(settings.proxmox.images).join(", ") || "none defined"})`,
            );
        }
        if (!inSubnet(address, vm.network.subnet)) {
            problems.push(
                `homelab:cluster.nodes.${name}.address: ${show(address)} is not allowed; it is outside the VM's subnet ` +
                    `${vm.network.subnet}; expected a host address inside it`,
            );
        }
        if (vm.mounts !== undefined && vm.mounts.length > 0) {
            problems.push(
                `${key}.mounts: ${show(vm.mounts)} is not allowed on a k3s node; expected none ` +
                    "(workloads mount the NAS through NFS volumes, not the node)",
            );
        }
    }
    return problems;
}

/** A host address of the subnet: inside it, neither its network nor its broadcast address. */
function inSubnet(address: string, cidr: string): boolean {
    const [network, broadcast] = ipv4Range(cidr);
    const value = ipv4Number(address);
    return value > network && value < broadcast;
}

/** The deploy key reaches the nodes the program installs over SSH. */
export function clusterSecretRequests(settings: Settings): SecretRequest[] {
    const nodes = installedNodes(settings);
    return nodes.length === 0 ? [] : [{ key: sshKeySecret, usedBy: nodes.map((node) => `k3s node ${node.name}`) }];
}
