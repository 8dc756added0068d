import type { z } from "zod";

/** Bad input in a stack's config or in the catalog; thrown before any resource is registered. */
export class ConfigError extends Error {
    constructor(public readonly problems: readonly string[]) {
        super(`Invalid homelab configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Renders a value for an error message without ever echoing a long blob. */
export function show(value: unknown): string {
    const text = value === undefined ? "(missing)" : JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let current: unknown = root;
    for (const segment of path) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[segment];
    }
    return current;
}

/** One line per zod issue: the full key, the bad value and what is allowed. */
export function describeIssues(namespace: string, raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
    return issues.map((issue) => {
        const key = `${namespace}:${issue.path.map(String).join(".")}`;
        if (issue.code === "unrecognized_keys") {
            return `${key}: unknown key(s) ${issue.keys.map((k) => show(k)).join(", ")}; remove or rename them`;
        }
        const value = valueAt(raw, issue.path);
        const allowed = value === undefined ? "a value is required" : issue.message;
        return `${key}: ${show(value)} is not allowed; expected ${allowed}`;
    });
}
