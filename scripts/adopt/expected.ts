/**
 * What the program would register, taken from the program itself: index.ts run under Pulumi mocks
 * with the stack's config (scripts/lib/mock-run.ts) records every resource with its type, name,
 * parent, provider and inputs. Adoption matches the engines against these resources, so the import
 * files name exactly what `pulumi up` looks for; nothing here knows how the program names things.
 */
import * as path from "node:path";
import type * as pulumiModule from "@pulumi/pulumi";
import { allSecretKeys, recordRun, type RecordedResource } from "../lib/mock-run";

/**
 * The resource types adoption can find on an engine or a Proxmox node: the Docker and Proxmox
 * packages' own tokens. The program's component types are never named here; they come with the run.
 */
export const providerTypes = {
    dockerProvider: "pulumi:providers:docker",
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    image: "docker:index/remoteImage:RemoteImage",
    proxmoxProvider: "pulumi:providers:proxmoxve",
    vm: "proxmoxve:index/vmLegacy:VmLegacy",
} as const;

/** One resource of the program, its parent and provider resolved to the resources they are. */
export interface ProgramResource {
    type: string;
    name: string;
    /**
     * The type as a real engine writes it in the URN: every ancestor's type from the root, joined
     * by `$`. The mock run's own URNs carry only the immediate parent's type (the SDK's mock convention).
     */
    qualifiedType: string;
    parent?: ProgramResource;
    provider?: ProgramResource;
    /** Inputs as the program sends them (a secret is the run's dummy). */
    inputs: Readonly<Record<string, unknown>>;
    /** Inputs with the secret markers in place. */
    rawInputs: Readonly<Record<string, unknown>>;
    /** The mock run's URN and the URNs it depends on: only to join resources with each other. */
    recordedUrn: string;
    dependencies: readonly string[];
}

/** A container of the program, with the engine it runs on and the image resource it is created from. */
export interface ExpectedService {
    container: ProgramResource;
    image?: ProgramResource;
    /** The container's name on the engine, what adoption finds it by. */
    containerName: string;
    endpoint: string;
    /** The host and stack the program labels the container with (components/spec.ts ownershipLabels). */
    host: string;
    stack: string;
    /** The image reference the program pins. */
    imageReference?: string;
}

export interface ExpectedNetwork {
    resource: ProgramResource;
    networkName: string;
    endpoint: string;
    driver: string;
    internal: boolean;
    attachable: boolean;
    labels: readonly string[];
}

export interface ExpectedVm {
    resource: ProgramResource;
    node: string;
    vmId: number;
}

export interface ExpectedState {
    /** Every resource of the run; reference names in the import files must be unique among them. */
    resources: readonly ProgramResource[];
    /** The Docker endpoints of the program's providers, once each (every host shares one in the lab). */
    endpoints: readonly string[];
    services: readonly ExpectedService[];
    networks: readonly ExpectedNetwork[];
    vms: readonly ExpectedVm[];
}

/** Runs the program of `projectDir` under mocks with a stack's plain config and a dummy for every secret. */
export async function recordProgram(
    projectDir: string,
    stack: string,
    config: Record<string, string>,
): Promise<RecordedResource[]> {
    const pulumi = (await import("@pulumi/pulumi")) as typeof pulumiModule;
    const run = await recordRun(pulumi, {
        stack,
        config,
        secretKeys: allSecretKeys,
        importProgram: async () => (await import(path.join(projectDir, "index.ts"))) as Record<string, unknown>,
    });
    return run.resources;
}

/** A provider reference is `<provider URN>::<provider id>`. */
const providerUrnOf = (reference: string): string => reference.slice(0, reference.lastIndexOf("::"));

