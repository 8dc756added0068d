import type { SecretRequest } from "../config/load";
import type { Settings } from "../config/schema";
import { resolve, type ServiceEntry } from "./types";

/** Every secret config key the enabled catalog needs, with who uses it; `provided` keys come from resources instead. */
export function catalogSecretRequests(
    entries: readonly ServiceEntry[],
    settings: Settings,
    provided: readonly string[] = [],
): SecretRequest[] {
    const usedBy = new Map<string, string[]>();
    for (const entry of entries) {
        for (const key of Object.values(resolve(entry.secretEnv, settings, {}))) {
            if (provided.includes(key)) continue;
            usedBy.set(key, [...(usedBy.get(key) ?? []), entry.name]);
        }
    }
    return [...usedBy].map(([key, users]) => ({ key, usedBy: [...new Set(users)] }));
}
