import { catalog } from "../../catalog";
import type { ServiceEntry } from "../../catalog/types";
import { catalogForwards, forwardTargetProblems, unifiProblems } from "../../components/edge/unifi/forwards";
import {
    dummySecret,
    isSecretValue,
    plainOccurrences,
    stackConfig,
    stackSettings,
    type AnyStack,
    type RecordedResource,
    type RecordedRun,
} from "../helpers/program";
import { load, unifiSecrets } from "./unifi-run";

const forwardType = "pulumi-nodejs:dynamic/unifi:PortForward";
const serverType = "pulumi-nodejs:dynamic/unifi:WireguardServer";

const prodUnifi = () => JSON.parse(stackConfig("prod")["homelab:unifi"] ?? "{}") as Record<string, unknown>;
const withUnifi = (change: Record<string, unknown>) => ({
    "homelab:unifi": JSON.stringify({ ...prodUnifi(), ...change }),
});

describe("the UniFi gateway in prod", () => {
    let run: RecordedRun;
    beforeAll(async () => {
        run = await load("prod");
    });
    const only = (type: string): RecordedResource => {
        const found = run.resources.filter((resource) => resource.type === type);
        expect(found).toHaveLength(1);
        return found[0] as RecordedResource;
    };

    it("forwards 32400/tcp from the internet to the NAS, and nothing else", () => {
        const forward = only(forwardType);
        expect(forward.name).toBe("edge-unifi-forward-plex");
        expect(forward.inputs).toMatchObject({
            url: "https://192.168.30.1",
            site: "default",
            insecure: true,
            apiKey: dummySecret("unifiApiKey"),
            name: "homelab-plex",
            address: "192.168.30.12",
            port: 32400,
            forwardPort: 32400,
            protocol: "tcp",
            source: "any",
            wanInterface: "wan",
            enabled: true,
            log: false,
        });
    });

    it("runs the WireGuard server on UDP 51820 for the VPN clients' subnet", () => {
        const server = only(serverType);
        expect(server.name).toBe("edge-unifi-wireguard");
        expect(server.inputs).toMatchObject({
            url: "https://192.168.30.1",
            site: "default",
            insecure: true,
            name: "homelab-wireguard",
            subnet: "192.168.40.1/24",
            port: 51820,
            wanInterface: "wan",
            enabled: true,
            apiKey: dummySecret("unifiApiKey"),
            privateKey: dummySecret("unifiWireguardPrivateKey"),
        });
    });

    it("keeps the API key and the private key secret in inputs and outputs", () => {
        const forward = only(forwardType);
        const server = only(serverType);
        expect(isSecretValue(forward.rawInputs.apiKey)).toBe(true);
        expect(isSecretValue(server.rawInputs.apiKey)).toBe(true);
        expect(isSecretValue(server.rawInputs.privateKey)).toBe(true);
        expect(forward.additionalSecretOutputs).toEqual(["apiKey"]);
        expect(server.additionalSecretOutputs).toEqual(["apiKey", "privateKey"]);
        for (const key of unifiSecrets) {
            const leaks = run.resources.flatMap((resource) =>
                plainOccurrences(resource.rawInputs, dummySecret(key)).map((where) => `${resource.name} ${where}`),
            );
            expect([key, leaks]).toEqual([key, []]);
            expect(JSON.stringify(run.outputs)).not.toContain(dummySecret(key));
        }
    });

    it("serializes code only into the providers: no secret, no setting", () => {
        for (const resource of [only(forwardType), only(serverType)]) {
            const serialized = JSON.stringify(resource.inputs.__provider);
            expect(serialized).toContain("/proxy/network/api/s/");
            expect(serialized).toContain("X-API-KEY");
            expect(serialized).not.toContain("dummy-secret");
            expect(serialized).not.toContain("192.168.30");
        }
    });

    it("puts both under one UnifiGateway component of the edge, with the edge's in-process provider", () => {
        const gateway = only("homelab:edge:UnifiGateway");
        expect(gateway.name).toBe("edge-unifi");
        expect(gateway.parent).toContain("homelab:edge:Edge::edge");
        for (const resource of [only(forwardType), only(serverType)]) {
            expect(resource.parent).toBe(gateway.urn);
            expect(resource.provider).toContain("pulumi:providers:pulumi-nodejs::edge-dynamic");
        }
    });
});

describe.each<AnyStack>(["lab", "fleet"])("the %s stack", (stack) => {
    it("has no homelab:unifi and registers nothing on a gateway", async () => {
        expect(stackConfig(stack)["homelab:unifi"]).toBeUndefined();
        const run = await load(stack);
        expect(run.resources.filter((resource) => /unifi/i.test(resource.type))).toEqual([]);
    });
});

