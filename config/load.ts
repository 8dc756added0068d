import * as pulumi from "@pulumi/pulumi";
import { ConfigError, describeIssues, ruleWithoutText } from "./errors";
import { settingsSchema, type Settings } from "./schema";
import { unknownSettingProblems } from "./unknown-keys";
import { parseConfigValue, plainConfigOf, type StackFile } from "./stack-values";

export const configNamespace = "homelab";

/**
 * Reads and validates every non-secret `homelab:*` key of the running stack; throws one ConfigError
 * listing all problems, a key that is not a setting among them.
 */
export function loadSettings(): Settings {
    return parseSettings(plainConfigOfRun());
}

/** The settings of a stack file read outside a Pulumi run (the adoption command, the policy pack, tests). */
export function settingsOfStackFile(file: StackFile): Settings {
    return parseSettings(namespaced(plainConfigOf(file)));
}

/**
 * The running stack's plain `homelab:*` values, without the namespace. The engine names the
 * stack's secret keys to the SDK, whose `isConfigSecret` reads them; it is not in the SDK's
 * types, hence the narrow cast. Without it every key counts as plain and a secret key would be
 * reported as not a setting: the unit tests run through this path and would fail.
 */
function plainConfigOfRun(): Record<string, string> {
    const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
    const all = pulumi.runtime.allConfig();
    return namespaced(Object.fromEntries(Object.entries(all).filter(([key]) => isConfigSecret?.(key) !== true)));
}

/** `homelab:key` → value, as `key` → value; other namespaces (pulumi:, docker:) left out. */
function namespaced(config: Readonly<Record<string, string>>): Record<string, string> {
    const prefix = `${configNamespace}:`;
    return Object.fromEntries(
        Object.entries(config)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

function parseSettings(plain: Readonly<Record<string, string>>): Settings {
    const settingKeys = Object.keys(settingsSchema.shape);
    const raw: Record<string, unknown> = {};
    for (const key of settingKeys) {
        const text = plain[key];
        if (text !== undefined) raw[key] = parseConfigValue(text);
    }
    const parsed = settingsSchema.safeParse(raw, { error: ruleWithoutText });
    const problems = [
        ...unknownSettingProblems(configNamespace, Object.keys(plain), settingKeys),
        ...(parsed.success ? [] : describeIssues(configNamespace, raw, parsed.error.issues)),
    ];
    if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
    return parsed.data;
}

export interface SecretRequest {
    key: string;
    /** Who needs it, for the error message. */
    usedBy: readonly string[];
}

/** Reads every requested secret with `requireSecret` semantics, reporting all missing ones at once. */
export function loadSecrets(
    allRequests: readonly SecretRequest[],
    config = new pulumi.Config(configNamespace),
): Record<string, pulumi.Output<string>> {
    const requests = mergeRequests(allRequests);
    const missing = requests.filter((request) => config.getSecret(request.key) === undefined);
    if (missing.length > 0) {
        throw new ConfigError(
            missing.map(
                (request) =>
                    `${configNamespace}:${request.key}: (missing) is not allowed; expected a secret ` +
                    `(used by ${request.usedBy.join(", ")}): pulumi config set --secret ${configNamespace}:${request.key} <value>`,
            ),
        );
    }
    return Object.fromEntries(requests.map((request) => [request.key, config.requireSecret(request.key)]));
}

/** One request per key, naming everyone who uses it. */
function mergeRequests(requests: readonly SecretRequest[]): SecretRequest[] {
    const usedBy = new Map<string, string[]>();
    for (const request of requests) usedBy.set(request.key, [...(usedBy.get(request.key) ?? []), ...request.usedBy]);
    return [...usedBy].map(([key, users]) => ({ key, usedBy: [...new Set(users)] }));
}

/** Secret config values by key, as `loadSecrets` returns them. */
export type Secrets = Readonly<Record<string, pulumi.Output<string>>>;

/** One loaded secret; asking for one nobody requested is a bug in the program, not bad input. */
export function secretOf(secrets: Secrets, key: string, usedBy: string): pulumi.Output<string> {
    const value = secrets[key];
    if (value === undefined) throw new Error(`${usedBy}: secret ${key} was not loaded`);
    return value;
}
