import * as path from "node:path";
import { catalog } from "../catalog";
import { guardrails, type Guardrails } from "../catalog/policy";
import type { ServiceEntry } from "../catalog/types";
import { loadSettings, settingsOfStackFile } from "../config/load";
import { readStackFile, stackFilePath } from "../config/stack-file";
import type { Settings } from "../config/schema";

/** What the rules judge against: the stack being previewed, its settings and the catalog's allowlists. */
export interface PolicyContext {
    stack: string;
    settings: Settings;
    /** The enabled catalog entries by container name. */
    services: ReadonlyMap<string, ServiceEntry>;
    allowed: Guardrails;
}

/** The context of the resource with this URN (rules are built before the pack learns its stack). */
export type ContextOf = (urn: string) => PolicyContext;

export function policyContext(stack: string, settings: Settings, entries: readonly ServiceEntry[]): PolicyContext {
    const enabled = entries.filter((entry) => entry.enabled !== false);
    return {
        stack,
        settings,
        services: new Map(enabled.map((entry) => [entry.name, entry])),
        allowed: guardrails(enabled, settings),
    };
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` */
export function stackOfUrn(urn: string): string | undefined {
    return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

const projectDir = path.resolve(__dirname, "..");

/**
 * The stack's settings through the program's own loader. Older CLIs hand a Node.js pack the
 * stack's config in PULUMI_CONFIG; current ones do not (@pulumi/policy drops what the engine
 * sends it at configure time), so the pack reads Pulumi.<stack>.yaml, where every non-secret
 * setting lives, and passes it through the same validation.
 */
function settingsOf(stack: string): Settings {
    if ((process.env.PULUMI_CONFIG ?? "") === "") {
        return settingsOfStackFile(readStackFile(stackFilePath(projectDir, stack)));
    }
    return loadSettings();
}

/** The context of whichever stack the engine previews, loaded once from its first resource's URN. */
export function stackContexts(): ContextOf {
    const loaded = new Map<string, PolicyContext>();
    return (urn) => {
        const stack = stackOfUrn(urn);
        if (stack === undefined) throw new Error(`homelab policy pack: no stack in URN ${urn}`);
        const known = loaded.get(stack);
        if (known !== undefined) return known;
        const context = policyContext(stack, settingsOf(stack), catalog);
        loaded.set(stack, context);
        return context;
    };
}
