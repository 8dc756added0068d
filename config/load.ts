import * as pulumi from "@pulumi/pulumi";
import { ConfigError, describeIssues } from "./errors";
import { settingsSchema, type Settings } from "./schema";
import { parseConfigValue, plainConfigOf, type StackFile } from "./stack-values";

export const configNamespace = "homelab";

/** Reads and validates every non-secret `homelab:*` key; throws one ConfigError listing all problems. */
export function loadSettings(config = new pulumi.Config(configNamespace)): Settings {
    return parseSettings((key) => config.get(key));
}

/** The settings of a stack file read outside a Pulumi run (the adoption command, the policy pack, tests). */
export function settingsOfStackFile(file: StackFile): Settings {
    const plain = plainConfigOf(file);
    return parseSettings((key) => plain[`${configNamespace}:${key}`]);
}

function parseSettings(valueOf: (key: string) => string | undefined): Settings {
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(settingsSchema.shape)) {
        const text = valueOf(key);
        if (text !== undefined) raw[key] = parseConfigValue(text);
    }
    const parsed = settingsSchema.safeParse(raw);
    if (!parsed.success) {
        throw new ConfigError(describeIssues(configNamespace, raw, parsed.error.issues));
    }
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
