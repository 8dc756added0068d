import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { repoRoot } from "./helpers/program";

/** tsconfig.json's options as Pulumi's Node.js runtime reads them (cmd/run: `compilerOptions.noCheck`). */
function compilerOptions(file: string): ts.CompilerOptions {
    const config = ts.readConfigFile(file, (name) => ts.sys.readFile(name));
    return ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(file)).options;
}

/** `tsc --noEmit -p <config>` over one file, in a project of its own that extends the repository's config. */
function typecheck(base: string, source: string): { status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-tsc-"));
    fs.writeFileSync(path.join(dir, "program.ts"), source);
    fs.writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({
            extends: path.join(repoRoot, base),
            compilerOptions: { typeRoots: [path.join(repoRoot, "node_modules/@types")] },
            include: ["program.ts"],
        }),
    );
    const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
    const run = spawnSync(process.execPath, [tsc, "--noEmit", "-p", dir], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: run.status, output: run.stdout + run.stderr };
}

const typeError = 'const port: number = "8989";\nexport default port;\n';

test("Pulumi runs the program transpile-only: tsconfig.json skips the type check", () => {
    expect(compilerOptions(path.join(repoRoot, "tsconfig.json")).noCheck).toBe(true);
    expect(typecheck("tsconfig.json", typeError).status).toBe(0);
});

test("the test command's type check still fails on a type error", () => {
    expect(compilerOptions(path.join(repoRoot, "tsconfig.check.json")).noCheck).toBe(false);
    const run = typecheck("tsconfig.check.json", typeError);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("error TS2322: Type 'string' is not assignable to type 'number'.");
    expect(typecheck("tsconfig.check.json", "const port: number = 8989;\nexport default port;\n")).toEqual({
        status: 0,
        output: "",
    });
});

test("the test command runs that check", () => {
    expect(fs.readFileSync(path.join(repoRoot, "scripts/test.sh"), "utf8")).toContain(
        "npx tsc --noEmit -p tsconfig.check.json",
    );
});
