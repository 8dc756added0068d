import type * as pulumiModule from "@pulumi/pulumi";

/**
 * One run of the program under Pulumi mocks that records every resource with its inputs and
 * options: what the program would register, known without any engine. The adoption command reads
 * its expected state from it, the unit tests wrap it in their own module registry
 * (tests/helpers/program.ts) and the graph comparison (tests/graph/) runs it against any checkout.
 */

/** A recognisable dummy per secret key: a test finds it wherever it leaks. */
export const dummySecret = (key: string): string => `dummy-secret-${key}-0f1e2d`;

/** What the mocks make a generated secret (the program's own RandomPassword or LocalSecret): a test finds it wherever it leaks. */
export const dummyGenerated = (name: string): string => `dummy-generated-${name}-0f1e2d`;

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
    "unifiApiKey",
    "unifiWireguardPrivateKey",
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
    /** What this resource was known as before (its `aliases`, as the SDK sends them). */
    aliases: unknown[];
}

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

export interface MockRun {
    stack: string;
    /** The stack's plain config (`homelab:key` → string). */
    config: Record<string, string>;
    /** Secret keys given a dummy value. */
    secretKeys: readonly string[];
    /** Imports the program (index.ts) once the mocks are in place. */
    importProgram: () => Promise<Record<string, unknown>>;
}

export interface RecordedRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
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
    getAliasesList(): { toObject(): unknown }[];
}
interface Monitor {
    registerResource(request: RegisterRequest, callback: (...args: unknown[]) => void): void;
}

const tunnelTokenInvoke = "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken";
const dockerNetworkInvoke = "docker:index/getNetwork:getNetwork";

/** Runs the program under mocks with this `@pulumi/pulumi`; resolves once the runtime has sent its last RPC. */
export async function recordRun(pulumi: typeof pulumiModule, run: MockRun): Promise<RecordedRun> {
    const resources: RecordedResource[] = [];
    const optionsByName = new Map<string, Omit<RecordedResource, "inputs" | "rawInputs" | "urn">>();
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const recorded = optionsByName.get(`${args.type}::${args.name}`);
                if (recorded === undefined) throw new Error(`no options recorded for ${args.type} ${args.name}`);
                resources.push({
                    ...recorded,
                    urn: mockUrn(run.stack, recorded.parent, args.type, args.name),
                    inputs: unwrapSecrets(args.inputs) as Record<string, unknown>,
                    rawInputs: args.inputs as Record<string, unknown>,
                });
                return {
                    id: `${args.name}-id`,
                    state: { ...(args.inputs as object), ...mockState(args.type, args.name) },
                };
            },
            call(args) {
                if (args.token === dockerNetworkInvoke) {
                    const inputs = args.inputs as { name: string };
                    return { id: `${inputs.name}-id`, name: inputs.name, driver: "bridge", internal: false };
                }
                if (args.token === tunnelTokenInvoke) {
                    const inputs = args.inputs as { accountId: string; tunnelId: string };
                    return { ...inputs, token: `dummy-tunnel-token-${inputs.tunnelId}` };
                }
                throw new Error(`unexpected call ${args.token}`);
            },
        },
        "homelab",
        run.stack,
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
            aliases: request.getAliasesList().map((alias) => alias.toObject()),
        });
        register(request, callback);
    };
    const config = { ...run.config };
    for (const key of run.secretKeys) config[`homelab:${key}`] = dummySecret(key);
    pulumi.runtime.setAllConfig(
        config,
        run.secretKeys.map((key) => `homelab:${key}`),
    );

    let outputs: Record<string, unknown> = {};
    try {
        outputs = await resolveOutputs(pulumi, await run.importProgram());
    } catch (error) {
        throw new ProgramLoadError(error, resources.length + optionsByName.size);
    } finally {
        // Waits for every registration the program started, dynamic resources included.
        await pulumi.runtime.disconnect();
    }
    return { resources, outputs };
}

/** The URN the mock monitor gives a resource: the parent's own type prefixes the type. */
function mockUrn(stack: string, parent: string, type: string, name: string): string {
    const parentType = parent === "" ? "" : `${(parent.split("::")[2] ?? "").split("$").pop() ?? ""}$`;
    return `urn:pulumi:${stack}::homelab::${parentType}${type}::${name}`;
}

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
