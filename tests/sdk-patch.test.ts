/**
 * patches/@pulumi+pulumi+*.patch (applied by patch-package after `npm ci`):
 * - the SDK captured a stack trace on every promise it tracks, once per output property, for a
 *   leak report that prints it only when PULUMI_DEBUG_PROMISE_LEAKS is set. The patch captures it
 *   only then.
 * - the dynamic-provider plugin (the process the engine starts for in-process resources, on the
 *   walk's critical path) loaded the whole runtime, closure serialization and the TypeScript
 *   compiler with it, for one object of channel options. The patch loads only the settings module.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
interface Tracked extends Promise<unknown> {
    _debugStackTrace?: string;
}
interface Debuggable {
    /** `!!process.env.PULUMI_DEBUG_PROMISE_LEAKS`, read when the module loads. */
    debugPromiseLeaks: boolean;
    debuggablePromise(p: Promise<unknown>, ctx: unknown): Promise<unknown>;
    leakedPromises(): [Set<Tracked>, string];
    promiseDebugString(p: Tracked): string;
}

// The SDK declares none of these internals (its .d.ts is empty), so they are typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/pulumi/runtime/debuggable") as Debuggable;

/** A promise that never settles, tracked from here: what the leak report would show. */
function trackedHere(): Tracked {
    sdk.leakedPromises(); // start from an empty candidate set
    void sdk.debuggablePromise(new Promise(() => undefined), "sdk-patch test");
    const [leaked] = sdk.leakedPromises();
    const [tracked] = [...leaked];
    if (tracked === undefined) throw new Error("the SDK tracked no promise");
    return tracked;
}

const debugSetting = sdk.debugPromiseLeaks;
afterEach(() => {
    sdk.debugPromiseLeaks = debugSetting;
    jest.restoreAllMocks();
});

test("a tracked promise carries no stack trace in a normal run", () => {
    sdk.debugPromiseLeaks = false;
    const tracked = trackedHere();
    expect(Object.getOwnPropertyDescriptor(tracked, "_debugStackTrace")).toBeUndefined();
    // The leak report itself (which promise, made for what) is unchanged.
    expect(sdk.promiseDebugString(tracked)).toContain("sdk-patch test");
});

test("with PULUMI_DEBUG_PROMISE_LEAKS the leak report still says where the promise came from", () => {
    sdk.debugPromiseLeaks = true;
    // With the setting on, leakedPromises also prints each leak to stderr.
    jest.spyOn(console, "error").mockImplementation(() => undefined);
    const report = sdk.promiseDebugString(trackedHere());
    expect(report).toContain("sdk-patch test");
    expect(report).toContain("trackedHere");
    expect(report).toContain("sdk-patch.test.ts");
});

test("the leak count still works without the trace", () => {
    sdk.debugPromiseLeaks = false;
    sdk.leakedPromises();
    void sdk.debuggablePromise(new Promise(() => undefined), "one");
    void sdk.debuggablePromise(Promise.resolve(), "settles");
    return Promise.resolve().then(() => {
        const [leaked, message] = sdk.leakedPromises();
        expect(leaked.size).toBe(1);
        expect(message).toContain("1 promise was still active");
    });
});

/**
 * Starts the dynamic-provider plugin the way the engine does (its script runs this file with the
 * engine's address) and reports the modules loaded by the time it prints its port, i.e. is ready.
 */
async function modulesLoadedWhenReady(): Promise<string[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdk-patch-"));
    const probe = path.join(dir, "probe.js");
    fs.writeFileSync(
        probe,
        `const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
    process.stderr.write("MODULES " + JSON.stringify(Object.keys(require.cache)) + "\\n");
    return write(chunk, ...rest);
};
`,
    );
    const plugin = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
    const child = spawn(process.execPath, ["--require", probe, plugin, "127.0.0.1:1"], {
        stdio: ["ignore", "pipe", "pipe"],
    });
    try {
        return await new Promise<string[]>((resolve, reject) => {
            let stderr = "";
            child.stderr.on("data", (chunk: Buffer) => {
                stderr += chunk.toString();
                const line = /^MODULES (.*)$/m.exec(stderr);
                if (line?.[1] !== undefined) resolve(JSON.parse(line[1]) as string[]);
            });
            child.on("exit", (code) => {
                reject(new Error(`the plugin exited (${code}) before it was ready: ${stderr}`));
            });
        });
    } finally {
        child.kill();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

test("the dynamic-provider plugin is ready without loading closure serialization or TypeScript", async () => {
    const loaded = await modulesLoadedWhenReady();
    // It did start its gRPC server: the provider protocol and the property (de)serialisation are loaded.
    expect(loaded.some((file) => file.endsWith(path.join("@pulumi", "pulumi", "proto", "provider_grpc_pb.js")))).toBe(
        true,
    );
    expect(loaded.some((file) => file.endsWith(path.join("@pulumi", "pulumi", "runtime", "rpc.js")))).toBe(true);
    const unexpected = loaded.filter(
        (file) =>
            file.includes(`${path.sep}typescript${path.sep}`) ||
            file.includes(path.join("runtime", "closure")) ||
            file.endsWith(path.join("@pulumi", "pulumi", "runtime", "index.js")),
    );
    expect(unexpected).toEqual([]);
});
