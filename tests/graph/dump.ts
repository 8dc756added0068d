/**
 * Prints the resource graph of one stack under mocks, canonically: every resource's type, name,
 * parent, provider, options and inputs (secrets marked, never resolved to anything but the
 * dummies), sorted by URN, then the stack outputs. Two checkouts that print the same text
 * register the same graph.
 *   ts-node --transpile-only tests/graph/dump.ts <checkout> <stack>
 */
import * as path from "node:path";
import type * as pulumiModule from "@pulumi/pulumi";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { plainConfigOf } from "../../config/stack-values";
import { allSecretKeys, isSecretValue, recordRun } from "../../scripts/lib/mock-run";

/** Secrets as `{secret: value}`; a dynamic provider's serialised code as its marker (it moves with any refactor and the engine does not diff it). */
function canonical(value: unknown, key = ""): unknown {
    if (key === "__provider") return "<serialised dynamic provider>";
    if (isSecretValue(value)) return { secret: canonical((value as { value: unknown }).value) };
    if (Array.isArray(value)) return value.map((item) => canonical(item));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((k) => [k, canonical((value as Record<string, unknown>)[k], k)]),
        );
    }
    return value;
}

async function main(): Promise<void> {
    const [checkout, stack] = process.argv.slice(2);
    if (checkout === undefined || stack === undefined) throw new Error("usage: dump.ts <checkout> <stack>");
    const root = path.resolve(checkout);
    const pulumi = (await import("@pulumi/pulumi")) as typeof pulumiModule;
    const run = await recordRun(pulumi, {
        stack,
        config: plainConfigOf(readStackFile(stackFilePath(root, stack))),
        secretKeys: allSecretKeys,
        importProgram: async () => (await import(path.join(root, "index.ts"))) as Record<string, unknown>,
    });
    const resources = run.resources
        .map(({ inputs: _inputs, rawInputs, dependencies, ...rest }) => ({
            ...rest,
            dependencies: [...dependencies].sort(),
            inputs: canonical(rawInputs),
        }))
        .sort((a, b) => a.urn.localeCompare(b.urn));
    process.stdout.write(`${JSON.stringify({ resources, outputs: canonical(run.outputs) }, null, 1)}\n`);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
