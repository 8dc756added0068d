import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** The parts of `Pulumi.<stack>.yaml` the project reads. */
export interface StackFile {
    encryptionsalt?: string;
    config: Record<string, unknown>;
}

export function stackFilePath(projectDir: string, stack: string): string {
    return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

export function readStackFile(file: string): StackFile {
    const document = parse(fs.readFileSync(file, "utf8")) as Partial<StackFile> | null;
    return { ...document, config: document?.config ?? {} };
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

/**
 * A working copy of a committed stack file for a local stack (the lab, the fleet lab): the
 * committed values, with `overrides` applied, plus the secure values and the salt the previous copy
 * held (the throwaway secrets are never committed).
 */
export function workingCopy(
    committed: StackFile,
    previous: StackFile | undefined,
    overrides: Record<string, unknown> = {},
): StackFile {
    const config: Record<string, unknown> = { ...committed.config, ...overrides };
    for (const [key, value] of Object.entries(previous?.config ?? {})) {
        if (isSecureValue(value)) config[key] = value;
    }
    return { ...(previous?.encryptionsalt ? { encryptionsalt: previous.encryptionsalt } : {}), config };
}
