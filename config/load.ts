import * as pulumi from "@pulumi/pulumi";
import { ConfigError, describeIssues } from "./errors";
import { settingsSchema, type Settings } from "./schema";

export const configNamespace = "homelab";

/** Config values are JSON when they are objects, numbers or booleans, and plain text otherwise. */
function parseValue(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

/** Reads and validates every non-secret `homelab:*` key; throws one ConfigError listing all problems. */
export function loadSettings(config = new pulumi.Config(configNamespace)): Settings {
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(settingsSchema.shape)) {
        const text = config.get(key);
        if (text !== undefined) raw[key] = parseValue(text);
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
