import { z } from "zod";
import { describeIssues, ruleWithoutText } from "../config/errors";
import { settingsSchema } from "../config/schema";

/**
 * Every rule of the config's schema has a text of its own (config/rules.ts): the type check of
 * each value as much as each bound, format and cross-key rule. Walked from homelab's top-level
 * schema, so a schema file added later is walked too; a kind of schema the walk does not know is
 * reported rather than skipped.
 */

/** Wrappers raise no issue of their own: only what they wrap is checked. */
function wrapped(schema: z.ZodType): z.ZodType | undefined {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) {
        return schema.unwrap() as z.ZodType;
    }
    return undefined;
}

/** The schemas inside one that raises issues itself, by name; undefined for a kind the walk does not know. */
function children(schema: z.ZodType): [string, z.ZodType][] | undefined {
    if (schema instanceof z.ZodObject) return Object.entries(schema.shape);
    if (schema instanceof z.ZodArray) return [["<element>", schema.element as z.ZodType]];
    if (schema instanceof z.ZodRecord) {
        return [
            ["<name>", schema.keyType as z.ZodType],
            ["<member>", schema.valueType as z.ZodType],
        ];
    }
    if (schema instanceof z.ZodUnion) {
        return (schema.options as readonly z.ZodType[]).map((option, i) => [`<option ${String(i + 1)}>`, option]);
    }
    const leaves = [z.ZodString, z.ZodStringFormat, z.ZodNumber, z.ZodBoolean, z.ZodEnum, z.ZodLiteral];
    if (leaves.some((leaf) => schema instanceof leaf)) return [];
    return undefined;
}

/** `path: what` for each rule without a text, below `schema`. */
function rulesWithoutText(schema: z.ZodType, path: string): string[] {
    const inner = wrapped(schema);
    if (inner !== undefined) return rulesWithoutText(inner, path);
    const kind = schema.def.type;
    const found: string[] = [];
    if (schema.def.error === undefined) found.push(`${path}: the ${kind} itself`);
    for (const check of schema.def.checks ?? []) {
        const def = check._zod.def;
        if (def.error === undefined) found.push(`${path}: a ${kind} check (${def.check})`);
    }
    const below = children(schema);
    if (below === undefined) return [...found, `${path}: a ${kind} schema, which this walk does not know`];
    return [...found, ...below.flatMap(([name, child]) => rulesWithoutText(child, `${path}.${name}`))];
}

test("every rule of the config's schema has a text of its own", () => {
    expect(rulesWithoutText(settingsSchema, "homelab")).toEqual([]);
});

test("the walk finds a rule without a text: the type, a bound, a map's key, a check on an object", () => {
    const bare = z.strictObject(
        {
            port: z.number({ error: "a port" }).int({ error: "a port" }).max(65535),
            names: z.record(z.string(), z.boolean({ error: "true or false" }), { error: "a map" }),
            mode: z.enum(["a", "b"]).optional(),
        },
        { error: "a section" },
    );
    expect(
        rulesWithoutText(
            bare.refine(() => true),
            "x",
        ),
    ).toEqual([
        "x: a object check (custom)",
        "x.port: a number check (less_than)",
        "x.names.<name>: the string itself",
        "x.mode: the enum itself",
    ]);
});

test("a rule without a text, parsed as config/load.ts parses, says so instead of using zod's English", () => {
    // A check without a text takes its schema's (zod's finalizeIssue), so neither has one here.
    const schema = z.strictObject({ httpsPort: z.number().max(65535) }, { error: "a section" });
    const raw = { httpsPort: 70000 };
    const parsed = schema.safeParse(raw, { error: ruleWithoutText });
    expect(parsed.success).toBe(false);
    expect(describeIssues("homelab", raw, parsed.error?.issues ?? [])).toEqual([
        "homelab:httpsPort: 70000 is not allowed; expected a value this rule accepts " +
            "(the rule has no text of its own, a bug in the program: zod too_big)",
    ]);
});

test("a map's member whose name breaks the key rule names the member and the key rule's text", () => {
    const images = z.record(
        z.string({ error: "a name" }).regex(/^[a-z]+$/, { error: "a lower-case name" }),
        z.number(),
        {
            error: "a map",
        },
    );
    const schema = z.strictObject({ images }, { error: "a section" });
    const raw = { images: { Debian: 1 } };
    const parsed = schema.safeParse(raw, { error: ruleWithoutText });
    expect(describeIssues("homelab", raw, parsed.error?.issues ?? [])).toEqual([
        'homelab:images.Debian: the name "Debian" is not allowed; expected a lower-case name',
    ]);
});
