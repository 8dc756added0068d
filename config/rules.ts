import { z } from "zod";

/**
 * Building blocks for the config schemas (schema.ts, proxmox.ts, cloudflare.ts, unifi.ts). Every
 * rule of every schema carries its own "what is allowed" text, the type check as much as each
 * bound: that text is the end of the one line a user sees for bad config ("… is not allowed;
 * expected <text>"), and zod's own English ("Too big: expected number to be <=65535") names
 * nothing the user can act on. A rule without a text gets config/errors.ts's marker instead, and
 * tests/config-texts.test.ts walks every schema for one. These helpers give each rule of a kind
 * the same text, so a bound added later cannot come without it.
 */

/** true or false, nothing that merely looks like one ("yes", 1). */
export function flag(): z.ZodBoolean {
    return z.boolean({ error: "true or false" });
}

/** A whole number from `min` (to `max`); the type, the integer check and each bound all say `text`. */
export function integer(text: string, min: number, max?: number): z.ZodNumber {
    const atLeast = z.number({ error: text }).int({ error: text }).min(min, { error: text });
    return max === undefined ? atLeast : atLeast.max(max, { error: text });
}

/** A TCP or UDP port. */
export function port(what = "a TCP port"): z.ZodNumber {
    return integer(`${what}: an integer from 1 to 65535`, 1, 65535);
}

/** A string, of which `text` says what it must be (its format rules say the same or more). */
export function text(what: string): z.ZodString {
    return z.string({ error: what });
}

/** A list whose elements are checked by `element`; `what` is what the whole list is. */
export function listOf<T extends z.ZodType>(element: T, what: string): z.ZodArray<T> {
    return z.array(element, { error: what });
}

/** A map from names to values: `what` is what the whole map is (its keys' rules say what a name is). */
export function mapOf<K extends z.ZodString, V extends z.ZodType>(key: K, value: V, what: string): z.ZodRecord<K, V> {
    return z.record(key, value, { error: what });
}

/**
 * A group of settings: an object with exactly these keys, which names them when it is given
 * something else (`certificates, acmeEmail?, httpPort?`: `?` for the ones that may be left out).
 * An unknown key is reported by config/errors.ts in words of its own.
 */
export function section<T extends Record<string, z.ZodType>>(what: string, shape: T): z.ZodObject<T, z.core.$strict> {
    const keys = Object.entries(shape).map(([key, rule]) => (rule.safeParse(undefined).success ? `${key}?` : key));
    return z.strictObject(shape, { error: `${what}: a map with the keys ${keys.join(", ")}` });
}
