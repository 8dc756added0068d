import { parse } from "yaml";
import { catalog } from "../../catalog";
import { composeDocument, composeYaml, type ComposeService } from "../../components/compose";
import { everyHost, hostNames, type HostName } from "../../topology";
import { dummySecret, loadProgram, stackSettings, type Program, type StackName } from "../helpers/program";
import { containerType, envOf, imageType, labelsOf } from "../helpers/services";
import type { RecordedResource } from "../helpers/program";

const secrets = new Proxy<Record<string, string>>({}, { get: (_, key) => dummySecret(String(key)) });

interface Port {
    internal: number;
    external: number;
    protocol: string;
    ip: string;
}

/** The compose service the program's container corresponds to, in compose terms. */
function fromProgram(program: Program, container: RecordedResource): Partial<ComposeService> {
    const inputs = container.inputs;
    const image = program.get(imageType, `${container.name}-image`).inputs.name as string;
    const volumes = (inputs.volumes ?? []) as { hostPath: string; containerPath: string; readOnly: boolean }[];
    const health = inputs.healthcheck as
        | {
              tests: string[];
              interval: string;
              timeout: string;
              retries: number;
              startPeriod: string;
              startInterval?: string;
          }
        | undefined;
    const networks = ((inputs.networksAdvanced ?? []) as { name: string }[]).map((n) => n.name);
    const devices = (inputs.devices ?? []) as { hostPath: string; containerPath: string }[];
    const capabilities = inputs.capabilities as { adds: string[] } | undefined;
    return {
        container_name: inputs.name as string,
        image,
        user: inputs.user as string | undefined,
        command: inputs.command as string[] | undefined,
        labels: labelsOf(container),
        volumes: volumes.map((v) => `${v.hostPath}:${v.containerPath}${v.readOnly ? ":ro" : ""}`),
        ports: ((inputs.ports ?? []) as Port[]).map((p) => `${p.ip}:${p.external}:${p.internal}/${p.protocol}`),
        healthcheck: health && {
            test: health.tests,
            interval: health.interval,
            timeout: health.timeout,
            retries: health.retries,
            start_period: health.startPeriod,
            ...(health.startInterval === undefined ? {} : { start_interval: health.startInterval }),
        },
        logging: { driver: inputs.logDriver as "json-file", options: inputs.logOpts as Record<string, string> },
        cap_add: capabilities?.adds,
        devices: devices.map((d) => `${d.hostPath}:${d.containerPath}`),
        shm_size: typeof inputs.shmSize === "number" ? `${inputs.shmSize}m` : undefined,
        init: inputs.init as boolean | undefined,
        network_mode: networks.length > 0 ? undefined : (inputs.networkMode as string),
        networks: networks.length > 0 ? Object.fromEntries(networks.map((n) => [n, {}])) : undefined,
    };
}

/** The compose service reduced to what the program's inputs say (the rest is compose-only syntax). */
function comparable(service: ComposeService): Partial<ComposeService> {
    return {
        container_name: service.container_name,
        image: service.image,
        user: service.user,
        command: service.command,
        labels: service.labels,
        volumes: service.volumes ?? [],
        ports: service.ports ?? [],
        healthcheck: service.healthcheck,
        logging: service.logging,
        cap_add: service.cap_add,
        devices: service.devices ?? [],
        shm_size: service.shm_size,
        init: service.init,
        network_mode: service.network_mode?.replace(/^service:/, "container:"),
        networks: service.networks && Object.fromEntries(Object.keys(service.networks).map((network) => [network, {}])),
    };
}

describe.each<StackName>(["prod", "lab"])("the compose file of the %s stack", (stack) => {
    const settings = stackSettings(stack);
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram(stack);
    });

    // One document per engine in prod (per host), one for the lab's single engine.
    const documents: [string, HostName | undefined][] =
        stack === "prod" ? hostNames.map((host) => [host, host]) : [["the lab engine", undefined]];

    test.each(documents)("%s: every container the program runs there, with the same configuration", (_, host) => {
        const document = composeDocument(catalog, settings, secrets, host);
        const containers = program
            .ofType(containerType)
            .filter((c) => host === undefined || c.provider.includes(`::hosts-${host}::`));
        expect(Object.keys(document.services).sort()).toEqual(containers.map((c) => c.inputs.name as string).sort());
        for (const container of containers) {
            const service = document.services[container.inputs.name as string] as ComposeService;
            const expected = fromProgram(program, container);
            const actual = comparable(service);
            // The program names Gluetun's namespace by container id; compose by service.
            if (actual.network_mode?.startsWith("container:")) {
                expect(expected.network_mode).toMatch(/^container:.+-id$/);
                expected.network_mode = actual.network_mode;
            }
            expect(actual).toEqual(JSON.parse(JSON.stringify(expected)));
            // Networks in the program's order: compose gives the first one the highest priority.
            expect(Object.keys(service.networks ?? {})).toEqual(Object.keys(expected.networks ?? {}));
            const env = envOf(container);
            expect(Object.keys(service.environment).sort()).toEqual(Object.keys(env).sort());
            for (const [variable, value] of Object.entries(service.environment)) {
                // Secret values come from the map the caller gives (the program's from config or the edge).
                if (!value.startsWith("dummy-secret-")) expect([variable, value]).toEqual([variable, env[variable]]);
            }
            expect(service.restart).toBe("unless-stopped");
        }
    });
});