describe("homelab:unifi errors, before any resource", () => {
    it.each([
        [
            "a controller URL without a scheme",
            { controllerUrl: "192.168.30.1" },
            'homelab:unifi.controllerUrl: "192.168.30.1" is not allowed; expected the URL of the UniFi OS console, such as https://192.168.30.1 (no path)',
        ],
        [
            "a site name with a space",
            { site: "my site" },
            'homelab:unifi.site: "my site" is not allowed; expected a UniFi site name such as "default" (the name in the Network URL, /manage/<site>/...)',
        ],
        [
            "insecure as a string",
            { insecure: "yes" },
            'homelab:unifi.insecure: "yes" is not allowed; expected true or false',
        ],
        [
            "an unknown WAN",
            { wanInterface: "wan3" },
            'homelab:unifi.wanInterface: "wan3" is not allowed; expected wan or wan2',
        ],
        [
            "a subnet without a prefix",
            { wireguard: { subnet: "192.168.40.1" } },
            'homelab:unifi.wireguard.subnet: "192.168.40.1" is not allowed; expected the VPN clients\' gateway address and prefix, such as 192.168.40.1/24',
        ],
        [
            "a port out of range",
            { wireguard: { subnet: "192.168.40.1/24", port: 70000 } },
            "homelab:unifi.wireguard.port: 70000 is not allowed; expected a UDP port from 1 to 65535, such as 51820",
        ],
        [
            "an empty server name",
            { wireguard: { subnet: "192.168.40.1/24", name: "" } },
            'homelab:unifi.wireguard.name: "" is not allowed; expected a VPN server name of 1 to 128 characters, such as homelab-wireguard',
        ],
        [
            "no wireguard block",
            { wireguard: undefined },
            "homelab:unifi.wireguard: (missing) is not allowed; expected a value is required",
        ],
        [
            "wireguard as a string",
            { wireguard: "on" },
            'homelab:unifi.wireguard: "on" is not allowed; expected { subnet, port?, name? } of the WireGuard VPN server',
        ],
        ["an unknown key", { apiKey: "abc" }, 'homelab:unifi: unknown key(s) "apiKey"; remove or rename them'],
    ])("names the key, the value and what is allowed for %s", async (_, change, message) => {
        const attempt = load("prod", withUnifi(change));
        await expect(attempt).rejects.toThrow(message);
        await expect(attempt).rejects.toMatchObject({ registered: 0 });
    });

    it("refuses homelab:unifi where homelab:edge is false (the lab never touches the real gateway)", async () => {
        const attempt = load("lab", { "homelab:unifi": stackConfig("prod")["homelab:unifi"] ?? "" });
        await expect(attempt).rejects.toThrow(
            'homelab:unifi.controllerUrl: "https://192.168.30.1" is not allowed where homelab:edge is false; ' +
                "expected no homelab:unifi (only the real homelab manages its gateway)",
        );
        await expect(attempt).rejects.toMatchObject({ registered: 0 });
    });

    it.each(unifiSecrets)("requires the secret %s", async (key) => {
        const attempt = load("prod", {}, [key]);
        await expect(attempt).rejects.toThrow(
            new RegExp(`homelab:${key}: \\(missing\\) is not allowed; expected a secret \\(used by edge \\(UniFi`),
        );
        await expect(attempt).rejects.toMatchObject({ registered: 0 });
    });
});

describe("the catalog's port forwards", () => {
    const settings = stackSettings("prod");
    const plex = catalog.find((entry) => entry.name === "plex");
    if (plex === undefined) throw new Error("no plex in the catalog");
    const services = catalog.filter((entry) => entry.enabled !== false);
    const replaced = (entry: ServiceEntry) =>
        services.map((service) => (service.name === entry.name ? entry : service));

    it("are exactly Plex's 32400/tcp to the NAS", () => {
        expect(catalogForwards(services, settings)).toEqual([
            {
                service: "plex",
                host: "nas-prod-01",
                address: "192.168.30.12",
                port: 32400,
                protocol: "tcp",
                reason: "remote streaming stays outside the tunnel: Cloudflare's terms forbid video",
            },
        ]);
        expect(unifiProblems(settings, services)).toEqual([]);
    });

    it("refuses a forward to an address that is not its service's catalog host", () => {
        const [forward] = catalogForwards(services, settings);
        if (forward === undefined) throw new Error("no forward");
        expect(forwardTargetProblems([{ ...forward, address: "192.168.30.50" }], settings)).toEqual([
            'catalog: plex.portForward: forwarding port 32400/tcp to "192.168.30.50" is not allowed; expected the ' +
                "address of plex's host nas-prod-01 (catalog hosts: 192.168.30.11 (docker-prod-01), " +
                "192.168.30.13 (auth-prod-01), 192.168.30.14 (immich-prod-01), 192.168.30.12 (nas-prod-01))",
        ]);
        expect(forwardTargetProblems([{ ...forward, address: "192.168.30.11" }], settings)).toHaveLength(1);
    });

    it("refuses a forward of a service on every host", () => {
        expect(unifiProblems(settings, replaced({ ...plex, host: "every-host" }))).toEqual([
            'catalog: plex.host: "every-host" is not allowed for a service with portForward (32400/tcp); expected one ' +
                "of docker-prod-01, auth-prod-01, immich-prod-01, nas-prod-01: the gateway forwards to one address",
        ]);
    });

    it("refuses a forward of a service moved to k3s", () => {
        expect(unifiProblems({ ...settings, targets: { plex: "k3s" } }, services)).toEqual([
            'homelab:targets.plex: "k3s" is not allowed for a service with a router port forward (32400/tcp); ' +
                "expected docker: the gateway forwards to nas-prod-01's address",
        ]);
    });

    it("refuses a forward to a host the stack does not have", () => {
        const hosts = Object.fromEntries(Object.entries(settings.hosts).filter(([name]) => name !== "nas-prod-01"));
        expect(unifiProblems({ ...settings, hosts }, services)).toEqual([
            "homelab:hosts.nas-prod-01: (missing) is not allowed where plex has a router port forward (32400/tcp); " +
                "expected the host and its address, the forward's target",
        ]);
    });

    it("refuses two forwards of one port", () => {
        const second = { ...plex, name: "plex-2" };
        expect(unifiProblems(settings, [...services, second])).toEqual([
            "catalog: plex and plex-2.portForward.port: 32400 is forwarded 2 times; allowed: one forward per port",
        ]);
    });
});
