/**
 * The YAML of an Authentik blueprint: plain data plus Authentik's own tags (`!KeyOf`, `!Find`,
 * `!Env`), written in block style with every string double-quoted (JSON escapes are valid YAML),
 * so PyYAML reads back exactly what was meant. Pure: no resources, no Outputs.
 */

export type TagName = "!KeyOf" | "!Find" | "!Env";

/** A value the blueprint loader resolves at apply time. */
export class BlueprintTag {
    constructor(
        public readonly tag: TagName,
        public readonly args: string | readonly BlueprintValue[],
    ) {}
}

export type BlueprintValue = string | number | boolean | null | BlueprintTag | readonly BlueprintValue[] | BlueprintMap;
export interface BlueprintMap {
    readonly [key: string]: BlueprintValue;
}

/** The primary key of the object another entry (by its `id`) created or found. */
export const keyOf = (id: string): BlueprintTag => new BlueprintTag("!KeyOf", id);

/** The primary key of an existing object: `model` where every `[field, value]` matches. */
export const find = (model: string, ...conditions: readonly (readonly [string, string])[]): BlueprintTag =>
    new BlueprintTag("!Find", [model, ...conditions]);

/** A variable of the worker's environment: how a secret reaches a blueprint without being in it. */
export const envVar = (name: string): BlueprintTag => new BlueprintTag("!Env", name);

export function isList(value: BlueprintValue): value is readonly BlueprintValue[] {
    return Array.isArray(value);
}

export function isMap(value: BlueprintValue): value is BlueprintMap {
    return typeof value === "object" && value !== null && !(value instanceof BlueprintTag) && !Array.isArray(value);
}

const plainKey = /^[A-Za-z_][A-Za-z0-9_]*$/;
const key = (name: string): string => (plainKey.test(name) ? name : JSON.stringify(name));

/** One value on one line: scalars, tags, and (inside tags or when empty) flow collections. */
function inline(value: BlueprintValue): string {
    if (value instanceof BlueprintTag) {
        return `${value.tag} ${typeof value.args === "string" ? JSON.stringify(value.args) : inline(value.args)}`;
    }
    if (value === null) return "null";
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "number") {
        if (!Number.isFinite(value)) throw new Error(`blueprint: ${value} is not a YAML number`);
        return String(value);
    }
    if (typeof value === "boolean") return String(value);
    if (isList(value)) return `[${value.map(inline).join(", ")}]`;
    return `{${Object.entries(value)
        .map(([name, inner]) => `${key(name)}: ${inline(inner)}`)
        .join(", ")}}`;
}

const nested = (value: BlueprintValue): boolean =>
    (isList(value) && value.length > 0) || (isMap(value) && Object.keys(value).length > 0);

function block(value: BlueprintMap | readonly BlueprintValue[], indent: number): string[] {
    const pad = " ".repeat(indent);
    if (isList(value)) {
        return value.flatMap((item) => {
            if (isMap(item) && nested(item)) {
                const [first = "", ...rest] = block(item, indent + 2);
                return [`${pad}- ${first.trimStart()}`, ...rest];
            }
            if (isList(item) && nested(item)) return [`${pad}-`, ...block(item, indent + 2)];
            return [`${pad}- ${inline(item)}`];
        });
    }
    return Object.entries(value).flatMap(([name, inner]) =>
        (isMap(inner) || isList(inner)) && nested(inner)
            ? [`${pad}${key(name)}:`, ...block(inner, indent + 2)]
            : [`${pad}${key(name)}: ${inline(inner)}`],
    );
}

/** The document as YAML, after a comment header (one line per item of `header`). */
export function toYaml(document: BlueprintMap, header: readonly string[] = []): string {
    return [...header.map((line) => `# ${line}`), ...block(document, 0)].join("\n") + "\n";
}
