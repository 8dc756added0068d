import { catalog } from "../../catalog";
import type { ServiceEntry } from "../../catalog/types";
import { readStackFile, stackFilePath } from "../../config/stack-file";
import { plainConfigOf } from "../../config/stack-values";
import { repoRoot } from "../helpers/program";

/**
 * One bad-input case: edits to Pulumi.prod.yaml's config and to the catalog, what the error must
 * name, and whether the rules reject the input for certain. Cases stay small (edits, not the
 * edited input), so fast-check prints a readable counterexample.
 */

/** A value's place in the stack file's config: the `homelab:` key's name, then object keys and array indices. */
export type Path = readonly (string | number)[];

export type ConfigEdit =
    | { op: "set"; path: Path; value: unknown }
    | { op: "delete"; path: Path }
    /** Gives an object's member another name, in place. */
    | { op: "rename"; path: Path; to: string };

export type CatalogEdit =
    /** Fields of one entry replaced (`undefined` removes the field). */
    | { op: "patch"; service: string; fields: Readonly<Record<string, unknown>> }
    /** A copy of an entry added at the end of the catalog, with fields replaced. */
    | { op: "copy"; service: string; fields: Readonly<Record<string, unknown>> };

/**
 * Something the error must name: a key (`homelab:hosts.docker-prod-01.address`, `catalog: sonarr.host`),
 * which counts when not part of a longer name (a deeper key under it counts), or a plain text.
 */
export type Needle = { key: string } | { text: string };

export interface Case {
    /** The mutation class that made it. */
    class: string;
    config: readonly ConfigEdit[];
    catalog: readonly CatalogEdit[];
    /** The error names the mutation when it contains every needle of one of these lists. */
    names: readonly (readonly Needle[])[];
    /** The input breaks a rule of the schema or of the cross-key checks, so it must not load. */
    mustReject: boolean;
}

/** Pulumi.prod.yaml's config as the YAML parser reads it: the input every case edits. */
export const baseConfig: Readonly<Record<string, unknown>> = readStackFile(stackFilePath(repoRoot, "prod")).config;
export const baseCatalog: readonly ServiceEntry[] = catalog;

export const keyOf = (path: Path): string => `homelab:${path.join(".")}`;

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The base config's value at a path; undefined where there is none. */
export function baseValue(path: Path): unknown {
    const [top, ...rest] = path;
    let current: unknown = baseConfig[`homelab:${String(top)}`];
    for (const segment of rest) {
        if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) return undefined;
        current = (current as Record<string, unknown>)[String(segment)];
    }
    return current;
}

