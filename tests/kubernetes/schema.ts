import { spawnSync } from "node:child_process";
import * as path from "node:path";

/** One object's verdict: `error` is null when the object validates against its schema. */
export interface Validation {
    apiVersion: string;
    kind: string;
    name: string | null;
    error: string | null;
}

const script = path.join(__dirname, "schema-validate.mjs");

/**
 * Validates objects against the Kubernetes schemas (kubernetes-models) and Traefik's CRD schemas
 * (@kubernetes-models/traefik). Both are ESM-only, so a child `node` process runs them.
 */
export function validateObjects(objects: readonly object[]): Validation[] {
    const run = spawnSync(process.execPath, [script], {
        input: JSON.stringify(objects),
        cwd: path.resolve(__dirname, "../.."),
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`schema-validate.mjs exited ${String(run.status)}: ${run.stderr}`);
    return JSON.parse(run.stdout) as Validation[];
}
