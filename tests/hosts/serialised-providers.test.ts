import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { localDirectoriesProvider } from "../../hosts/local-directories";
import { localFileSetProvider } from "../../hosts/local-files";

/**
 * The lab's dynamic providers as the engine runs them: Pulumi serialises the provider object into
 * text and the dynamic-provider process rebuilds it from that text alone (require-from-string),
 * so a method that reaches anything but its own module-level closure fails there and nowhere
 * else. Each provider is rebuilt that way here, then created and updated on a temporary tree.
 */

interface SerialisedFunction {
    text: string;
}
interface Closure {
    serializeFunction(func: () => unknown, args: { allowSecrets: boolean }): Promise<SerialisedFunction>;
}
// The module Pulumi's dynamic resources serialise with (@pulumi/pulumi/dynamic/index.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal module, as the SDK loads it
const closure = require("@pulumi/pulumi/runtime/closure/serializeClosure") as Closure;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- what the dynamic-provider process uses
const requireFromString = require("require-from-string") as (code: string) => { handler: () => unknown };

async function asTheEngineRunsIt<I, O>(
    provider: pulumi.dynamic.ResourceProvider<I, O>,
): Promise<pulumi.dynamic.ResourceProvider<I, O>> {
    const serialised = await closure.serializeFunction(() => provider, { allowSecrets: true });
    return requireFromString(serialised.text).handler() as pulumi.dynamic.ResourceProvider<I, O>;
}

let work: string;
beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "serialised-"));
});
afterEach(() => {
    fs.rmSync(work, { recursive: true, force: true });
});

test("LocalDirectories creates, then updates with a changed set", async () => {
    const provider = await asTheEngineRunsIt(localDirectoriesProvider);
    const directory = (name: string) => ({
        path: path.join(work, name),
        uid: 2000,
        gid: 2000,
        mode: "0750",
        enforceOwner: true,
    });
    const first = { directories: [directory("a")] };
    const second = { directories: [directory("a"), directory("b")] };
    await provider.create(first);
    await provider.update?.("directories", first, second);
    expect(fs.readdirSync(work).sort()).toEqual(["a", "b"]);
    expect(fs.statSync(path.join(work, "b")).uid).toBe(2000);
});

test("LocalFileSet creates, then updates and drops a stale file of its kind", async () => {
    const provider = await asTheEngineRunsIt(localFileSetProvider);
    const first = { directory: work, files: { "a.json": "{}", "b.json": "{}" }, ownedSuffix: ".json" };
    const second = { directory: work, files: { "a.json": '{"x":1}' }, ownedSuffix: ".json" };
    fs.writeFileSync(path.join(work, "keep.txt"), "not ours");
    await provider.create(first);
    await provider.update?.(work, first, second);
    expect(fs.readdirSync(work).sort()).toEqual(["a.json", "keep.txt"]);
    expect(fs.readFileSync(path.join(work, "a.json"), "utf8")).toBe('{"x":1}');
});

test("LocalFileSet: a new serialised provider text alone is no change; a changed file is", async () => {
    const provider = await asTheEngineRunsIt(localFileSetProvider);
    const set = { directory: work, files: { "a.json": "{}" }, ownedSuffix: ".json" };
    // What the engine hands diff: the old state carries the provider text the old program serialised.
    const olds = { ...set, __provider: "exports.handler = /* as TypeScript's transpiler wrote it */ 1;" };
    const news = { ...set, __provider: "exports.handler = /* as SWC wrote it */ 1;" };
    expect(await provider.diff?.(work, olds, news)).toEqual({ changes: false });
    const changed = { ...news, files: { "a.json": '{"x":1}' } };
    expect(await provider.diff?.(work, olds, changed)).toEqual({ changes: true });
});
