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

/**
 * The guard against zod's own wording, for config/load.ts to parse with. zod asks a parse-wide map
 * like this one only for an issue whose rule has no text of its own (a rule's own `error`, or its
 * schema's, always wins: zod's `finalizeIssue`). Every rule in config/ has one (config/rules.ts);
 * one added without it would otherwise answer in zod's English ("expected Too big: expected
 * number to be <=65535"), which reads like an answer but says nothing the user can act on, and
 * would pass unnoticed. With this map it says so, in words that tests/config-texts.test.ts and
 * the property test (tests/property/input.ts) refuse. A parse-wide map rather than zod's global
 * `z.config({ customError })`: the global one would change the messages of every other zod user
 * in the process as well, and would hold only while this module happened to be imported.
 */
export const ruleWithoutText: z.core.$ZodErrorMap = (issue) =>
    `a value this rule accepts (the rule has no text of its own, a bug in the program: zod ${issue.code})`;

/** One line per zod issue: the full key, the bad value and what is allowed. */
export function describeIssues(namespace: string, raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
    return issues.map((issue) => {
        const key = `${namespace}:${issue.path.map(String).join(".")}`;
        if (issue.code === "unrecognized_keys") {
            return `${key}: unknown key(s) ${issue.keys.map((k) => show(k)).join(", ")}; remove or rename them`;
        }
        if (issue.code === "invalid_key") {
            // A map's member whose name breaks the map's key rule: the name is the bad value.
            const allowed = issue.issues.map((inner) => inner.message).join("; ");
            return `${key}: the name ${show(issue.path.at(-1))} is not allowed; expected ${allowed}`;
        }
        const value = valueAt(raw, issue.path);
        const allowed = value === undefined ? "a value is required" : issue.message;
        return `${key}: ${show(value)} is not allowed; expected ${allowed}`;
    });
}
