import type { ResourceValidationPolicy } from "@pulumi/policy";
import { protectedStacks } from "../../catalog/policy";
import type { ContextOf, PolicyContext } from "../context";
import { plainOf } from "../wire";
import { containerType, enforcementLevel, list, record, text } from "./read";

export const tunnelType = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared";
export const tunnelConfigType = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig";
/** Proxmox machines: the mature `*Legacy` resources and the newer ones, VMs and LXC containers. */
export const machineTypes = [
    "proxmoxve:index/vmLegacy:VmLegacy",
    "proxmoxve:cloned/vmLegacy:VmLegacy",
    "proxmoxve:index/vm:Vm",
    "proxmoxve:cloned/vm:Vm",
    "proxmoxve:index/containerLegacy:ContainerLegacy",
];

/**
 * What holds state on the k3s cluster (components/kubernetes): a database's StatefulSet, every claim
 * (a deleted local-path claim takes its node directory with it) and the NAS library's NFS volume.
 */
export const clusterStateTypes: Readonly<Record<string, string>> = {
    "kubernetes:apps/v1:StatefulSet": "the StatefulSet",
    "kubernetes:core/v1:PersistentVolumeClaim": "the PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolume": "the PersistentVolume",
};

/** Why this stack must protect its state, or undefined where it must not (the lab, so `destroy` works). */
function protection({ settings, stack }: PolicyContext): string | undefined {
    if (settings.protectStateful) return `homelab:protectStateful is true in stack ${stack}`;
    if (protectedStacks.includes(stack)) {
        return `stack ${stack} always protects stateful resources (set homelab:protectStateful: true)`;
    }
    return undefined;
}

export function stackPolicies(contextOf: ContextOf): ResourceValidationPolicy[] {
    return [
        {
            name: "tunnel-ingress-matches-catalog",
            description: "The tunnel's ingress hostnames are exactly the catalog's external hostnames.",
            enforcementLevel,
            validateResource: (args, report) => {
                if (args.type !== tunnelConfigType) return;
                const { allowed } = contextOf(args.urn);
                const ingresses = list(record(plainOf(args.props).config).ingresses).map(record);
                const named = ingresses.filter(
                    (ingress) => ingress.hostname !== undefined && ingress.hostname !== null,
                );
                const hostnames = named.flatMap((ingress) => {
                    const hostname = text(ingress.hostname);
                    return hostname === undefined ? [] : [hostname];
                });
                // Hostnames not known yet (preview) are judged at `up`.
                if (hostnames.length < named.length) return;
                const expected = allowed.externalHostnames;
                const missing = expected.filter((hostname) => !hostnames.includes(hostname));
                const extra = [...new Set(hostnames.filter((hostname) => !expected.includes(hostname)))];
                const twice = [...new Set(hostnames.filter((hostname, i) => hostnames.indexOf(hostname) !== i))];
                if (missing.length > 0) {
                    report(`${args.name}: the tunnel lacks ${missing.join(", ")} (external in the catalog)`);
                }
                if (extra.length > 0) {
                    report(
                        `${args.name}: the tunnel serves ${extra.join(", ")}, which the catalog does not mark external ` +
                            `(external: ${expected.join(", ") || "none"})`,
                    );
                }
                if (twice.length > 0) report(`${args.name}: the tunnel lists ${twice.join(", ")} more than once`);
            },
        },
        {
            name: "stateful-resources-protected",
            description:
                "VMs, the tunnel, database containers and the cluster's StatefulSets, claims and volumes are protected " +
                "in stacks that protect state (prod, or protectStateful: true).",
            enforcementLevel,
            validateResource: (args, report) => {
                if (args.opts.protect) return;
                const { allowed } = contextOf(args.urn);
                const containerName = args.type === containerType ? text(plainOf(args.props).name) : undefined;
                const clusterState = clusterStateTypes[args.type];
                const objectName =
                    clusterState === undefined ? undefined : text(record(plainOf(args.props).metadata).name);
                const what = clusterState
                    ? clusterState
                    : machineTypes.includes(args.type)
                      ? "the machine"
                      : args.type === tunnelType
                        ? "the tunnel"
                        : containerName !== undefined && allowed.statefulServices.includes(containerName)
                          ? "the database container"
                          : undefined;
                if (what === undefined) return;
                const why = protection(contextOf(args.urn));
                if (why !== undefined) {
                    report(`${what} ${containerName ?? objectName ?? args.name} is not protected; ${why}`);
                }
            },
        },
        {
            name: "no-default-providers",
            description:
                "Every resource names its provider (through its parent or explicitly); none uses a default provider.",
            enforcementLevel,
            validateResource: (args, report) => {
                const pkg = args.type.split(":")[0] ?? "";
                // Providers, the stack and this program's own components have no provider of their own.
                if (pkg === "pulumi" || pkg === "homelab") return;
                const provider = args.provider;
                if (provider === undefined || provider.name === "") {
                    report(`${args.name} (${args.type}) has no provider; pass the host's provider`);
                } else if (/^default(_|$)/.test(provider.name)) {
                    report(
                        `${args.name} (${args.type}) uses the default ${pkg} provider ${provider.name}; pass the host's provider`,
                    );
                }
            },
        },
    ];
}
