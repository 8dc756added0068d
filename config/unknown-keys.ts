/**
 * A plain `homelab:*` key the program does not read is a typo until shown otherwise: silently
 * ignored, `homelab:protectStatefull: true` would leave every database unprotected. Secret keys
 * are left to the secret check (a misspelt one leaves the real one missing, which is an error).
 * The value is never shown: a key that is not a setting may be a secret set without --secret.
 */
export function unknownSettingProblems(
    namespace: string,
    plainKeys: readonly string[],
    settings: readonly string[],
): string[] {
    return plainKeys
        .filter((key) => !settings.includes(key))
        .map((key) => {
            const closest = closestName(key, settings);
            const hint = closest === undefined ? "" : `did you mean ${namespace}:${closest}? `;
            return (
                `${namespace}:${key} is set, but ${key} is not a setting; ${hint}` +
                `the settings are ${settings.join(", ")} (a secret is set with --secret)`
            );
        });
}

/** The setting a misspelt key most likely meant: at most a third of its letters away. */
function closestName(key: string, names: readonly string[]): string | undefined {
    const ranked = names
        .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name.toLowerCase()) }))
        .sort((a, b) => a.distance - b.distance);
    const best = ranked[0];
    return best !== undefined && best.distance <= Math.max(1, Math.floor(key.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i += 1) {
        const current = [i];
        for (let j = 1; j <= b.length; j += 1) {
            const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
            current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
        }
        previous = current;
    }
    return previous[b.length] ?? 0;
}
