/**
 * The lab program's own time, without any engine: index.ts loaded under Pulumi mocks with the lab
 * stack's config, the way `pulumi preview` loads it (ts-node, transpile-only). Run it in a fresh
 * process (`npx ts-node --transpile-only scripts/bench/lab-program.ts`): nothing of the program
 * may be loaded before. Prints one JSON line.
 */
import type * as pulumiModule from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { allSecretKeys, recordRun } from "../lib/mock-run";

export interface LabProgramFigures {
    resources: number;
    /** index.ts imported: every module loaded and the top level run (every resource constructed). */
    importMs: number;
    /** Of that, ts-node transpiling the program's own files. */
    transpileMs: number;
    transpiledFiles: number;
    /** After the import: until the runtime has sent its last registration. */
    settleMs: number;
}

interface TsNodeService {
    compile: (code: string, fileName: string, lineOffset?: number) => string;
}

const root = path.resolve(__dirname, "../..");
const elapsed = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

/** The stack file's plain config as the engine hands it over: `homelab:key` → string (objects as JSON). */
function labConfig(): Record<string, string> {
    const file = parse(fs.readFileSync(path.join(root, "Pulumi.lab.yaml"), "utf8")) as {
        config?: Record<string, unknown>;
    };
    return Object.fromEntries(
        Object.entries(file.config ?? {}).map(([key, value]) => [
            key,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
}

async function main(): Promise<void> {
    const service = (process as unknown as Record<symbol, TsNodeService | undefined>)[
        Symbol.for("ts-node.register.instance")
    ];
    if (service === undefined) throw new Error("run this under ts-node");
    let transpileNs = 0n;
    let transpiledFiles = 0;
    const compile = service.compile.bind(service);
    service.compile = (code, fileName, lineOffset) => {
        const start = process.hrtime.bigint();
        try {
            return compile(code, fileName, lineOffset);
        } finally {
            transpileNs += process.hrtime.bigint() - start;
            transpiledFiles += 1;
        }
    };
    const pulumi = (await import("@pulumi/pulumi")) as typeof pulumiModule;
    const transpiledBefore = transpileNs;
    let importMs = 0;
    const start = process.hrtime.bigint();
    const run = await recordRun(pulumi, {
        stack: "lab",
        config: labConfig(),
        secretKeys: allSecretKeys,
        importProgram: async () => {
            const importStart = process.hrtime.bigint();
            const program = (await import(path.join(root, "index.ts"))) as Record<string, unknown>;
            importMs = elapsed(importStart);
            return program;
        },
    });
    const totalMs = elapsed(start);
    const figures: LabProgramFigures = {
        resources: run.resources.length,
        importMs,
        transpileMs: Number(transpileNs - transpiledBefore) / 1e6,
        transpiledFiles,
        settleMs: totalMs - importMs,
    };
    console.log(JSON.stringify(figures));
}

void main();
