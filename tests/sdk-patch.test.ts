/**
 * patches/@pulumi+pulumi+*.patch (applied by patch-package after `npm ci`): the SDK keeps a stack
 * trace on every promise it tracks for its leak report, and used to format it on the spot, once
 * per output property. The patch formats it only when the report reads it.
 */
interface Tracked extends Promise<unknown> {
    _debugStackTrace?: string;
}
interface Debuggable {
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

test("the stack of a tracked promise is formatted lazily, when the leak report reads it", () => {
    const descriptor = Object.getOwnPropertyDescriptor(trackedHere(), "_debugStackTrace");
    expect(typeof descriptor?.get).toBe("function");
    expect(descriptor).not.toHaveProperty("value");
});

test("the leak report still says where the promise came from", () => {
    const report = sdk.promiseDebugString(trackedHere());
    expect(report).toContain("sdk-patch test");
    expect(report).toContain("trackedHere");
    expect(report).toContain("sdk-patch.test.ts");
});
