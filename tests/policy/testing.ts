import * as deserializeModule from "@pulumi/policy/deserialize";
import * as proxyModule from "@pulumi/policy/proxy";
import type {
    Policies,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import { captureWire } from "../../policy/wire";

/**
 * Runs the pack's policies over recorded resources without the CLI, building each policy's
 * arguments the way @pulumi/policy's analyzer server does: props come from the wire form (secret
 * markers kept) through the SDK's own deserializer and unknown-checking proxy. For tests.
 */

/** A resource as tests/helpers/program.ts records it under mocks (or a hand-made one). */
export interface RecordedInput {
    type: string;
    name: string;
    urn: string;
    /** Inputs in the wire form: secret markers in place. */
    rawInputs: Record<string, unknown>;
    /** `<provider URN>::<provider id>`, or "" for none. */
    provider: string;
    parent: string;
    protect: boolean;
    dependencies: readonly string[];
    propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    deleteBeforeReplace?: boolean;
    additionalSecretOutputs?: readonly string[];
}

export interface Violation {
    policy: string;
    message: string;
    urn: string;
}

/** The SDK internals the analyzer server uses (untyped in its published declarations). */
interface DeserializeExports {
    deserializeProperties: (struct: { toJavaScript(): unknown }, proxySecrets: boolean) => Record<string, unknown>;
}
interface ProxyExports {
    unknownCheckingProxy: (props: Record<string, unknown>) => Record<string, unknown>;
}

class NotApplicable extends Error {}

/** Like the SDK's server: a policy that calls notApplicable() reports nothing for that resource. */
async function applicable(run: () => Promise<void> | void): Promise<void> {
    try {
        await run();
    } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
    }
}

/** Props as a policy sees them: the SDK's deserializer (wire form kept by the pack) behind its proxy. */
export function policyProps(raw: Record<string, unknown>): Record<string, unknown> {
    captureWire();
    const wire = JSON.parse(JSON.stringify(raw)) as unknown;
    const { deserializeProperties } = deserializeModule as unknown as DeserializeExports;
    const { unknownCheckingProxy } = proxyModule as unknown as ProxyExports;
    return unknownCheckingProxy(deserializeProperties({ toJavaScript: () => wire }, false));
}

function providerOf(reference: string, all: readonly RecordedInput[]): PolicyProviderResource | undefined {
    if (reference === "") return undefined;
    const urn = reference.slice(0, reference.lastIndexOf("::"));
    const recorded = all.find((resource) => resource.urn === urn);
    const segments = urn.split("::");
    return {
        urn,
        name: recorded?.name ?? segments[segments.length - 1] ?? "",
        type: recorded?.type ?? (segments[2] ?? "").split("$").pop() ?? "",
        props: recorded ? policyProps(recorded.rawInputs) : {},
    };
}

function optionsOf(resource: RecordedInput): PolicyResourceOptions {
    return {
        protect: resource.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...(resource.additionalSecretOutputs ?? [])],
        ...(resource.parent === "" ? {} : { parent: resource.parent }),
        ...(resource.deleteBeforeReplace === undefined ? {} : { deleteBeforeReplace: resource.deleteBeforeReplace }),
    };
}

const helpers: Pick<ResourceValidationArgs, "stackTags" | "isType" | "asType" | "getConfig" | "notApplicable"> = {
    stackTags: new Map<string, string>(),
    isType: () => false,
    asType: () => undefined,
    getConfig: () => ({}) as never,
    notApplicable: (reason?: string): never => {
        throw new NotApplicable(reason);
    },
};

/** A recorded resource as the engine shows it to a policy. */
function resourceView(resource: RecordedInput, resources: readonly RecordedInput[]) {
    return {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: policyProps(resource.rawInputs),
        opts: optionsOf(resource),
        provider: providerOf(resource.provider, resources),
    };
}

/** Every violation the (non-disabled) policies report for these resources, resource and stack policies alike. */
export async function runPolicies(policies: Policies, resources: readonly RecordedInput[]): Promise<Violation[]> {
    const violations: Violation[] = [];
    const active = policies.filter((policy) => policy.enforcementLevel !== "disabled");
    const stackResources = new Map<string, PolicyResource>();
    for (const resource of resources) {
        stackResources.set(resource.urn, {
            ...resourceView(resource, resources),
            dependencies: [],
            propertyDependencies: {},
            ...helpers,
        });
    }
    const byUrn = (urns: readonly string[]): PolicyResource[] =>
        urns.flatMap((urn) => {
            const found = stackResources.get(urn);
            return found ? [found] : [];
        });
    for (const resource of resources) {
        const entry = stackResources.get(resource.urn);
        if (entry === undefined) continue;
        entry.parent = stackResources.get(resource.parent);
        entry.dependencies = byUrn(resource.dependencies);
        entry.propertyDependencies = Object.fromEntries(
            Object.entries(resource.propertyDependencies ?? {}).map(([key, urns]) => [key, byUrn(urns)]),
        );
    }

    for (const policy of active) {
        const report =
            (fallbackUrn: string): ReportViolation =>
            (message, urn) =>
                violations.push({ policy: policy.name, message, urn: urn ?? fallbackUrn });
        if ("validateStack" in policy) {
            const args: StackValidationArgs = { resources: [...stackResources.values()], ...helpers };
            await applicable(() => policy.validateStack(args, report("")));
            continue;
        }
        const validations = [policy.validateResource ?? []].flat();
        for (const resource of resources) {
            for (const validate of validations) {
                const args: ResourceValidationArgs = { ...resourceView(resource, resources), ...helpers };
                await applicable(() => validate(args, report(resource.urn)));
            }
        }
    }
    return violations;
}
