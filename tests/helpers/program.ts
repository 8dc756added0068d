import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type * as pulumiModule from "@pulumi/pulumi";
import { settingsSchema, type Settings } from "../../config/schema";

export type StackName = "prod" | "lab";
export const repoRoot = path.resolve(__dirname, "../..");

/** The stack's config file as the flat `key → string` map the engine hands a program. */
export function stackConfig(stack: StackName): Record<string, string> {
    const file = parse(fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
    return Object.fromEntries(
        Object.entries(file.config).map(([key, value]) => [
            key,
            typeof value === "string" ? value : JSON.stringify(value),
        ]),
    );
}

/** The stack's settings as the program parses them. */
export function stackSettings(stack: StackName, overrides: Record<string, string> = {}): Settings {
    const raw = Object.fromEntries(
        Object.entries({ ...stackConfig(stack), ...overrides }).map(([key, value]) => {
            let parsed: unknown = value;
            try {
                parsed = JSON.parse(value);
            } catch {
                // a plain string value
            }
            return [key.replace(/^homelab:/, ""), parsed];
        }),
    );
    return settingsSchema.parse(raw);
}

/** A recognisable dummy per secret key: a test finds it wherever it leaks. */
export const dummySecret = (key: string): string => `dummy-secret-${key}-0f1e2d`;

/** Every secret key any stack of the program reads; a stack reads the subset it needs. */
export const allSecretKeys = [
    "authentikSecretKey",
    "authentikDbPassword",
    "cloudflareDnsApiToken",
    "dockmanPassword",
    "homarrEncryptionKey",
    "tunnelToken",
    "adguardUsername",
    "adguardPassword",
    "vpnWireguardPrivateKey",
    "vpnOpenvpnUser",
    "vpnOpenvpnPassword",
    "immichDbPassword",
    "beszelHubKey",
    "uptimeKumaPassword",
    "deploySshPrivateKey",
    "cloudflareApiToken",
    "proxmoxApiToken",
    "appdataBackupPingUrlDockerProd01",
    "appdataBackupPingUrlAuthProd01",
    "appdataBackupPingUrlImmichProd01",
    "zfsSnapshotPingUrl",
    "plexBackupPingUrl",
];

export interface RecordedResource {
    type: string;
    name: string;
    urn: string;
    /** Inputs as the engine received them, secrets unwrapped. */
    inputs: Record<string, unknown>;
    /** Inputs with secret markers left in place (see `isSecretValue`). */
    rawInputs: Record<string, unknown>;
    provider: string;
    parent: string;
    protect: boolean;
    deleteBeforeReplace: boolean;
    dependencies: string[];
    additionalSecretOutputs: string[];
}

const tunnelTokenInvoke = "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken";

const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const sigKey = "4dabf18193072939515e22adb298388d";

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[sigKey] === secretSig;
}

/** Every path where `needle` appears outside a secret marker: a leak, when `needle` is a secret. */
export function plainOccurrences(value: unknown, needle: string, path = "$"): string[] {
    if (isSecretValue(value)) return [];
    if (typeof value === "string") return value.includes(needle) ? [path] : [];
    if (Array.isArray(value)) return value.flatMap((item, i) => plainOccurrences(item, needle, `${path}[${i}]`));
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([key, item]) => plainOccurrences(item, needle, `${path}.${key}`));
    }
    return [];
}

