/**
 * A stack file's values, as plain data: what a Pulumi run needs of config/stack-file.ts without its
 * YAML reader (the program never reads the file; the engine hands it the values).
 */

/** The parts of `Pulumi.<stack>.yaml` the project reads. */
export interface StackFile {
    encryptionsalt?: string;
    config: Record<string, unknown>;
}

/** A secure (encrypted) value: it never reaches the settings. */
export function isSecureValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && "secure" in value;
}

/**
 * The stack's plain values as the engine hands them to a program: a flat `key → string` map with
 * objects, numbers and booleans as JSON. Secure values are left out.
 */
export function plainConfigOf(file: StackFile): Record<string, string> {
    return Object.fromEntries(
        Object.entries(file.config)
            .filter(([, value]) => !isSecureValue(value))
            .map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
}

/** Config values are JSON when they are objects, numbers or booleans, and plain text otherwise. */
export function parseConfigValue(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}
