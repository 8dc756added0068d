import type * as pulumiModule from "@pulumi/pulumi";
import { allSecretKeys, recordRun, stackConfig, type AnyStack, type RecordedRun } from "../helpers/program";

/** The gateway's secret keys (components/edge/unifi). */
export const unifiSecrets = ["unifiApiKey", "unifiWireguardPrivateKey"];

/**
 * Like loadProgram (tests/helpers/program.ts), with the gateway's secrets among the dummies even
 * where scripts/lib/mock-run.ts does not list them; `without` leaves secret keys out.
 */
export async function load(
    stack: AnyStack,
    config: Record<string, string> = {},
    without: string[] = [],
): Promise<RecordedRun> {
    let recorded: RecordedRun = { resources: [], outputs: {} };
    await jest.isolateModulesAsync(async () => {
        const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
        recorded = await recordRun(pulumi, {
            stack,
            config: { ...stackConfig(stack), ...config },
            secretKeys: [...new Set([...allSecretKeys, ...unifiSecrets])].filter((key) => !without.includes(key)),
            importProgram: async () => await import("../../index"),
        });
    });
    return recorded;
}
