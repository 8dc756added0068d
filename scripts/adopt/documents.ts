/**
 * The `pulumi import --file` documents (CLI v3.274: components, providers, inputs, outputs), built
 * from the program's own resources (expected.ts): every entry has the type, name, parent and
 * provider the program registers, so the imported state is what `pulumi up` looks for.
 */
import { isSecretValue } from "../lib/mock-run";
import type { ProgramResource } from "./expected";

export interface ImportResource {
    type: string;
    /** The reference other entries use in `parent`/`provider`; unique within the file. */
    name: string;
    /** The Pulumi resource name, when `name` is only a reference key. */
    logicalName?: string;
    id?: string;
    parent?: string;
    provider?: string;
    component?: boolean;
    version?: string;
    pluginDownloadUrl?: string;
    inputs?: Record<string, unknown>;
    /** The state as read from the engine; the provider's own Read is skipped (see containerState). */
    outputs?: Record<string, unknown>;
}

export interface ImportFile {
    /** Parents already in the state (imported by the components file), by URN. */
    nameTable?: Record<string, string>;
    resources: ImportResource[];
}

export interface PluginVersions {
    docker: string;
    proxmoxve: { version: string; server?: string };
}

/** What an entry carries besides what the program says about the resource. */
export interface EntryFields {
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

/** The package a type belongs to: `docker` of `docker:index/...` and of `pulumi:providers:docker`. */
function packageOf(type: string): string {
    const [first = "", second = "", third = ""] = type.split(":");
    return first === "pulumi" && second === "providers" ? third : first;
}

/** A provider's inputs without its secrets: those never go into a file (the first `pulumi up` stores them). */
export function plainInputs(resource: ProgramResource): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(resource.rawInputs).filter(([, value]) => value !== undefined && !isSecretValue(value)),
    );
}

/**
 * Reference keys: a resource's own name where no other resource of the program has it, otherwise
 * its type's last part and its name (a ServiceContainer and its Container share a name). The
 * program never gives two resources of one type the same name (the mock run keys them so too).
 */
function referenceKeys(resources: readonly ProgramResource[]): (resource: ProgramResource) => string {
    const counts = new Map<string, number>();
    for (const { name } of resources) counts.set(name, (counts.get(name) ?? 0) + 1);
    return (resource) =>
        (counts.get(resource.name) ?? 0) > 1
            ? `${resource.type.split(":").pop() ?? ""}:${resource.name}`
            : resource.name;
}

/**
 * Collects the import entries. Components go into a file of their own, imported first: in a
 * `pulumi import` the providers are created before anything else, so a provider's parent (a
 * component) must already be in the state. The other files name their parents in `nameTable` by URN.
 */
export class ImportDocuments {
    private readonly components = new Map<string, { entry: ImportResource; resource: ProgramResource }>();
    private readonly keyOf: (resource: ProgramResource) => string;

    constructor(
        private readonly target: { stack: string; project: string },
        private readonly plugins: PluginVersions,
        resources: readonly ProgramResource[],
    ) {
        this.keyOf = referenceKeys(resources);
    }

    /** The key of the resource's parent, entered (with its own ancestors, root first) into the components file. */
    private parentKey(resource: ProgramResource): string | undefined {
        const parent = resource.parent;
        if (parent === undefined) return undefined;
        const key = this.keyOf(parent);
        if (!this.components.has(key)) {
            const entry = this.entry(parent, { component: true });
            this.components.set(key, { entry, resource: parent });
        }
        return key;
    }

    private plugin(type: string): { version: string; pluginDownloadUrl?: string } {
        const name = packageOf(type);
        if (name === "docker") return { version: this.plugins.docker };
        if (name === "proxmoxve") {
            return { version: this.plugins.proxmoxve.version, pluginDownloadUrl: this.plugins.proxmoxve.server };
        }
        throw new Error(`adopt: no plugin version for ${type}`);
    }

    private entry(resource: ProgramResource, fields: EntryFields & { component?: boolean }): ImportResource {
        const key = this.keyOf(resource);
        const { id, inputs, outputs, component } = fields;
        // Absent fields stay undefined: JSON leaves them out of the file.
        return {
            type: resource.type,
            name: key,
            logicalName: key === resource.name ? undefined : resource.name,
            id,
            parent: this.parentKey(resource),
            provider: resource.provider === undefined ? undefined : this.keyOf(resource.provider),
            component,
            ...(component === true ? {} : this.plugin(resource.type)),
            inputs,
            outputs,
        };
    }

    /** Adds the resource's entry to `file` once, after the entry of its provider. */
    add(file: ImportResource[], resource: ProgramResource, fields: EntryFields): void {
        if (file.some((entry) => entry.name === this.keyOf(resource))) return;
        if (resource.provider !== undefined) {
            this.add(file, resource.provider, { inputs: plainInputs(resource.provider) });
        }
        file.push(this.entry(resource, fields));
    }

    /** The URN a real engine gives the component: its qualified type from the recorded parent chain. */
    private urnOf(resource: ProgramResource): string {
        return `urn:pulumi:${this.target.stack}::${this.target.project}::${resource.qualifiedType}::${resource.name}`;
    }

    componentFile(): ImportFile {
        return { resources: [...this.components.values()].map(({ entry }) => entry) };
    }

    /** Resources whose parents are components (by URN) or other entries of the same file (by name). */
    file(resources: readonly ImportResource[]): ImportFile {
        if (resources.length === 0) return { resources: [] };
        const parents = new Set(resources.flatMap((entry) => (entry.parent === undefined ? [] : [entry.parent])));
        const nameTable = Object.fromEntries(
            [...parents].flatMap((key) => {
                const component = this.components.get(key);
                return component === undefined ? [] : [[key, this.urnOf(component.resource)]];
            }),
        );
        return { nameTable, resources: [...resources] };
    }
}
