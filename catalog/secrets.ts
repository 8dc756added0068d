import type { SecretRequest } from "../config/load";
import type { Settings } from "../config/schema";
import { ssoProvidedSecretKeys } from "./sso";
import { resolve, type ServiceEntry } from "./types";

/**
 * Every secret config key the enabled catalog needs, with who uses it; `provided` keys come from
 * resources instead, as do the OIDC client secrets the program generates.
 */
export function catalogSecretRequests(
    entries: readonly ServiceEntry[],
    settings: Settings,
    provided: readonly string[] = [],
): SecretRequest[] {
    const generated = ssoProvidedSecretKeys(entries);
    const usedBy = new Map<string, string[]>();
    for (const entry of entries) {
        for (const key of Object.values(resolve(entry.secretEnv, settings, {}))) {
            if (provided.includes(key) || generated.includes(key)) continue;
            usedBy.set(key, [...(usedBy.get(key) ?? []), entry.name]);
        }
    }
    return [...usedBy].map(([key, users]) => ({ key, usedBy: [...new Set(users)] }));
}