export function unwrapSecrets(value: unknown): unknown {
    if (isSecretValue(value)) return unwrapSecrets((value as { value: unknown }).value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

export interface LoadOptions {
    /** Config values to add or replace (`homelab:key` → string). */
    config?: Record<string, string>;
    /** Secret keys to leave out (to test a missing secret). */
    withoutSecrets?: string[];
    /**
     * Modules replaced for this load only (a changed catalog), by path relative to this file, e.g.
     * "../../catalog/sso"; the factory runs in the load's own module registry.
     */
    modules?: Record<string, () => unknown>;
}

export interface Program {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
    ofType(type: string): RecordedResource[];
    get(type: string, name: string): RecordedResource;
}

/** The program threw while loading; `registered` counts the resources it had registered by then. */
export class ProgramLoadError extends Error {
    constructor(
        cause: unknown,
        public readonly registered: number,
    ) {
        super(cause instanceof Error ? cause.message : String(cause), { cause });
        this.name = "ProgramLoadError";
    }
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProvider(): string;
    getProtect(): boolean | undefined;
    getDeletebeforereplace(): boolean;
    getDependenciesList(): string[];
    getAdditionalsecretoutputsList(): string[];
}
interface Monitor {
    registerResource(request: RegisterRequest, callback: (...args: unknown[]) => void): void;
}

/**
 * Loads index.ts under Pulumi mocks with a stack's real config file and dummy secrets, and
 * records every resource with its inputs and options. Each call gets fresh modules.
 */
export async function loadProgram(stack: StackName, options: LoadOptions = {}): Promise<Program> {
    const resources: RecordedResource[] = [];
    let outputs: Record<string, unknown> = {};
    await jest.isolateModulesAsync(async () => {
        for (const [path, factory] of Object.entries(options.modules ?? {})) jest.doMock(path, factory);
        const pulumi: typeof pulumiModule = await import("@pulumi/pulumi");
        const optionsByName = new Map<string, Omit<RecordedResource, "inputs" | "rawInputs" | "urn">>();
        await pulumi.runtime.setMocks(
            {
                newResource(args) {
                    const recorded = optionsByName.get(`${args.type}::${args.name}`);
                    if (recorded === undefined) throw new Error(`no options recorded for ${args.type} ${args.name}`);
                    resources.push({
                        ...recorded,
                        urn: mockUrn(stack, recorded.parent, args.type, args.name),
                        inputs: unwrapSecrets(args.inputs) as Record<string, unknown>,
                        rawInputs: args.inputs as Record<string, unknown>,
                    });
                    return {
                        id: `${args.name}-id`,
                        state: { ...(args.inputs as object), ...mockState(args.type, args.name) },
                    };
                },
                call(args) {
                    if (args.token === tunnelTokenInvoke) {
                        const inputs = args.inputs as { accountId: string; tunnelId: string };
                        return { ...inputs, token: `dummy-tunnel-token-${inputs.tunnelId}` };
                    }
                    throw new Error(`unexpected call ${args.token}`);
                },
            },
            "homelab",
            stack,
            false,
        );
        const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (request, callback) => {
            optionsByName.set(`${request.getType()}::${request.getName()}`, {
                type: request.getType(),
                name: request.getName(),
                parent: request.getParent(),
                provider: request.getProvider(),
                protect: request.getProtect() === true,
                deleteBeforeReplace: request.getDeletebeforereplace(),
                dependencies: request.getDependenciesList(),
                additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
            });
            register(request, callback);
        };
        const config = { ...stackConfig(stack), ...options.config };
        const secretKeys = allSecretKeys.filter((key) => !(options.withoutSecrets ?? []).includes(key));
        for (const key of secretKeys) config[`homelab:${key}`] = dummySecret(key);
        pulumi.runtime.setAllConfig(
            config,
            secretKeys.map((key) => `homelab:${key}`),
        );

        try {
            const program = (await import("../../index")) as Record<string, unknown>;
            outputs = await resolveOutputs(pulumi, program);
        } catch (error) {
            throw new ProgramLoadError(error, resources.length + optionsByName.size);
        } finally {
            for (const path of Object.keys(options.modules ?? {})) jest.dontMock(path);
            await pulumi.runtime.disconnect();
        }
        // Dynamic resources serialise their provider first and register after the rest.
        await settled(() => resources.length);
    });
    return {
        resources,
        outputs,
        ofType: (type) => resources.filter((resource) => resource.type === type),
        get(type, name) {
            const found = resources.find((resource) => resource.type === type && resource.name === name);
            if (found === undefined) throw new Error(`no ${type} named ${name}`);
            return found;
        },
    };
}

/** Waits until no resource has registered for a while: dynamic resources register late. */
async function settled(count: () => number): Promise<void> {
    let quietTicks = 0;
    let last = count();
    while (quietTicks < 10) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = count();
        quietTicks = now === last ? quietTicks + 1 : 0;
        last = now;
    }
}

/** The URN the mock monitor gives a resource: the parent's own type prefixes the type. */
function mockUrn(stack: StackName, parent: string, type: string, name: string): string {
    const parentType = parent === "" ? "" : `${(parent.split("::")[2] ?? "").split("$").pop() ?? ""}$`;
    return `urn:pulumi:${stack}::homelab::${parentType}${type}::${name}`;
}

/** What the mocks make a generated secret (the program's own RandomPassword or LocalSecret): a test finds it wherever it leaks. */
export const dummyGenerated = (name: string): string => `dummy-generated-${name}-0f1e2d`;

/** Provider-computed fields the program reads back. */
function mockState(type: string, name: string): Record<string, unknown> {
    if (type === "docker:index/remoteImage:RemoteImage") return { imageId: `sha256:${name}` };
    if (type === "random:index/randomPassword:RandomPassword" || type === "pulumi-nodejs:dynamic/homelab:LocalSecret") {
        return { result: dummyGenerated(name) };
    }
    return {};
}

async function resolveOutputs(
    pulumi: typeof pulumiModule,
    program: Record<string, unknown>,
): Promise<Record<string, unknown>> {
    const entries = await Promise.all(
        Object.entries(program).map(async ([key, value]) => {
            if (!pulumi.Output.isInstance(value)) return [key, value] as const;
            const resolved = await new Promise<unknown>((resolve) => value.apply(resolve));
            return [key, resolved] as const;
        }),
    );
    return Object.fromEntries(entries);
}

/** Loads both stacks once for a test file (in its beforeAll); the returned function reads them. */
export function bothStacks(): (stack: StackName) => Program {
    const programs: Partial<Record<StackName, Program>> = {};
    beforeAll(async () => {
        programs.lab = await loadProgram("lab");
        programs.prod = await loadProgram("prod");
    });
    return (stack) => {
        const loaded = programs[stack];
        if (loaded === undefined) throw new Error(`${stack} not loaded`);
        return loaded;
    };
}
