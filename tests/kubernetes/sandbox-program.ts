import type * as pulumiModule from "@pulumi/pulumi";
import { plainConfigOf, readStackFile, stackFilePath } from "../../config/stack-file";
import { allSecretKeys, recordRun, type RecordedRun } from "../../scripts/lib/mock-run";
import { repoRoot, type Program } from "../helpers/program";

/** Pulumi.sandbox.yaml's plain config, as the engine hands it to the program. */
export function sandboxConfig(): Record<string, string> {
    return plainConfigOf(readStackFile(stackFilePath(repoRoot, "sandbox")));
}

/** The sandbox's `homelab:cluster` object, to change one key of it. */
export function sandboxCluster(): Record<string, unknown> {
    return JSON.parse(sandboxConfig()["homelab:cluster"] ?? "{}") as Record<string, unknown>;
}

/**
 * Loads index.ts under mocks with the sandbox stack's config (plus `overrides`, `homelab:key` →
 * string) and dummy secrets, like tests/helpers/program.ts does for prod, lab and fleet.
 */
export async function loadSandbox(overrides: Record<string, string> = {}): Promise<Program> {
    let recorded: RecordedRun = { resources: [], outputs: {} };
    await jest.isolateModulesAsync(async () => {
        const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
        recorded = await recordRun(pulumi, {
            stack: "sandbox",
            config: { ...sandboxConfig(), ...overrides },
            secretKeys: allSecretKeys,
            importProgram: async () => await import("../../index"),
        });
    });
    const { resources, outputs } = recorded;
    return {
        resources,
        outputs,
        ofType: (type) => resources.filter((resource) => resource.type === type),
        get(type, name) {
            const found = resources.find((resource) => resource.type === type && resource.name === name);
            if (found === undefined) throw new Error(`no ${type} named ${name}`);
            return found;
        },
    };
}
