import * as deserializeModule from "@pulumi/policy/deserialize";

/**
 * The engine sends a resource's properties to the pack in the wire format, secret markers
 * included, but @pulumi/policy hands policies plain values: a policy cannot tell a secret from a
 * literal (pulumi/pulumi-policy#241). `captureWire` keeps the wire form next to the plain props,
 * so the secret-env rule can see the markers. It relies on two facts of @pulumi/policy 1.21 (pinned
 * in package.json; tests/policy/engine-path.test.ts drives the SDK's own analyze RPC to prove them):
 * the server deserializes through the module's exported `deserializeProperties`, and its
 * unknown-checking proxy passes non-configurable properties through untouched.
 */

/** The wire encoding's special keys (the same in every Pulumi SDK). */
const sigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";

/** Values the engine sends for inputs not known during preview. */
const unknownSentinels = new Set([
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

const wireKey = Symbol.for("homelab.policy.wire");

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && unknownSentinels.has(value);
}

export function isSecretMarker(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[sigKey] === secretSig;
}

/** The wire value with secret markers removed; unknown sentinels stay. */
export function unwrapSecrets(value: unknown): unknown {
    if (isSecretMarker(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
    }
    return value;
}

/** Whether the value at `path` (or anything that contains it) reached the engine as a secret. */
export function isSecretAt(wire: unknown, path: readonly (string | number)[]): boolean {
    let node = wire;
    for (const step of path) {
        if (isSecretMarker(node)) return true;
        if (typeof node !== "object" || node === null) return false;
        node = (node as Record<string | number, unknown>)[step];
    }
    return isSecretMarker(node);
}

/**
 * Keeps `wire` on `props` as a frozen, hidden property: JavaScript requires a proxy to return such
 * a property unchanged, so it survives the SDK's unknown-checking proxy.
 */
export function attachWire(props: object, wire: unknown): void {
    Object.defineProperty(props, wireKey, { value: wire, enumerable: false, writable: false, configurable: false });
}

/** The wire form of a policy's `props`, when the pack captured it. */
export function wireOf(props: unknown): unknown {
    if (typeof props !== "object" || props === null) return undefined;
    return (props as Record<symbol, unknown>)[wireKey];
}

/** The props as plain data (secrets unwrapped, unknowns as sentinels), read from the wire when possible. */
export function plainOf(props: unknown): Record<string, unknown> {
    const wire = wireOf(props);
    const plain = wire === undefined ? props : unwrapSecrets(wire);
    return typeof plain === "object" && plain !== null ? (plain as Record<string, unknown>) : {};
}

interface StructLike {
    toJavaScript(): unknown;
}
type Deserialize = (struct: StructLike, proxySecrets: boolean) => unknown;
interface DeserializeExports {
    deserializeProperties: Deserialize;
}

const captured = Symbol.for("homelab.policy.captureWire");

/** Wraps the SDK's deserializer once so every props object it returns carries its wire form. */
export function captureWire(): void {
    const exports = deserializeModule as unknown as DeserializeExports & Record<symbol, unknown>;
    if (typeof exports.deserializeProperties !== "function") {
        throw new Error(
            "@pulumi/policy no longer exports deserializeProperties: the secret-env rule cannot see secrets",
        );
    }
    if (exports[captured] === true) return;
    const original = exports.deserializeProperties;
    exports.deserializeProperties = (struct, proxySecrets) => {
        const props = original(struct, proxySecrets);
        if (typeof props === "object" && props !== null) attachWire(props, struct.toJavaScript());
        return props;
    };
    exports[captured] = true;
}
