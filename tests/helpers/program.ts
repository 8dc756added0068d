import * as path from "node:path";
import type * as pulumiModule from "@pulumi/pulumi";
import { settingsOfStackFile } from "../../config/load";
import type { Settings } from "../../config/schema";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { plainConfigOf } from "../../config/stack-values";
import { allSecretKeys, recordRun, type RecordedResource, type RecordedRun } from "../../scripts/lib/mock-run";

export * from "../../scripts/lib/mock-run";

/** The stacks most tests assert side by side. */
export type StackName = "prod" | "lab";
/** Every stack file of the project: the fleet lab's and the k3s sandbox's too. */
export type AnyStack = StackName | "fleet" | "sandbox";
export const repoRoot = path.resolve(__dirname, "../..");

/** The stack's config file as the flat `key → string` map the engine hands a program. */
export function stackConfig(stack: AnyStack): Record<string, string> {
    return plainConfigOf(readStackFile(stackFilePath(repoRoot, stack)));
}

/** The stack's settings as the program parses them; `overrides` are `homelab:key` → string, as the engine hands them. */
export function stackSettings(stack: AnyStack, overrides: Record<string, string> = {}): Settings {
    return settingsOfStackFile({ config: { ...readStackFile(stackFilePath(repoRoot, stack)).config, ...overrides } });
}

export interface LoadOptions {
    /** Config values to add or replace (`homelab:key` → string). */
    config?: Record<string, string>;
    /** Secret keys to leave out (to test a missing secret). */
    withoutSecrets?: string[];
    /**
     * Modules replaced for this load only (a changed catalog), by path relative to this file, e.g.
     * "../../catalog/sso"; the factory runs in the load's own module registry.
     */
    modules?: Record<string, () => unknown>;
}

export interface Program {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    ofType(type: string): RecordedResource[];
    get(type: string, name: string): RecordedResource;
}

/**
 * Loads index.ts under Pulumi mocks with a stack's real config file and dummy secrets, and
 * records every resource with its inputs and options. Each call gets fresh modules.
 */
export async function loadProgram(stack: AnyStack, options: LoadOptions = {}): Promise<Program> {
    let recorded: RecordedRun = { resources: [], outputs: {} };
    await jest.isolateModulesAsync(async () => {
        for (const [path, factory] of Object.entries(options.modules ?? {})) jest.doMock(path, factory);
        try {
            const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
            recorded = await recordRun(pulumi, {
                stack,
                config: { ...stackConfig(stack), ...options.config },
                secretKeys: allSecretKeys.filter((key) => !(options.withoutSecrets ?? []).includes(key)),
                importProgram: async () => await import("../../index"),
            });
        } finally {
            for (const path of Object.keys(options.modules ?? {})) jest.dontMock(path);
        }
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

/** Loads both stacks once for a test file (in its beforeAll); the returned function reads them. */
export function bothStacks(): (stack: StackName) => Program {
    const programs: Partial<Record<StackName, Program>> = {};
    beforeAll(async () => {
        programs.lab = await loadProgram("lab");
        programs.prod = await loadProgram("prod");
    });
    return (stack) => {
        const loaded = programs[stack];
        if (loaded === undefined) throw new Error(`${stack} not loaded`);
        return loaded;
    };
}