/** Every path of the base config: each `homelab:` key and every member and element below it. */
export function basePaths(): Path[] {
    const paths: Path[] = [];
    const walk = (value: unknown, path: Path): void => {
        paths.push(path);
        if (Array.isArray(value)) {
            value.forEach((item, i) => {
                walk(item, [...path, i]);
            });
        } else if (isRecord(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    };
    for (const [key, value] of Object.entries(baseConfig)) {
        if (key.startsWith("homelab:")) walk(value, [key.slice("homelab:".length)]);
    }
    return paths;
}

/** Defines an own member, also for names such as `__proto__` that an assignment would not create. */
function define(target: object, key: string | number, value: unknown): void {
    Object.defineProperty(target, String(key), { value, enumerable: true, writable: true, configurable: true });
}

/** The object or array holding the value at `path`, creating missing objects on the way. */
function holderOf(config: Record<string, unknown>, path: Path): object {
    const [top, ...rest] = path;
    let holder: object = config;
    let key: string | number = `homelab:${String(top)}`;
    for (const segment of rest) {
        const next: unknown = (holder as Record<string, unknown>)[String(key)];
        if (typeof next === "object" && next !== null) holder = next;
        else {
            const created = {};
            define(holder, key, created);
            holder = created;
        }
        key = segment;
    }
    return holder;
}

const lastKey = (path: Path): string => (path.length === 1 ? `homelab:${String(path[0])}` : String(path.at(-1)));

/** The stack file's config with the edits applied (the base is left as it is). */
export function editedConfig(edits: readonly ConfigEdit[]): Record<string, unknown> {
    const config = structuredClone(baseConfig) as Record<string, unknown>;
    for (const edit of edits) {
        const holder = holderOf(config, edit.path);
        const key = lastKey(edit.path);
        if (edit.op === "set") define(holder, key, edit.value);
        else if (edit.op === "delete") Reflect.deleteProperty(holder, key);
        else {
            const members = Object.entries(holder);
            for (const [name] of members) Reflect.deleteProperty(holder, name);
            for (const [name, value] of members) define(holder, name === key ? edit.to : name, value);
        }
    }
    return config;
}

/** The catalog with the edits applied. */
export function editedCatalog(edits: readonly CatalogEdit[]): ServiceEntry[] {
    const entries = [...baseCatalog];
    for (const edit of edits) {
        const index = entries.findIndex((entry) => entry.name === edit.service);
        const entry = entries[index];
        if (entry === undefined) throw new Error(`the catalog has no ${edit.service}`);
        const changed: ServiceEntry = { ...entry, ...edit.fields };
        if (edit.op === "patch") entries[index] = changed;
        else entries.push(changed);
    }
    return entries;
}

/**
 * The edited config as `loadProgram` takes it: the `homelab:` keys whose value changed, as the
 * strings the engine hands a program. A removed `homelab:` key cannot be expressed that way.
 */
export function configOverrides(edits: readonly ConfigEdit[]): Record<string, string> {
    const before = plainConfigOf({ config: { ...baseConfig } });
    const after = plainConfigOf({ config: editedConfig(edits) });
    const removed = Object.keys(before).filter((key) => !(key in after));
    if (removed.length > 0) throw new Error(`loadProgram cannot remove ${removed.join(", ")}`);
    return Object.fromEntries(Object.entries(after).filter(([key, value]) => before[key] !== value));
}

function escaped(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function mentions(message: string, needle: Needle): boolean {
    if ("text" in needle) return message.includes(needle.text);
    return new RegExp(`(?<![A-Za-z0-9_-])${escaped(needle.key)}(?![A-Za-z0-9_-])`).test(message);
}

/** Text that only a crash puts in a message: an exception's name or a stack frame. */
const crashText =
    /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read propert|is not a function|is not iterable|\[object Object\]|\n\s+at \S.*:\d+:\d+/;

/**
 * zod's own wording, which only a schema rule without a text of its own lets through ("expected
 * Too big: expected number to be <=65535"), and the marker config/errors.ts puts in such a rule's
 * place. Written out by hand from zod 4's English locale: the program's texts never use these.
 */
export const defaultWording = new RegExp(
    [
        "Too big: ",
        "Too small: ",
        "Invalid input",
        "Invalid option",
        "Invalid string",
        "Invalid number",
        "Invalid key in ",
        "Invalid value in ",
        "Invalid discriminator",
        "Invalid (email address|URL|IPv4 address|IPv4 range|IPv6 address|IPv6 range|MAC address|UUID|ISO \\w+)",
        "expected (string|number|boolean|object|array|int|nonoptional|bigint|symbol|date|null), received ",
        "Unrecognized keys?: ",
        // config/errors.ts's marker for a rule without a text of its own
        "has no text of its own",
    ].join("|"),
);

/**
 * What is wrong with how the checks rejected a case, or undefined when the rejection is right: a
 * ConfigError (by name: the program tier's comes from its own module registry) whose message
 * names the mutation, holds no crash and none of zod's default wording.
 */
export function wrongRejection(error: unknown, input: Case): string | undefined {
    if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
    if (error.name !== "ConfigError" || !("problems" in error)) {
        return `threw ${error.name}, not a ConfigError: ${error.message}\n${error.stack ?? ""}`;
    }
    if (crashText.test(error.message)) return `the ConfigError's message holds a crash: ${error.message}`;
    const wording = defaultWording.exec(error.message);
    if (wording !== null) {
        return `the ConfigError's message holds zod's default wording (${JSON.stringify(wording[0])}): ${error.message}`;
    }
    if (!input.names.some((needles) => needles.every((needle) => mentions(error.message, needle)))) {
        return `the ConfigError names none of ${JSON.stringify(input.names)}: ${error.message}`;
    }
    return undefined;
}
