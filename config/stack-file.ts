import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { isSecureValue, type StackFile } from "./stack-values";

export function stackFilePath(projectDir: string, stack: string): string {
    return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

export function readStackFile(file: string): StackFile {
    const document = parse(fs.readFileSync(file, "utf8")) as Partial<StackFile> | null;
    return { ...document, config: document?.config ?? {} };
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
