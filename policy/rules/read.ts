import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import type { ServiceEntry } from "../../catalog/types";
import type { ContextOf, PolicyContext } from "../context";
import { isSecretAt, isUnknown, plainOf, wireOf } from "../wire";

export const containerType = "docker:index/container:Container";
export const remoteImageType = "docker:index/remoteImage:RemoteImage";

/** Every rule blocks: nothing in this pack is advice. */
export const enforcementLevel = "mandatory" as const;

export function record(value: unknown): Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
}

export function list(value: unknown): unknown[] {
    return Array.isArray(value) ? (value as unknown[]) : [];
}

/** A known string, or undefined (absent, another type, or not known during preview). */
export function text(value: unknown): string | undefined {
    return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

export interface EnvLine {
    index: number;
    /** Undefined while the line is not known (preview). */
    name: string | undefined;
    value: string | undefined;
    secret: boolean;
}

/** A container's inputs as the rules read them. */
export interface Container {
    /** The container name (the catalog key), else the resource name. */
    name: string;
    entry: ServiceEntry | undefined;
    props: Record<string, unknown>;
    /** Whether the wire form (secret markers) was available. */
    markers: boolean;
    env: EnvLine[];
}

export function containerOf(props: unknown, resourceName: string, context: PolicyContext): Container {
    const plain = plainOf(props);
    const wire = wireOf(props);
    const name = text(plain.name) ?? resourceName;
    const env = list(plain.envs).map((line, index): EnvLine => {
        const known = text(line);
        const cut = known?.indexOf("=") ?? -1;
        return {
            index,
            name: known === undefined ? undefined : cut < 0 ? known : known.slice(0, cut),
            value: known === undefined || cut < 0 ? undefined : known.slice(cut + 1),
            secret: isSecretAt(wire, ["envs", index]),
        };
    });
    return { name, entry: context.services.get(name), props: plain, markers: wire !== undefined, env };
}

/** A resource policy over containers: `check` returns one message per problem. */
export function containerPolicy(
    name: string,
    description: string,
    contextOf: ContextOf,
    check: (container: Container, context: PolicyContext) => string[],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel,
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (args.type !== containerType) return;
            const context = contextOf(args.urn);
            for (const problem of check(containerOf(args.props, args.name, context), context)) report(problem);
        },
    };
}

/** `what` for each allowance, with its reason, for messages that say what is allowed. */
export function describeAllowed<T extends { reason: string }>(items: readonly T[], what: (item: T) => string): string {
    return items.length === 0 ? "nothing" : items.map((item) => `${what(item)} (${item.reason})`).join("; ");
}