describe("the compose generator", () => {
    const lab = stackSettings("lab");

    test("networks: the shared proxy network is external, a stack's internal network is compose's own", () => {
        const document = composeDocument(catalog, lab, secrets);
        expect(document.networks).toEqual({
            proxy: { name: "proxy", external: true },
            tunnel: { name: "tunnel", external: true },
            "auth-internal": { name: "auth-internal", driver: "bridge", internal: true },
            "photos-internal": { name: "photos-internal", driver: "bridge", internal: true },
        });
        expect(document.services["authentik-server"]?.networks).toEqual({
            proxy: { priority: 100 },
            "auth-internal": { priority: 99 },
        });
    });

    test("Gluetun's tenants join it by service in the same file, by container name from another file", () => {
        const torrent = catalog.filter((entry) => entry.stack === "torrent");
        expect(composeDocument(torrent, lab, secrets).services.qbittorrent?.network_mode).toBe("service:gluetun");
        expect(composeDocument(torrent, lab, secrets).services.qbittorrent?.depends_on).toEqual({
            gluetun: { condition: "service_started" },
        });
        const alone = torrent.filter((entry) => entry.name !== "gluetun");
        expect(composeDocument(alone, lab, secrets).services.qbittorrent?.network_mode).toBe("container:gluetun");
        expect(composeDocument(alone, lab, secrets).services.qbittorrent?.depends_on).toBeUndefined();
    });

    test("a dependency waited for as healthy is waited for only where it has a healthcheck", () => {
        const auth = composeDocument(
            catalog.filter((entry) => entry.stack === "auth"),
            lab,
            secrets,
        );
        expect(auth.services["authentik-server"]?.depends_on).toEqual({
            "authentik-postgresql": { condition: "service_healthy" },
        });
    });

    test("secrets come from the map the caller gives; a missing one is an error naming it", () => {
        const gluetun = catalog.filter((entry) => entry.name === "gluetun");
        expect(composeDocument(gluetun, lab, { vpnWireguardPrivateKey: "k" }).services.gluetun?.environment).toEqual(
            expect.objectContaining({ WIREGUARD_PRIVATE_KEY: "k" }),
        );
        expect(() => composeDocument(gluetun, lab, {})).toThrow("gluetun: secret vpnWireguardPrivateKey was not given");
    });

    test("the tunnel connector sits on the tunnel network alone, at the address Traefik trusts", () => {
        const document = composeDocument(catalog, lab, secrets);
        expect(document.services.cloudflared?.networks).toEqual({ tunnel: { ipv4_address: "198.18.0.2" } });
        expect(document.services.traefik?.networks).toEqual({ proxy: { priority: 100 }, tunnel: { priority: 99 } });
    });

    test("offline, every image is the stand-in, told its port and health path", () => {
        const offline = { ...lab, offline: { standInImage: "standin:v1", keep: [], images: { sonarr: "standin:v2" } } };
        const document = composeDocument(catalog, offline, secrets);
        // Each entry's stand-in variant that declares its image's volumes (/config: 01d0ea696869).
        expect(document.services.sonarr?.image).toBe("standin:v2-vol-01d0ea696869");
        expect(document.services.radarr?.image).toBe("standin:v1-vol-01d0ea696869");
        expect(document.services.radarr?.environment).toEqual(
            expect.objectContaining({ STANDIN_PORT: "7878", STANDIN_PATH: "/ping" }),
        );
    });

    test("every-host services run once per document", () => {
        const agents = (host?: HostName): string[] =>
            Object.keys(composeDocument(catalog, lab, secrets, host).services).filter((name) =>
                catalog.some((entry) => entry.name === name && entry.host === everyHost),
            );
        expect(agents()).toEqual(["beszel-agent"]);
        expect(agents("nas-prod-01")).toEqual(["beszel-agent"]);
    });

    test("YAML 1.1 (PyYAML, docker-compose v1) reads the document back unchanged", () => {
        const document = composeDocument(catalog, stackSettings("prod"), secrets, "docker-prod-01");
        const text = composeYaml(document);
        expect(parse(text, { version: "1.1" })).toEqual(JSON.parse(JSON.stringify(document)));
        const reread = parse(text, { version: "1.1" }) as typeof document;
        expect(reread.services.seerr?.user).toBeUndefined();
        expect(reread.services.maintainerr?.user).toBe("2000:2000");
    });

    test("a service on k3s is in no compose file: the cluster runs it", () => {
        const moved = stackSettings("prod", {
            "homelab:targets": JSON.stringify({ "uptime-kuma": "k3s", autokuma: "k3s" }),
        });
        const host = "docker-prod-01";
        const names = Object.keys(composeDocument(catalog, moved, secrets, host).services);
        expect(names).not.toContain("uptime-kuma");
        expect(names).not.toContain("autokuma");
        expect(names).toContain("beszel");
        const everywhere = Object.keys(composeDocument(catalog, moved, secrets).services);
        expect(everywhere).not.toContain("uptime-kuma");
        expect(everywhere).not.toContain("autokuma");
        expect(Object.keys(composeDocument(catalog, stackSettings("prod"), secrets, host).services)).toContain(
            "uptime-kuma",
        );
    });
});