/** The recorded resources with parents and providers resolved and real-engine qualified types. */
export function programResources(recorded: readonly RecordedResource[]): ProgramResource[] {
    const byUrn = new Map(recorded.map((resource) => [resource.urn, resource]));
    const built = new Map<RecordedResource, ProgramResource>();
    const build = (resource: RecordedResource): ProgramResource => {
        const done = built.get(resource);
        if (done !== undefined) return done;
        const parentRecord = resource.parent === "" ? undefined : byUrn.get(resource.parent);
        if (resource.parent !== "" && parentRecord === undefined) {
            throw new Error(`adopt: ${resource.type} ${resource.name}: its parent ${resource.parent} was not recorded`);
        }
        const parent = parentRecord === undefined ? undefined : build(parentRecord);
        // A default provider (one the program does not declare) is not recorded: the resource has none here.
        const providerRecord = resource.provider === "" ? undefined : byUrn.get(providerUrnOf(resource.provider));
        const result: ProgramResource = {
            type: resource.type,
            name: resource.name,
            qualifiedType: parent === undefined ? resource.type : `${parent.qualifiedType}$${resource.type}`,
            parent,
            provider: providerRecord === undefined ? undefined : build(providerRecord),
            inputs: resource.inputs,
            rawInputs: resource.rawInputs,
            recordedUrn: resource.urn,
            dependencies: resource.dependencies,
        };
        built.set(resource, result);
        return result;
    };
    return recorded.map(build);
}

/** The resource's ancestors' names from the root, then its own: an order that follows the program's tree. */
function namePath(resource: ProgramResource): string[] {
    return resource.parent === undefined ? [resource.name] : [...namePath(resource.parent), resource.name];
}

/** Name paths compared by code unit, "\0" first (a locale's collation would ignore the separator). */
function byNamePath(a: ProgramResource, b: ProgramResource): number {
    const [left, right] = [namePath(a).join("\0"), namePath(b).join("\0")];
    return left < right ? -1 : left > right ? 1 : 0;
}

function text(resource: ProgramResource, input: string): string {
    const value = resource.inputs[input];
    if (typeof value !== "string") throw new Error(`adopt: ${resource.type} ${resource.name} has no ${input} input`);
    return value;
}

/** The Docker endpoint a resource's explicit provider connects to. */
function endpointOf(resource: ProgramResource): string {
    if (resource.provider === undefined) throw new Error(`adopt: ${resource.type} ${resource.name} has no provider`);
    return text(resource.provider, "host");
}

function labelOf(container: ProgramResource, label: string): string {
    const labels = (container.inputs.labels ?? []) as readonly { label: string; value: string }[];
    const value = labels.find((entry) => entry.label === label)?.value;
    if (value === undefined) throw new Error(`adopt: container ${container.name} has no ${label} label`);
    return value;
}

/** The Docker and Proxmox resources the program registers for the stack it was run with. */
export function expectedState(recorded: readonly RecordedResource[]): ExpectedState {
    const resources = programResources(recorded);
    const ofType = (type: string): ProgramResource[] => resources.filter((r) => r.type === type).sort(byNamePath);
    const services = ofType(providerTypes.container).map((container): ExpectedService => {
        // The RemoteImage whose image id the container is created from.
        const image = resources.find(
            (r) => r.type === providerTypes.image && container.dependencies.includes(r.recordedUrn),
        );
        return {
            container,
            image,
            containerName: text(container, "name"),
            endpoint: endpointOf(container),
            // In the lab every host shares one engine and one endpoint: the provider alone cannot say which host.
            host: labelOf(container, "homelab.host"),
            stack: labelOf(container, "homelab.stack"),
            imageReference: image === undefined ? undefined : text(image, "name"),
        };
    });
    const networks = ofType(providerTypes.network).map((resource): ExpectedNetwork => ({
        resource,
        networkName: text(resource, "name"),
        endpoint: endpointOf(resource),
        // The Docker provider's defaults for what the program leaves out.
        driver: typeof resource.inputs.driver === "string" ? resource.inputs.driver : "bridge",
        internal: resource.inputs.internal === true,
        attachable: resource.inputs.attachable === true,
        labels: ((resource.inputs.labels ?? []) as readonly { label: string }[]).map((entry) => entry.label),
    }));
    const vms = ofType(providerTypes.vm).map((resource): ExpectedVm => ({
        resource,
        node: text(resource, "nodeName"),
        vmId: Number(resource.inputs.vmId),
    }));
    const endpoints = [...new Set(ofType(providerTypes.dockerProvider).map((provider) => text(provider, "host")))];
    return { resources, endpoints, services, networks, vms };
}
