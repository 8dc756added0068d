import { createHash } from "node:crypto";
import { parseDocument } from "yaml";
import type { ServiceEntry } from "../../catalog/types";
import {
    bothStacks,
    dummyGenerated,
    dummySecret,
    loadProgram,
    plainOccurrences,
    ProgramLoadError,
    type Program,
    type RecordedResource,
    type StackName,
} from "../helpers/program";
import { containerNamed, envOf, labelsOf, secretEnvNames, whoamiEntry } from "../helpers/services";

const watchedFileType = "pulumi-nodejs:dynamic/homelab:LocalFile";
const commandType = "command:remote:Command";

const program = bothStacks();

function container(stack: StackName, name: string): RecordedResource {
    const [found, ...others] = containerNamed(program(stack), name);
    expect(others).toEqual([]);
    if (found === undefined) throw new Error(`no container ${name} in ${stack}`);
    return found;
}

/** The blueprint as the program writes it (the lab's in-process file, prod's command input). */
function blueprintOf(loaded: Program): string {
    const file = loaded.ofType(watchedFileType).find((resource) => resource.name === "sso-blueprint-write");
    if (file !== undefined) return String(file.inputs.content);
    return String(loaded.get(commandType, "sso-blueprint-write").inputs.stdin);
}

const secretNames = ["sso-homarr-client-secret", "sso-immich-client-secret"];

describe("the lab", () => {
    test("writes the blueprint in-process into the worker's blueprint mount, staged beside it", () => {
        const files = program("lab").ofType(watchedFileType);
        expect(files.map((file) => file.name).sort()).toEqual(["sso-blueprint-write", "traefik-routes-write"]);
        const file = files.find((candidate) => candidate.name === "sso-blueprint-write");
        expect(file?.inputs.path).toBe("/var/tmp/homelab-lab/appdata/authentik-worker/blueprints/homelab.yaml");
        expect(file?.inputs.staging).toBe("/var/tmp/homelab-lab/appdata/authentik-worker/.blueprints-homelab.yaml.tmp");
        expect(file?.parent).toContain("homelab:hosts:HostFile");
        expect(file?.dependencies.some((urn) => urn.endsWith("::directories-auth-prod-01-create"))).toBe(true);
        expect(container("lab", "authentik-worker").inputs.volumes).toContainEqual({
            hostPath: "/var/tmp/homelab-lab/appdata/authentik-worker/blueprints",
            containerPath: "/blueprints/homelab",
            readOnly: false,
        });
        expect(String(file?.inputs.content)).toContain('external_host: "https://sonarr.giohosted.localhost:8443"');
    });

    test("generates the client secrets in-process (its engine has no random plugin)", () => {
        expect(
            program("lab")
                .ofType("pulumi-nodejs:dynamic/homelab:LocalSecret")
                .map((resource) => resource.name)
                .sort(),
        ).toEqual(secretNames);
        expect(program("lab").resources.filter((resource) => resource.type.startsWith("random:"))).toEqual([]);
        for (const name of secretNames) {
            const secret = program("lab").get("pulumi-nodejs:dynamic/homelab:LocalSecret", name);
            expect(secret.additionalSecretOutputs).toEqual(["result"]);
            expect(secret.inputs.bytes).toBe(32);
        }
    });
});

