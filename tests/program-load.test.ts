/**
 * Every preview and up loads the program, so what it loads is paid on every run: a package a stack
 * never uses stays unloaded for that stack (docs/speed.md). Checked in a fresh process per stack.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { repoRoot, stackConfig, type AnyStack } from "./helpers/program";

const run = promisify(execFile);

async function packagesLoaded(stack: AnyStack): Promise<string[]> {
    const { stdout } = await run(
        path.join(repoRoot, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", path.join(__dirname, "helpers", "packages-loaded.ts"), stack],
        { cwd: repoRoot, env: { ...process.env, HOMELAB_STACK_CONFIG: JSON.stringify(stackConfig(stack)) } },
    );
    const lastLine = stdout.trim().split("\n").pop() ?? "[]";
    return JSON.parse(lastLine) as string[];
}

test.each<AnyStack>(["prod", "lab"])(
    "the %s program loads neither Kubernetes' SDK nor a YAML parser (it has no cluster; the engine hands it its config)",
    async (stack) => {
        const loaded = await packagesLoaded(stack);
        expect(loaded).toContain("@pulumi/docker");
        expect(loaded).not.toContain("@pulumi/kubernetes");
        expect(loaded).not.toContain("yaml");
    },
);

test("the sandbox program, which runs services on k3s, does load Kubernetes' SDK", async () => {
    expect(await packagesLoaded("sandbox")).toContain("@pulumi/kubernetes");
});
