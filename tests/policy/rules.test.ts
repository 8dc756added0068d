import { catalog } from "../../catalog";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { runPolicies, type RecordedInput, type Violation } from "./testing";
import { bothStacks, loadProgram, stackSettings, type Program, type StackName } from "../helpers/program";

const containerType = "docker:index/container:Container";
const imageType = "docker:index/remoteImage:RemoteImage";
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

const program = bothStacks();

function policies(stack: StackName, overrides: Record<string, string> = {}) {
    return homelabPolicies(policyContext(stack, stackSettings(stack, overrides), catalog));
}

/** The stack's recorded resources (copies), with `change` applied to the first container named `name`. */
function changed(stack: StackName, name: string, change: (container: RecordedInput) => void): RecordedInput[] {
    const resources = structuredClone(program(stack).resources) as RecordedInput[];
    const container = resources.find((r) => r.type === containerType && r.rawInputs.name === name);
    if (container === undefined) throw new Error(`no container ${name} in ${stack}`);
    change(container);
    return resources;
}

/** The policies that fired, once each: a violating change must trip its rule and no other. */
const fired = (violations: Violation[]) => [...new Set(violations.map((v) => v.policy))].sort();

async function check(stack: StackName, resources: readonly RecordedInput[], overrides?: Record<string, string>) {
    return runPolicies(policies(stack, overrides), resources);
}

/** Env lines of a recorded container, as plain strings (the mocks mark the whole list secret when one line is). */
function envs(container: RecordedInput): string[] {
    const raw = container.rawInputs.envs;
    const lines = (typeof raw === "object" && raw !== null && "value" in raw ? raw.value : raw) as string[];
    return [...lines];
}

describe.each<StackName>(["lab", "prod"])("the real %s program", (stack) => {
    it("passes every rule", async () => {
        expect(await check(stack, program(stack).resources)).toEqual([]);
    });
});

