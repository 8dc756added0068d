import * as serverModule from "@pulumi/policy/server";
import type { Policies } from "@pulumi/policy";
import {
    AnalyzeRequest,
    AnalyzeResponse,
    AnalyzeStackRequest,
    AnalyzerPropertyDependencies,
    AnalyzerProviderResource,
    AnalyzerResource,
    AnalyzerResourceOptions,
    EnforcementLevel,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import { catalog } from "../../catalog";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { captureWire } from "../../policy/wire";
import { stackSettings } from "../helpers/program";

/**
 * The pack as the engine drives it: protobuf requests with secret markers and unknowns in the
 * wire form, through @pulumi/policy's own analyze RPC handlers (what `pulumi preview --policy-pack`
 * calls over gRPC). This pins the SDK behaviour policy/wire.ts relies on.
 */

type Handler<Request> = (
    call: { request: Request },
    callback: (error: unknown, response?: AnalyzeResponse) => void,
) => void;
interface ServerExports {
    makeAnalyzeRpcFun: (name: string, version: string, level: string, policies: Policies) => Handler<AnalyzeRequest>;
    makeAnalyzeStackRpcFun: (
        name: string,
        version: string,
        level: string,
        policies: Policies,
    ) => Handler<AnalyzeStackRequest>;
}
const server = serverModule as unknown as ServerExports;

function call<Request>(handler: Handler<Request>, request: Request): Promise<AnalyzeResponse | undefined> {
    return new Promise((resolve, reject) => {
        handler({ request }, (error, response) => {
            if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
            else resolve(response);
        });
    });
}

const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const containerType = "docker:index/container:Container";
const imageType = "docker:index/remoteImage:RemoteImage";
const dockerProvider =
    "urn:pulumi:prod::homelab::homelab:hosts:DockerHosts$pulumi:providers:docker::hosts-docker-prod-01";

captureWire();
const policies = homelabPolicies(policyContext("prod", stackSettings("prod"), catalog));

function homarr(secretLine: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        name: "homarr",
        image: "sha256:0f1e",
        restart: "unless-stopped",
        networkMode: "proxy",
        envs: ["PUID=2000", "PGID=2000", "TZ=America/New_York", secretLine],
        healthcheck: { tests: ["CMD", "wget", "-q", "--spider", "http://localhost:7575/api/health/live"] },
        volumes: [{ hostPath: "/opt/appdata/homarr", containerPath: "/appdata", readOnly: false }],
        ...extra,
    };
}

function provider(): AnalyzerProviderResource {
    return new AnalyzerProviderResource()
        .setUrn(dockerProvider)
        .setType("pulumi:providers:docker")
        .setName("hosts-docker-prod-01")
        .setProperties(Struct.fromJavaScript({}));
}

async function analyze(props: Record<string, unknown>): Promise<string[][]> {
    const request = new AnalyzeRequest()
        .setUrn(`urn:pulumi:prod::homelab::homelab:components:ServiceContainer$${containerType}::homarr`)
        .setType(containerType)
        .setName("homarr")
        .setProperties(Struct.fromJavaScript(props as Record<string, JavaScriptValue>))
        .setOptions(new AnalyzerResourceOptions().setProtect(false))
        .setProvider(provider());
    const handler = server.makeAnalyzeRpcFun("homelab", "0.0.1", "mandatory", policies);
    const response = await call(handler, request);
    return (response?.getDiagnosticsList() ?? []).map((d) => [
        d.getPolicyname(),
        d.getEnforcementlevel() === EnforcementLevel.MANDATORY ? "mandatory" : "not mandatory",
        // The SDK puts the policy's description on the first line.
        d.getMessage().split("\n").slice(1).join("\n"),
    ]);
}

describe("the pack behind @pulumi/policy's analyze RPC", () => {
    it("sees a per-line secret marker and lets the secret line pass", async () => {
        expect(await analyze(homarr(secret("SECRET_ENCRYPTION_KEY=0f1e")))).toEqual([]);
    });

    it("blocks the same line sent as plain text", async () => {
        expect(await analyze(homarr("SECRET_ENCRYPTION_KEY=0f1e"))).toEqual([
            [
                "secret-env-from-secrets",
                "mandatory",
                "homarr: SECRET_ENCRYPTION_KEY reaches the engine as plain text; " +
                    "set it from a secret config key (the entry's secretEnv, pulumi config set --secret)",
            ],
        ]);
    });

    it("keeps judging in preview: unknown values are skipped, never turned into advisory warnings", async () => {
        const preview = homarr(secret(unknown), { image: unknown, ports: [] });
        expect(await analyze(preview)).toEqual([]);
        const privileged = await analyze({ ...preview, privileged: true });
        expect(privileged.map(([name, level]) => `${name} ${level}`)).toEqual(["no-privileged-containers mandatory"]);
    });

    it("follows the engine's property dependencies to the container's RemoteImage", async () => {
        const containerUrn = `urn:pulumi:prod::homelab::homelab:components:ServiceContainer$${containerType}::homarr`;
        const imageUrn = `urn:pulumi:prod::homelab::homelab:components:ServiceContainer$${imageType}::homarr-image`;
        const resource = (urn: string, type: string, props: Record<string, unknown>) =>
            new AnalyzerResource()
                .setUrn(urn)
                .setType(type)
                .setName(urn.split("::").pop() ?? "")
                .setProperties(Struct.fromJavaScript(props as Record<string, JavaScriptValue>))
                .setOptions(new AnalyzerResourceOptions())
                .setProvider(provider());
        const stack = (imageFeedsContainer: boolean) => {
            const container = resource(containerUrn, containerType, homarr(secret("SECRET_ENCRYPTION_KEY=0f1e")));
            container.setDependenciesList([imageUrn]);
            const dependencies = new AnalyzerPropertyDependencies().setUrnsList([imageUrn]);
            container.getPropertydependenciesMap().set(imageFeedsContainer ? "image" : "labels", dependencies);
            return new AnalyzeStackRequest().setResourcesList([
                resource(imageUrn, imageType, { name: "ghcr.io/homarr-labs/homarr:v1.74.0" }),
                container,
            ]);
        };
        const handler = server.makeAnalyzeStackRpcFun("homelab", "0.0.1", "mandatory", policies);
        const run = async (request: AnalyzeStackRequest) =>
            ((await call(handler, request))?.getDiagnosticsList() ?? []).map((d) => d.getPolicyname());
        expect(await run(stack(true))).toEqual([]);
        expect(await run(stack(false))).toEqual(["images-through-remote-image"]);
    });
});