describe("prod", () => {
    test("writes the blueprint over SSH on auth-prod-01, re-run exactly when its content changes", () => {
        const write = program("prod").get(commandType, "sso-blueprint-write");
        const stdin = String(write.inputs.stdin);
        expect(write.inputs.connection).toMatchObject({ host: "192.168.30.13", user: "deploy" });
        expect(plainOccurrences(write.rawInputs, dummySecret("deploySshPrivateKey"))).toEqual([]);
        expect(write.inputs.create).toBe(
            "sudo -n mkdir -p '/opt/appdata/authentik-worker/blueprints' && " +
                "sudo -n tee '/opt/appdata/authentik-worker/.blueprints-homelab.yaml.tmp' >/dev/null && " +
                "sudo -n chmod 0644 '/opt/appdata/authentik-worker/.blueprints-homelab.yaml.tmp' && " +
                "sudo -n mv -f '/opt/appdata/authentik-worker/.blueprints-homelab.yaml.tmp' " +
                "'/opt/appdata/authentik-worker/blueprints/homelab.yaml' && " +
                "sudo -n touch '/opt/appdata/authentik-worker/blueprints/homelab.yaml'",
        );
        expect(write.inputs.delete).toBe("sudo -n rm -f '/opt/appdata/authentik-worker/blueprints/homelab.yaml'");
        expect(write.inputs.triggers).toEqual([createHash("sha256").update(stdin).digest("hex")]);
        expect(write.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
        expect(write.dependencies.some((urn) => urn.endsWith("::directories-auth-prod-01-create"))).toBe(true);
        expect(stdin).toContain('external_host: "https://sonarr.giohosted.com"');
    });

    test("generates the client secrets with @pulumi/random, on a provider of its own", () => {
        const passwords = program("prod").ofType("random:index/randomPassword:RandomPassword");
        expect(passwords.map((resource) => resource.name).sort()).toEqual(secretNames);
        for (const password of passwords) {
            expect(password.inputs).toMatchObject({ length: 64, special: false });
            expect(password.provider).toContain("pulumi:providers:random::sso-random");
        }
    });
});

describe.each<[StackName, string]>([
    ["prod", "https://auth.giohosted.com"],
    ["lab", "https://auth.giohosted.localhost:8443"],
])("OIDC in the %s stack", (stack, authUrl) => {
    const homarrSecret = dummyGenerated("sso-homarr-client-secret");
    const immichSecret = dummyGenerated("sso-immich-client-secret");

    test("the worker holds each client secret as a secret variable the blueprint names with !Env", () => {
        const worker = container(stack, "authentik-worker");
        expect(envOf(worker)).toMatchObject({
            HOMELAB_OIDC_HOMARR_CLIENT_SECRET: homarrSecret,
            HOMELAB_OIDC_IMMICH_CLIENT_SECRET: immichSecret,
        });
        expect(secretEnvNames(worker)).toEqual(
            expect.arrayContaining(["HOMELAB_OIDC_HOMARR_CLIENT_SECRET", "HOMELAB_OIDC_IMMICH_CLIENT_SECRET"]),
        );
        const blueprint = blueprintOf(program(stack));
        expect(blueprint).toContain('client_secret: !Env "HOMELAB_OIDC_HOMARR_CLIENT_SECRET"');
        expect(blueprint).toContain('client_secret: !Env "HOMELAB_OIDC_IMMICH_CLIENT_SECRET"');
    });

    test("Homarr signs in with Authentik from its env, without forward-auth", () => {
        const homarr = container(stack, "homarr");
        expect(envOf(homarr)).toMatchObject({
            AUTH_PROVIDERS: "oidc",
            AUTH_OIDC_ISSUER: `${authUrl}/application/o/homarr/`,
            AUTH_OIDC_CLIENT_ID: "homarr",
            AUTH_OIDC_CLIENT_SECRET: homarrSecret,
        });
        expect(secretEnvNames(homarr)).toContain("AUTH_OIDC_CLIENT_SECRET");
        expect(Object.values(labelsOf(homarr))).not.toContain("authentik@file");
    });

    test("Immich gets its settings as one secret variable, written at start into a tmpfs", () => {
        const immich = container(stack, "immich-server");
        const env = envOf(immich);
        expect(env.IMMICH_CONFIG_FILE).toBe("/run/homelab/immich.json");
        expect(secretEnvNames(immich)).toContain("HOMELAB_SECRET_IMMICH_CONFIG");
        const settings = JSON.parse(env.HOMELAB_SECRET_IMMICH_CONFIG ?? "{}") as { oauth?: Record<string, unknown> };
        expect(settings.oauth).toMatchObject({
            enabled: true,
            issuerUrl: `${authUrl}/application/o/immich-server/`,
            clientId: "immich",
            clientSecret: immichSecret,
            signingAlgorithm: "RS256",
        });
        expect(immich.inputs.tmpfs).toEqual({ "/run/homelab": "rw,noexec,nosuid,size=1m,mode=1777" });
        expect(immich.inputs.command).toEqual([
            "-c",
            `umask 077 && printf '%s' "$HOMELAB_SECRET_IMMICH_CONFIG" >/run/homelab/immich.json && ` +
                "unset HOMELAB_SECRET_IMMICH_CONFIG && exec start.sh",
        ]);
        // Nothing of it is a file on the host: no volume holds the settings.
        expect((immich.inputs.volumes as { containerPath: string }[]).map((volume) => volume.containerPath)).toEqual([
            "/data",
        ]);
    });

    test("no generated secret appears in plain text: not in any resource's inputs, the file or an output", () => {
        const loaded = program(stack);
        for (const secret of [homarrSecret, immichSecret]) {
            const leaks = loaded.resources.flatMap((resource) =>
                plainOccurrences(resource.rawInputs, secret).map((path) => `${resource.name} ${path}`),
            );
            expect(leaks).toEqual([]);
            expect(JSON.stringify(loaded.outputs)).not.toContain(secret);
            expect(blueprintOf(loaded)).not.toContain(secret);
        }
    });
});

describe("a catalog change", () => {
    const whoami = whoamiEntry({
        stack: "monitoring",
        route: { subdomain: "whoami", exposure: "internal", forwardAuth: true },
    });

    /** Every resource's inputs by type and name, except the blueprint file's. */
    function others(loaded: Program): Map<string, string> {
        return new Map(
            loaded.resources
                .filter((resource) => resource.name !== "sso-blueprint-write")
                .map((resource) => [`${resource.type}::${resource.name}`, JSON.stringify(resource.rawInputs)]),
        );
    }

    test("a retired service rewrites the blueprint and changes nothing else", async () => {
        const changed = await loadProgram("lab", {
            modules: {
                "../../catalog/sso": () => ({
                    ...jest.requireActual<object>("../../catalog/sso"),
                    retired: [{ service: "overseerr", reason: "replaced by Seerr in 2026" }],
                }),
            },
        });
        expect(others(changed)).toEqual(others(program("lab")));
        const blueprint = blueprintOf(changed);
        expect(blueprint).not.toBe(blueprintOf(program("lab")));
        expect(blueprint).toContain(
            'model: "authentik_core.application"\n    state: "absent"\n    identifiers:\n      slug: "overseerr"',
        );
    });

    test("one new forward-auth entry brings its route, provider, application, binding, outpost membership and URL", async () => {
        const changed = await loadProgram("lab", {
            modules: {
                "../../catalog/stacks/monitoring": () => {
                    const actual = jest.requireActual<{ monitoring: readonly ServiceEntry[] }>(
                        "../../catalog/stacks/monitoring",
                    );
                    return { ...actual, monitoring: [...actual.monitoring, whoami] };
                },
            },
        });
        const labels = labelsOf(container("lab", "sonarr"));
        expect(labels["traefik.http.routers.sonarr.middlewares"]).toBe("authentik@file");
        const [whoamiContainer] = containerNamed(changed, "whoami");
        expect(whoamiContainer === undefined ? {} : labelsOf(whoamiContainer)).toMatchObject({
            "traefik.http.routers.whoami.rule": "Host(`whoami.giohosted.localhost`)",
            "traefik.http.routers.whoami.middlewares": "authentik@file",
        });
        expect((changed.outputs.urls as Record<string, string>).whoami).toBe("https://whoami.giohosted.localhost:8443");

        const parsed = parseDocument(blueprintOf(changed), {
            customTags: [
                { tag: "!KeyOf", resolve: (value: string) => `KeyOf ${value}` },
                { tag: "!Env", resolve: (value: string) => `Env ${value}` },
                { tag: "!Find", collection: "seq", resolve: () => "Find" },
            ],
        }).toJS() as {
            entries: {
                model: string;
                state: string;
                id?: string;
                identifiers: Record<string, unknown>;
                attrs?: Record<string, unknown>;
            }[];
        };
        const entries = parsed.entries;
        expect(entries.find((entry) => entry.id === "provider:whoami")?.attrs).toMatchObject({
            name: "whoami-forward-auth",
            external_host: "https://whoami.giohosted.localhost:8443",
            mode: "forward_single",
        });
        expect(entries.find((entry) => entry.id === "application:whoami")?.attrs).toMatchObject({
            slug: "whoami",
            provider: "KeyOf provider:whoami",
            meta_launch_url: "https://whoami.giohosted.localhost:8443",
            group: "monitoring",
        });
        expect(
            entries.filter(
                (entry) =>
                    entry.model === "authentik_policies.policybinding" &&
                    entry.state === "present" &&
                    entry.identifiers.target === "KeyOf application:whoami",
            ),
        ).toHaveLength(1);
        expect(entries.find((entry) => entry.model === "authentik_outposts.outpost")?.attrs?.providers).toContain(
            "KeyOf provider:whoami",
        );
        // Every container that was there before is left as it was: nothing is replaced.
        const before = others(program("lab"));
        const after = others(changed);
        for (const [key, inputs] of before) {
            if (key.startsWith("docker:index/container:Container::"))
                expect([key, after.get(key)]).toEqual([key, inputs]);
        }
    });

    test("a retired name that is still a catalog service fails before any resource", async () => {
        let failure: unknown;
        try {
            await loadProgram("prod", {
                modules: {
                    "../../catalog/sso": () => ({
                        ...jest.requireActual<object>("../../catalog/sso"),
                        retired: [{ service: "sonarr", reason: "meant to remove it" }],
                    }),
                },
            });
        } catch (error) {
            failure = error;
        }
        expect(failure).toBeInstanceOf(ProgramLoadError);
        expect((failure as ProgramLoadError).message).toContain(
            'catalog/sso.ts retired: "sonarr" is not allowed; it is still a catalog service ' +
                "(expected only services that left the catalog; one without single sign-on needs no line)",
        );
        expect((failure as ProgramLoadError).registered).toBe(0);
    });
});
