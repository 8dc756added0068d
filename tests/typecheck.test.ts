import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { parse } from "yaml";
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

interface TsNodeService {
    options: { swc?: boolean };
    compile(code: string, fileName: string): string;
}

/** The tsconfig Pulumi.yaml hands the Node.js runtime (runtime.options.tsconfig, as PULUMI_NODEJS_TSCONFIG_PATH). */
function programTsconfig(): string {
    const project = parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as {
        runtime: { options: { tsconfig: string } };
    };
    return path.join(repoRoot, project.runtime.options.tsconfig);
}

/** ts-node registered the way Pulumi's Node.js runtime registers it (@pulumi/pulumi/cmd/run/run.js). */
function pulumiTsNode(): TsNodeService {
    const tsconfig = programTsconfig();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ts-node's API, as the SDK loads it
    const tsNode = require("ts-node") as { create(options: Record<string, unknown>): TsNodeService };
    return tsNode.create({
        compiler: require.resolve("typescript"),
        transpileOnly: compilerOptions(tsconfig).noCheck,
        project: tsconfig,
        skipProject: false,
        compilerOptions: {},
    });
}

test("Pulumi runs the program transpile-only: tsconfig.json skips the type check", () => {
    expect(compilerOptions(path.join(repoRoot, "tsconfig.json")).noCheck).toBe(true);
    expect(typecheck("tsconfig.json", typeError).status).toBe(0);
});

test("Pulumi's runtime hands ts-node the program's tsconfig, whose ts-node section selects SWC", () => {
    // The SDK's runtime registers ts-node with `project` set to the tsconfig path, so ts-node reads
    // its "ts-node" options (swc) from there; an SDK that stopped doing so would quietly lose SWC.
    const runJs = fs.readFileSync(path.join(repoRoot, "node_modules/@pulumi/pulumi/cmd/run/run.js"), "utf8");
    expect(runJs).toContain("project: tsConfigPath");
    const service = pulumiTsNode();
    expect(service.options.swc).toBe(true);
    // SWC's CommonJS output (a getter per export), not TypeScript's (`exports.default = port`); a
    // type error does not stop it.
    const output = service.compile(typeError, path.join(repoRoot, "swc-probe.ts"));
    expect(output).toContain('Object.defineProperty(exports, "default", {');
    expect(output).not.toContain("exports.default = port");
});

test("the policy runner's ts-node (typeCheck, ./tsconfig.json) starts: no transpiler it refuses", () => {
    // @pulumi/pulumi/cmd/run-policy-pack/run.js registers ts-node like this, with whatever
    // tsconfig.json is in its working directory (the pack's, which extends the root's).
    const runJs = fs.readFileSync(
        path.join(repoRoot, "node_modules/@pulumi/pulumi/cmd/run-policy-pack/run.js"),
        "utf8",
    );
    expect(runJs).toContain("typeCheck: true");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ts-node's API, as the SDK loads it
    const tsNode = require("ts-node") as { create(options: Record<string, unknown>): TsNodeService };
    for (const tsconfig of ["tsconfig.json", "policy/tsconfig.json"]) {
        const service = tsNode.create({
            typeCheck: true,
            project: path.join(repoRoot, tsconfig),
            skipProject: false,
            compiler: require.resolve("typescript"),
            compilerOptions: { target: "ES2020", module: "commonjs", moduleResolution: "node", sourceMap: "true" },
        });
        expect([tsconfig, service.options.swc]).toEqual([tsconfig, undefined]);
    }
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
