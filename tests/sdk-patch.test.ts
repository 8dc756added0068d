/**
 * patches/@pulumi+pulumi+*.patch (applied by patch-package after `npm ci`): the SDK captured a
 * stack trace on every promise it tracks, once per output property, for a leak report that prints
 * it only when PULUMI_DEBUG_PROMISE_LEAKS is set. The patch captures it only then.
 */
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
