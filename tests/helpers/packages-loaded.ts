/**
 * Prints, as JSON, the npm packages the program (index.ts) loads under mocks, in a fresh process:
 * `HOMELAB_STACK_CONFIG='<config as JSON>' npx ts-node --transpile-only
 * tests/helpers/packages-loaded.ts <stack>`. The config comes from the caller, so that nothing the
 * program might load (the config schema, a YAML parser) is loaded here before it.
 */
import * as path from "node:path";
import { allSecretKeys, recordRun } from "../../scripts/lib/mock-run";

const packageOf = (file: string): string | undefined =>
    /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.split(path.sep).join("/"))?.[1];

async function main(): Promise<void> {
    const stack = process.argv[2] ?? "lab";
    const config = JSON.parse(process.env.HOMELAB_STACK_CONFIG ?? "{}") as Record<string, string>;
    const pulumi = await import("@pulumi/pulumi");
    const before = new Set(Object.keys(require.cache));
    await recordRun(pulumi, {
        stack,
        config,
        secretKeys: allSecretKeys,
        importProgram: async () => (await import(path.resolve(__dirname, "../../index.ts"))) as Record<string, unknown>,
    });
    const loaded = Object.keys(require.cache)
        .filter((file) => !before.has(file))
        .map(packageOf)
        .filter((name): name is string => name !== undefined);
    console.log(JSON.stringify([...new Set(loaded)].sort()));
}

void main();