describe("container isolation", () => {
    it("reports a privileged container", async () => {
        const violations = await check(
            "lab",
            changed("lab", "homarr", (c) => (c.rawInputs.privileged = true)),
        );
        expect(fired(violations)).toEqual(["no-privileged-containers"]);
        expect(violations[0]?.message).toMatch(/^homarr: runs privileged/);
    });

    it.each(["pidMode", "ipcMode", "usernsMode", "cgroupnsMode"])("reports %s host", async (field) => {
        const violations = await check(
            "lab",
            changed("lab", "sonarr", (c) => (c.rawInputs[field] = "host")),
        );
        expect(fired(violations)).toEqual(["no-privileged-containers"]);
    });

    it("reports the Docker socket in a container off the allowlist, and a read-only allowance mounted read-write", async () => {
        const socket = { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true };
        const homarr = await check(
            "lab",
            changed("lab", "homarr", (c) => (c.rawInputs.volumes = [...(c.rawInputs.volumes as object[]), socket])),
        );
        expect(fired(homarr)).toEqual(["docker-socket-allowlist"]);
        expect(homarr[0]?.message).toContain("allowed only for traefik");

        const traefik = await check(
            "prod",
            changed("prod", "traefik", (c) => {
                c.rawInputs.volumes = (c.rawInputs.volumes as { hostPath: string }[]).map((v) =>
                    v.hostPath === socket.hostPath ? { ...v, readOnly: false } : v,
                );
            }),
        );
        expect(fired(traefik)).toEqual(["docker-socket-allowlist"]);
        expect(traefik[0]?.message).toMatch(/traefik: mounts the Docker socket read-write/);
    });

    it("reports the socket's directory bound through `mounts`", async () => {
        const bind = { type: "bind", source: "/var/run", target: "/host-run" };
        const violations = await check(
            "lab",
            changed("lab", "sonarr", (c) => (c.rawInputs.mounts = [bind])),
        );
        expect(fired(violations)).toEqual(["docker-socket-allowlist"]);
    });

    it("reports host networking off the allowlist", async () => {
        const violations = await check(
            "prod",
            changed("prod", "homarr", (c) => (c.rawInputs.networkMode = "host")),
        );
        expect(fired(violations)).toEqual(["host-network-allowlist"]);
        expect(violations[0]?.message).toMatch(
            /^homarr: uses host networking; allowed only for beszel-agent \(.*\); plex \(/,
        );
    });

    it("reports a published port off the allowlist, and an allowed one on every address", async () => {
        const port = { internal: 7575, external: 7575, ip: "192.168.30.11", protocol: "tcp" };
        const homarr = await check(
            "prod",
            changed("prod", "homarr", (c) => (c.rawInputs.ports = [port])),
        );
        expect(fired(homarr)).toEqual(["published-ports-allowlist"]);

        const traefik = await check(
            "prod",
            changed("prod", "traefik", (c) => {
                c.rawInputs.ports = (c.rawInputs.ports as object[]).map((p) => ({ ...p, ip: "0.0.0.0" }));
            }),
        );
        expect(fired(traefik)).toEqual(["published-ports-allowlist"]);
        expect(traefik.map((v) => v.message)).toEqual([
            "traefik: publishes 80/tcp on every address; give it the host's address (ip)",
            "traefik: publishes 443/tcp on every address; give it the host's address (ip)",
        ]);
    });

    it("reports an added capability off the allowlist", async () => {
        const violations = await check(
            "prod",
            changed("prod", "gluetun", (c) => (c.rawInputs.capabilities = { adds: ["NET_ADMIN", "CAP_SYS_ADMIN"] })),
        );
        expect(fired(violations)).toEqual(["capabilities-allowlist"]);
        expect(violations[0]?.message).toMatch(/^gluetun: adds capability SYS_ADMIN; allowed: gluetun NET_ADMIN/);
    });

    it("reports a device off the allowlist", async () => {
        const dri = { hostPath: "/dev/dri", containerPath: "/dev/dri" };
        const violations = await check(
            "prod",
            changed("prod", "gluetun", (c) => (c.rawInputs.devices = [dri])),
        );
        expect(fired(violations)).toEqual(["devices-allowlist"]);
        expect(violations[0]?.message).toContain("plex /dev/dri");
    });
});

describe("images", () => {
    it.each(["ghcr.io/homarr-labs/homarr:latest", "ghcr.io/homarr-labs/homarr", "ghcr.io/homarr-labs/homarr:"])(
        "reports the unpinned RemoteImage %s",
        async (reference) => {
            const resources = structuredClone(program("lab").resources) as RecordedInput[];
            const image = resources.find((r) => r.type === imageType && r.name === "homarr-image");
            if (image === undefined) throw new Error("no homarr image");
            image.rawInputs.name = reference;
            expect(fired(await check("lab", resources))).toEqual(["images-pinned"]);
        },
    );

    it("reports a container that names its image instead of running a RemoteImage", async () => {
        const violations = await check(
            "lab",
            changed("lab", "homarr", (c) => {
                c.rawInputs.image = "ghcr.io/homarr-labs/homarr";
                c.dependencies = c.dependencies.filter((urn) => !urn.includes("RemoteImage"));
            }),
        );
        expect(fired(violations)).toEqual(["images-pinned", "images-through-remote-image"]);
    });

    it("reports an image pulled on another engine's provider", async () => {
        const resources = structuredClone(program("prod").resources) as RecordedInput[];
        const image = resources.find((r) => r.type === imageType && r.name === "homarr-image");
        const elsewhere = resources.find((r) => r.type === containerType && r.rawInputs.name === "immich-server");
        if (image === undefined || elsewhere === undefined) throw new Error("fixtures missing");
        image.provider = elsewhere.provider;
        const violations = await check("prod", resources);
        expect(fired(violations)).toEqual(["images-through-remote-image"]);
        expect(violations[0]?.message).toMatch(
            /^homarr: its image is pulled by homarr-image through hosts-immich-prod-01/,
        );
    });
});

describe("identity, secrets, restart, health", () => {
    it("reports PUID/PGID other than 2000 and a user other than 2000:2000", async () => {
        const puid = await check(
            "lab",
            changed("lab", "sonarr", (c) => {
                c.rawInputs.envs = envs(c).map((line) => (line.startsWith("PUID=") ? "PUID=1000" : line));
            }),
        );
        expect(fired(puid)).toEqual(["service-identity"]);

        const user = await check(
            "lab",
            changed("lab", "maintainerr", (c) => (c.rawInputs.user = "1000:1000")),
        );
        expect(fired(user)).toEqual(["service-identity"]);
        expect(user[0]?.message).toBe('maintainerr: runs as 1000:1000; its catalog entry says "2000:2000"');
    });

    it("reports a container outside the catalog that runs as the image's user", async () => {
        const violations = await check(
            "lab",
            changed("lab", "maintainerr", (c) => {
                c.rawInputs.name = "stray";
                delete c.rawInputs.user;
            }),
        );
        expect(fired(violations)).toEqual(["service-identity"]);
    });

    it("reports a secret-looking env var that reaches the engine as plain text", async () => {
        const violations = await check(
            "lab",
            changed("lab", "sonarr", (c) => (c.rawInputs.envs = [...envs(c), "SONARR__AUTH__APIKEY=abc"])),
        );
        expect(fired(violations)).toEqual(["secret-env-from-secrets"]);
        expect(violations[0]?.message).toMatch(/^sonarr: SONARR__AUTH__APIKEY reaches the engine as plain text/);
    });

    it("passes per-line secret markers and reports the one line sent plain", async () => {
        const perLine = (plainKey: boolean) =>
            changed("lab", "homarr", (c) => {
                c.rawInputs.envs = envs(c).map((line) =>
                    (line.startsWith("SECRET_ENCRYPTION_KEY=") && !plainKey) ||
                    line.startsWith("AUTH_OIDC_CLIENT_SECRET=")
                        ? secret(line)
                        : line,
                );
            });
        expect(await check("lab", perLine(false))).toEqual([]);
        expect(fired(await check("lab", perLine(true)))).toEqual(["secret-env-from-secrets"]);
    });

    it("reports a secret-looking variable inside a secret list that the catalog keeps in plain env", async () => {
        const violations = await check(
            "lab",
            changed("lab", "homarr", (c) => (c.rawInputs.envs = secret([...envs(c), "EXTRA_TOKEN=abc"]))),
        );
        expect(fired(violations)).toEqual(["secret-env-from-secrets"]);
        expect(violations[0]?.message).toContain("EXTRA_TOKEN is not one of its catalog secret variables");
    });

    it.each([["no"], [undefined]])("reports restart policy %s", async (restart) => {
        const violations = await check(
            "lab",
            changed("lab", "homarr", (c) => {
                if (restart === undefined) delete c.rawInputs.restart;
                else c.rawInputs.restart = restart;
            }),
        );
        expect(fired(violations)).toEqual(["restart-policy"]);
    });

    it("reports a missing healthcheck the catalog has, and a disabled image healthcheck", async () => {
        const missing = await check(
            "lab",
            changed("lab", "sonarr", (c) => delete c.rawInputs.healthcheck),
        );
        expect(fired(missing)).toEqual(["healthchecks"]);
        expect(missing[0]?.message).toBe("sonarr: has no healthcheck; its catalog entry has one (GET :8989/ping)");

        const disabled = await check(
            "lab",
            changed("lab", "maintainerr", (c) => (c.rawInputs.healthcheck = { tests: ["NONE"] })),
        );
        expect(fired(disabled)).toEqual(["healthchecks"]);
    });
});

describe("stack-level rules", () => {
    const tunnelConfig = (hostnames: string[]): RecordedInput => ({
        type: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
        name: "edge-tunnel-config",
        urn: "urn:pulumi:prod::homelab::homelab:edge:Edge$cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig::edge-tunnel-config",
        rawInputs: {
            config: {
                ingresses: [
                    ...hostnames.map((hostname) => ({ hostname, service: "https://traefik:443" })),
                    { service: "http_status:404" },
                ],
            },
        },
        provider: "urn:pulumi:prod::homelab::homelab:edge:Edge$pulumi:providers:cloudflare::edge-cloudflare::id",
        parent: "urn:pulumi:prod::homelab::homelab:edge:Edge::edge",
        protect: true,
        dependencies: [],
    });
    const external = ["audiobooks", "auth", "books", "request"].map((name) => `${name}.giohosted.com`);

    it("passes a tunnel serving exactly the catalog's external hostnames", async () => {
        expect(await check("prod", [tunnelConfig(external)])).toEqual([]);
    });

    it("reports a tunnel whose hostnames differ from the catalog's external set", async () => {
        const violations = await check("prod", [
            tunnelConfig([...external.filter((h) => !h.startsWith("auth.")), "sonarr.giohosted.com"]),
        ]);
        expect(fired(violations)).toEqual(["tunnel-ingress-matches-catalog"]);
        expect(violations.map((v) => v.message)).toEqual([
            "edge-tunnel-config: the tunnel lacks auth.giohosted.com (external in the catalog)",
            "edge-tunnel-config: the tunnel serves sonarr.giohosted.com, which the catalog does not mark external " +
                "(external: audiobooks.giohosted.com, auth.giohosted.com, books.giohosted.com, request.giohosted.com)",
        ]);
    });

    const machine = (protect: boolean): RecordedInput => ({
        type: "proxmoxve:index/vmLegacy:VmLegacy",
        name: "docker-prod-01",
        urn: "urn:pulumi:prod::homelab::homelab:hosts:Machines$proxmoxve:index/vmLegacy:VmLegacy::docker-prod-01",
        rawInputs: { nodeName: "pve", name: "docker-prod-01" },
        provider: "urn:pulumi:prod::homelab::homelab:hosts:Machines$pulumi:providers:proxmoxve::machines-proxmox::id",
        parent: "urn:pulumi:prod::homelab::homelab:hosts:Machines::machines",
        protect,
        dependencies: [],
    });

    it("reports an unprotected VM, tunnel and database where the stack protects state", async () => {
        const tunnel: RecordedInput = {
            ...tunnelConfig([]),
            type: "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
            name: "edge-tunnel",
            urn: "urn:pulumi:prod::homelab::homelab:edge:Edge$cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared::edge-tunnel",
            rawInputs: { name: "homelab" },
            protect: false,
        };
        expect(await check("prod", [machine(true), { ...tunnel, protect: true }])).toEqual([]);
        const violations = await check("prod", [machine(false), tunnel]);
        expect(violations.map((v) => [v.policy, v.message])).toEqual([
            [
                "stateful-resources-protected",
                "the machine docker-prod-01 is not protected; homelab:protectStateful is true in stack prod",
            ],
            [
                "stateful-resources-protected",
                "the tunnel edge-tunnel is not protected; homelab:protectStateful is true in stack prod",
            ],
        ]);

        const database = await check(
            "prod",
            changed("prod", "immich-postgres", (c) => (c.protect = false)),
        );
        expect(fired(database)).toEqual(["stateful-resources-protected"]);
        expect(database[0]?.message).toMatch(/^the database container immich-postgres is not protected/);
    });

    it("leaves the lab's state unprotected (destroy must work) but not prod's, whatever its config says", async () => {
        expect(await check("lab", [machine(false)])).toEqual([]);
        const prod = await check("prod", [machine(false)], { "homelab:protectStateful": "false" });
        expect(prod.map((v) => v.message)).toEqual([
            "the machine docker-prod-01 is not protected; stack prod always protects stateful resources " +
                "(set homelab:protectStateful: true)",
        ]);
    });

    it("reports a resource on a default provider or on none", async () => {
        const onDefault = {
            ...machine(true),
            provider: "urn:pulumi:prod::homelab::pulumi:providers:proxmoxve::default_8_6_0::id",
        };
        const onNone = { ...machine(true), name: "docker-prod-02", provider: "" };
        const violations = await check("prod", [onDefault, onNone]);
        expect(violations.map((v) => [v.policy, v.message])).toEqual([
            [
                "no-default-providers",
                "docker-prod-01 (proxmoxve:index/vmLegacy:VmLegacy) uses the default proxmoxve provider default_8_6_0; pass the host's provider",
            ],
            [
                "no-default-providers",
                "docker-prod-02 (proxmoxve:index/vmLegacy:VmLegacy) has no provider; pass the host's provider",
            ],
        ]);
    });
});

describe("single sign-on", () => {
    /** The stack's recorded resources (copies), with `change` applied to the resource named `name`. */
    function withResource(stack: StackName, name: string, change: (resource: RecordedInput) => void): RecordedInput[] {
        const resources = structuredClone(program(stack).resources) as RecordedInput[];
        const found = resources.find((r) => r.name === name);
        if (found === undefined) throw new Error(`no resource ${name} in ${stack}`);
        change(found);
        return resources;
    }

    it("reports an internal route whose forward-auth label is gone", async () => {
        const violations = await check(
            "lab",
            changed("lab", "sonarr", (c) => {
                c.rawInputs.labels = (c.rawInputs.labels as { label: string; value: string }[]).filter(
                    (l) => !l.label.endsWith(".middlewares"),
                );
            }),
        );
        expect(fired(violations)).toEqual(["routes-behind-sign-in"]);
        expect(violations[0]?.message).toBe(
            "sonarr: routed at Host(`sonarr.giohosted.localhost`) without forward-auth, and it does not sign in with " +
                "Authentik (sso.oidc); allowed only for calibre-web-automated (its own login, which Shelfmark reuses " +
                "(CWA_DB_PATH) and e-readers' OPDS and Kobo sync use; those clients cannot follow a forward-auth " +
                "redirect); plex (Plex apps sign in with plex.tv accounts and cannot follow a forward-auth redirect); " +
                "put it behind forward-auth, give it sso.oidc, or record the reason in catalog/policy.ts " +
                "(recordedReasons.unguardedRoutes)",
        );
    });

    it("reports a route in Traefik's file document that bypasses the middleware", async () => {
        const document = (content: string): string => {
            const parsed = JSON.parse(content) as {
                http: { routers: Record<string, { rule: string; service: string; middlewares?: string[] }> };
            };
            parsed.http.routers.sonarr = { rule: "Host(`sonarr.giohosted.com`)", service: "sonarr" };
            return JSON.stringify(parsed);
        };
        const lab = await check(
            "lab",
            withResource("lab", "traefik-routes-write", (r) => {
                r.rawInputs.content = document(String(r.rawInputs.content));
            }),
        );
        expect(fired(lab)).toEqual(["routes-behind-sign-in"]);
        expect(lab[0]?.message).toMatch(/^sonarr: routed at Host\(`sonarr.giohosted.com`\) without forward-auth/);
        const prod = await check(
            "prod",
            withResource("prod", "traefik-routes-write", (r) => {
                r.rawInputs.stdin = document(String(r.rawInputs.stdin));
            }),
        );
        expect(fired(prod)).toEqual(["routes-behind-sign-in"]);
    });

    it("lets a public route, an OIDC app and a recorded exception through", async () => {
        // Seerr is external (its own login, through the tunnel), Homarr signs in with OIDC, Plex is recorded.
        for (const name of ["seerr", "homarr", "plex"]) {
            const entry = catalog.find((candidate) => candidate.name === name);
            expect([name, entry?.route?.forwardAuth]).toEqual([name, false]);
        }
        expect(await check("prod", program("prod").resources)).toEqual([]);
        // The same routes are reported once the catalog no longer says why.
        const homarr = catalog.find((candidate) => candidate.name === "homarr");
        if (homarr === undefined) throw new Error("no homarr");
        const withoutOidc = catalog.map((entry) => (entry === homarr ? { ...homarr, sso: undefined } : entry));
        const violations = await runPolicies(
            homelabPolicies(policyContext("lab", stackSettings("lab"), withoutOidc)),
            program("lab").resources,
        );
        expect(fired(violations)).toEqual(["routes-behind-sign-in"]);
        expect(violations.map((v) => v.message.split(":")[0])).toEqual(["homarr"]);
    });
});

describe("the cluster's state where the stack protects state (the sandbox with homelab:protectStateful: true)", () => {
    const protecting = { "homelab:protectStateful": "true" };
    const sandboxPolicies = () =>
        homelabPolicies(policyContext("sandbox", stackSettings("sandbox", protecting), catalog));
    let unprotected: Program;
    let protectedRun: Program;
    beforeAll(async () => {
        unprotected = await loadProgram("sandbox");
        protectedRun = await loadProgram("sandbox", { config: protecting });
    });

    it("passes when the program protects them", async () => {
        expect(await runPolicies(sandboxPolicies(), protectedRun.resources)).toEqual([]);
    });

    it("reports every unprotected StatefulSet, claim and NFS volume, and nothing else", async () => {
        const violations = await runPolicies(sandboxPolicies(), unprotected.resources);
        expect(fired(violations)).toEqual(["stateful-resources-protected"]);
        const why = "is not protected; homelab:protectStateful is true in stack sandbox";
        expect(violations.map((v) => v.message).sort()).toEqual([
            `the PersistentVolume homelab-immich-server-nas-photos ${why}`,
            `the PersistentVolumeClaim authentik-postgresql-appdata ${why}`,
            `the PersistentVolumeClaim authentik-worker-appdata ${why}`,
            `the PersistentVolumeClaim autokuma-appdata ${why}`,
            `the PersistentVolumeClaim beszel-appdata ${why}`,
            `the PersistentVolumeClaim immich-machine-learning-appdata ${why}`,
            `the PersistentVolumeClaim immich-postgres-appdata ${why}`,
            `the PersistentVolumeClaim immich-server-nas-photos ${why}`,
            `the PersistentVolumeClaim traefik-appdata ${why}`,
            `the PersistentVolumeClaim uptime-kuma-appdata ${why}`,
            `the StatefulSet authentik-postgresql ${why}`,
            `the StatefulSet immich-postgres ${why}`,
            // The VM of the k3s node is a machine like the Docker hosts'.
            `the machine machines-vms-k3s-sandbox-01 ${why}`,
        ]);
    });

    it("reports one hand-made unprotected StatefulSet in prod", async () => {
        const statefulSet: RecordedInput = {
            type: "kubernetes:apps/v1:StatefulSet",
            name: "k3s-services-immich-postgres",
            urn: "urn:pulumi:prod::homelab::homelab:kubernetes:ClusterServices$homelab:kubernetes:KubernetesService$kubernetes:apps/v1:StatefulSet::k3s-services-immich-postgres",
            rawInputs: { metadata: { name: "immich-postgres", namespace: "homelab" } },
            provider: "urn:pulumi:prod::homelab::homelab:k3s:Cluster$pulumi:providers:kubernetes::k3s-provider::id",
            parent: "urn:pulumi:prod::homelab::homelab:kubernetes:ClusterServices$homelab:kubernetes:KubernetesService::k3s-services-immich-postgres",
            protect: false,
            dependencies: [],
        };
        expect(await check("prod", [{ ...statefulSet, protect: true }])).toEqual([]);
        expect((await check("prod", [statefulSet])).map((v) => [v.policy, v.message])).toEqual([
            [
                "stateful-resources-protected",
                "the StatefulSet immich-postgres is not protected; homelab:protectStateful is true in stack prod",
            ],
        ]);
    });
});
