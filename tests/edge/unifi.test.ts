import { list, portForwardCollection, type Controller } from "../../components/edge/unifi/client";
import {
    keyChangedOutside,
    portForwardProvider,
    wireguardServerProvider,
    type PortForwardState,
    type WireguardState,
} from "../../components/edge/unifi/provider";
import { deadUnifiUrl, newId, startFakeUnifi, type FakeUnifi, type Item } from "./unifi-server";

// Throwaway X25519 pairs made for this test (node:crypto generateKeyPairSync("x25519")).
const privateKey = "kJcvU3Zz5ehPWfy7CwZuvcGTggev3lAqy/R0GSxfmXg=";
const publicKey = "Tr+mdmtbF9orZ25xJS6gIwiV4wRVGEHd3lTmDoxlyWE=";
const otherPrivateKey = "MDQTMlpz3O4L4UNNhL0U/n5GZ5Xeg9IjDUy4uqzrT3c=";

let server: FakeUnifi;
beforeEach(async () => {
    server = await startFakeUnifi();
});
afterEach(() => server.close());

const controller = (overrides: Partial<Controller> = {}): Controller => ({
    url: server.url,
    site: "default",
    apiKey: server.apiKey,
    ...overrides,
});

const forward = (overrides: Partial<PortForwardState> = {}): PortForwardState => ({
    url: server.url,
    site: "default",
    insecure: false,
    apiKey: server.apiKey,
    name: "homelab-plex",
    address: "192.168.30.12",
    port: 32400,
    forwardPort: 32400,
    protocol: "tcp",
    source: "any",
    wanInterface: "wan",
    enabled: true,
    log: false,
    ...overrides,
});

const wireguard = (overrides: Partial<WireguardState> = {}): WireguardState => ({
    url: server.url,
    site: "default",
    insecure: false,
    apiKey: server.apiKey,
    name: "homelab-wireguard",
    subnet: "192.168.40.1/24",
    port: 51820,
    wanInterface: "wan",
    enabled: true,
    privateKey,
    ...overrides,
});

/** An item as the fake stores it, without the ids UniFi adds. */
const withoutIds = (item: Item): Record<string, unknown> =>
    Object.fromEntries(Object.entries(item).filter(([key]) => key !== "_id" && key !== "site_id"));
/** The forwards as the fake stores them, without ids. */
const forwards = () => server.portForwards.map(withoutIds);
const plexRule = {
    name: "homelab-plex",
    enabled: true,
    fwd: "192.168.30.12",
    fwd_port: "32400",
    dst_port: "32400",
    proto: "tcp",
    src: "any",
    pfwd_interface: "wan",
    log: false,
};
const existing = (fields: Record<string, unknown>): Item => ({ ...plexRule, ...fields, _id: newId() });

function fail(): never {
    throw new Error("not implemented");
}
/** The provider's functions are optional in its type; these are all implemented. */
const forwarder = {
    create: portForwardProvider.create.bind(portForwardProvider),
    read: (portForwardProvider.read ?? fail).bind(portForwardProvider),
    diff: (portForwardProvider.diff ?? fail).bind(portForwardProvider),
    update: (portForwardProvider.update ?? fail).bind(portForwardProvider),
    delete: (portForwardProvider.delete ?? fail).bind(portForwardProvider),
};
const vpn = {
    create: wireguardServerProvider.create.bind(wireguardServerProvider),
    read: (wireguardServerProvider.read ?? fail).bind(wireguardServerProvider),
    diff: (wireguardServerProvider.diff ?? fail).bind(wireguardServerProvider),
    update: (wireguardServerProvider.update ?? fail).bind(wireguardServerProvider),
    delete: (wireguardServerProvider.delete ?? fail).bind(wireguardServerProvider),
};

describe("UniFi Network client", () => {
    it("calls /proxy/network/api/s/<site>/rest/portforward with the X-API-KEY header", async () => {
        server.portForwards.push(existing({}));
        await expect(list(controller(), portForwardCollection)).resolves.toEqual([
            expect.objectContaining({ dst_port: "32400", fwd: "192.168.30.12" }),
        ]);
        expect(server.requests).toEqual(["GET /proxy/network/api/s/default/rest/portforward"]);
    });

    it.each([
        ["a wrong key", "not-the-key-81"],
        ["no key", ""],
    ])("reports %s as refused (HTTP 401) without echoing it", async (_, apiKey) => {
        const attempt = list(controller({ apiKey }), portForwardCollection);
        await expect(attempt).rejects.toThrow(
            /UniFi Network at http:\/\/127\.0\.0\.1:\d+ refused the API key \(HTTP 401\); check homelab:unifiApiKey/,
        );
        await attempt.catch((error: unknown) => {
            if (apiKey !== "") expect(String(error)).not.toContain(apiKey);
        });
    });

    it("names an unknown site and the key to fix", async () => {
        await expect(list(controller({ site: "homelab" }), portForwardCollection)).rejects.toThrow(
            'has no site "homelab"; check homelab:unifi.site (the name in the Network URL, /manage/<site>/..., usually default)',
        );
    });

    it("reports a controller that is down as connection refused", async () => {
        await expect(list(controller({ url: await deadUnifiUrl() }), portForwardCollection)).rejects.toThrow(
            /UniFi Network at http:\/\/127\.0\.0\.1:\d+: cannot reach it \(connection refused\); check .*homelab:unifi\.controllerUrl/,
        );
    });

    it("shows any other error answer with its status and UniFi's message", async () => {
        server.failNext.set("/proxy/network/api/s/default/rest/portforward", 500);
        await expect(list(controller(), portForwardCollection)).rejects.toThrow(
            "GET /proxy/network/api/s/default/rest/portforward answered HTTP 500: injected failure",
        );
    });
});

describe("UniFi port forward provider", () => {
    it("create adds the rule with UniFi's field names and returns UniFi's id", async () => {
        const result = await forwarder.create(forward());
        expect(result.id).toMatch(/^[0-9a-f]{24}$/);
        expect(result.id).toBe(server.portForwards[0]?._id);
        expect(result.outs).toEqual(forward());
        expect(forwards()).toEqual([plexRule]);
        expect(server.requests).toEqual([
            "GET /proxy/network/api/s/default/rest/portforward",
            "POST /proxy/network/api/s/default/rest/portforward",
        ]);
    });

    it.each([
        ["a wrong API key", () => forward({ apiKey: "nope" }), /refused the API key \(HTTP 401\)/],
        ["an unknown site", () => forward({ site: "lab" }), /has no site "lab"/],
        ["an invalid target", () => forward({ address: "nas-prod-01" }), /HTTP 400: api\.err\.Invalid \(field fwd\)/],
        ["an invalid port", () => forward({ port: 70000 }), /HTTP 400: api\.err\.Invalid \(field dst_port\)/],
        [
            "a failing controller",
            () => (server.failNext.set("/proxy/network/api/s/default/rest/portforward", 502), forward()),
            /HTTP 502/,
        ],
    ] as const)("a create refused for %s throws and leaves no rule", async (_, inputs, message) => {
        await expect(forwarder.create(inputs())).rejects.toThrow(message);
        expect(server.portForwards).toEqual([]);
    });

    it("UniFi itself refuses a second forward of the same WAN port", async () => {
        await forwarder.create(forward());
        // Another name on the same port would be adopted; the refusal shows on update (below) and here directly.
        const { create } = await import("../../components/edge/unifi/client");
        await expect(
            create(controller(), portForwardCollection, { ...plexRule, name: "other", proto: "tcp_udp" }),
        ).rejects.toThrow(/HTTP 400: api\.err\.PortForwardConflict/);
        expect(forwards()).toEqual([plexRule]);
    });

    it("adopts a hand-made forward on the same port instead of adding a duplicate", async () => {
        const handMade = existing({ name: "Plex", fwd: "192.168.30.99", log: true });
        server.portForwards.push(handMade, existing({ name: "ssh", dst_port: "22", fwd_port: "22" }));
        const result = await forwarder.create(forward());
        expect(result.id).toBe(handMade._id);
        expect(forwards()).toEqual([plexRule, { ...plexRule, name: "ssh", dst_port: "22", fwd_port: "22" }]);
        expect(server.requests.filter((request) => request.startsWith("POST"))).toEqual([]);
    });

    it("refuses to pick between two existing rules that both look like it", async () => {
        server.portForwards.push(existing({ name: "homelab-plex", dst_port: "8443" }), existing({ name: "Plex" }));
        await expect(forwarder.create(forward())).rejects.toThrow(
            /UniFi already has port forwards "homelab-plex" \(id [0-9a-f]{24}\) and "Plex" \(id [0-9a-f]{24}\) for homelab-plex \(port 32400\); delete all but one there/,
        );
        expect(server.requests.filter((request) => !request.startsWith("GET"))).toEqual([]);
    });

    it("diff: nothing, an in-place change, or a replacement when the controller or site changes", async () => {
        await expect(forwarder.diff("id", forward(), forward())).resolves.toEqual({ changes: false, replaces: [] });
        await expect(forwarder.diff("id", forward(), forward({ port: 32401 }))).resolves.toEqual({
            changes: true,
            replaces: [],
        });
        await expect(forwarder.diff("id", forward(), forward({ apiKey: "rotated" }))).resolves.toEqual({
            changes: true,
            replaces: [],
        });
        await expect(forwarder.diff("id", forward(), forward({ site: "other" }))).resolves.toEqual({
            changes: true,
            replaces: ["site"],
        });
        await expect(forwarder.diff("id", forward(), forward({ url: "https://192.168.30.1" }))).resolves.toEqual({
            changes: true,
            replaces: ["url"],
        });
    });

    it("update changes the port and the target in place, keeping UniFi's id", async () => {
        const { id } = await forwarder.create(forward());
        const news = forward({ port: 32401, forwardPort: 32401, address: "192.168.30.11" });
        await expect(forwarder.update(id, forward(), news)).resolves.toEqual({ outs: news });
        expect(server.portForwards.map((rule) => rule._id)).toEqual([id]);
        expect(forwards()).toEqual([{ ...plexRule, fwd: "192.168.30.11", dst_port: "32401", fwd_port: "32401" }]);
        expect(server.requests.at(-1)).toBe(`PUT /proxy/network/api/s/default/rest/portforward/${id}`);
    });

    it("an update onto a port another rule forwards is refused by UniFi and changes nothing", async () => {
        const { id } = await forwarder.create(forward());
        server.portForwards.push(existing({ name: "ssh", dst_port: "22", fwd_port: "22" }));
        await expect(forwarder.update(id, forward(), forward({ port: 22 }))).rejects.toThrow(
            /HTTP 400: api\.err\.PortForwardConflict/,
        );
        expect(forwards()[0]).toEqual(plexRule);
    });

    it("an update whose rule was deleted by hand says so", async () => {
        const gone = newId();
        await expect(forwarder.update(gone, forward(), forward({ port: 32401 }))).rejects.toThrow(
            `UniFi no longer has the port forward "homelab-plex" (id ${gone}) (deleted outside this program); run pulumi refresh`,
        );
    });

    it("an update of the API key only checks it and writes nothing", async () => {
        const { id } = await forwarder.create(forward());
        const writes = () => server.requests.filter((request) => !request.startsWith("GET"));
        const before = writes().length;
        await expect(forwarder.update(id, forward({ apiKey: "old" }), forward())).resolves.toEqual({ outs: forward() });
        await expect(forwarder.update(id, forward(), forward({ apiKey: "bad" }))).rejects.toThrow(/refused/);
        expect(writes()).toHaveLength(before);
    });

    it("read by id returns the rule, its drift, or a blank id when it is gone", async () => {
        const { id } = await forwarder.create(forward());
        await expect(forwarder.read(id, forward())).resolves.toEqual({ id, props: forward() });
        const stored = server.portForwards[0];
        if (stored === undefined) throw new Error("no rule");
        Object.assign(stored, { fwd: "192.168.30.99", dst_port: "32400-32410", enabled: false });
        await expect(forwarder.read(id, forward())).resolves.toEqual({
            id,
            props: forward({ address: "192.168.30.99", port: "32400-32410", enabled: false }),
        });
        server.portForwards.length = 0;
        await expect(forwarder.read(id, forward())).resolves.toEqual({ id: "" });
    });

    it("imports an existing rule by its id (read with the program's inputs)", async () => {
        const handMade = existing({ name: "Plex", log: true });
        server.portForwards.push(handMade);
        await expect(forwarder.read(handMade._id, forward())).resolves.toEqual({
            id: handMade._id,
            props: forward({ name: "Plex", log: true }),
        });
        expect(server.requests).toEqual([`GET /proxy/network/api/s/default/rest/portforward/${handMade._id}`]);
    });

    it("delete removes the rule, and one already gone counts as deleted", async () => {
        const { id } = await forwarder.create(forward());
        await forwarder.delete(id, forward());
        expect(server.portForwards).toEqual([]);
        await expect(forwarder.delete(id, forward())).resolves.toBeUndefined();
    });

    it("a refused delete throws and leaves the rule", async () => {
        const { id } = await forwarder.create(forward());
        await expect(forwarder.delete(id, forward({ apiKey: "nope" }))).rejects.toThrow(/refused the API key/);
        expect(forwards()).toEqual([plexRule]);
    });

    it("never sends the API key in a body", async () => {
        const { id } = await forwarder.create(forward());
        await forwarder.update(id, forward(), forward({ port: 32401 }));
        expect(server.bodies.length).toBeGreaterThan(0);
        expect(server.bodies.join("\n")).not.toContain(server.apiKey);
    });
});

describe("UniFi WireGuard server provider", () => {
    const serverFields = {
        name: "homelab-wireguard",
        purpose: "remote-user-vpn",
        vpn_type: "wireguard-server",
        enabled: true,
        ip_subnet: "192.168.40.1/24",
        local_port: 51820,
        wireguard_interface: "wan",
        wireguard_local_wan_ip: "any",
        x_wireguard_private_key: privateKey,
    };
    const networks = () => server.networks.map(withoutIds);

    it("create makes a remote-user-vpn network and outputs UniFi's public key", async () => {
        const result = await vpn.create(wireguard());
        expect(result.id).toBe(server.networks[0]?._id);
        expect(result.outs).toEqual(wireguard({ publicKey }));
        expect(networks()).toEqual([{ ...serverFields, wireguard_public_key: publicKey }]);
        expect(server.requests.at(-1)).toBe("POST /proxy/network/api/s/default/rest/networkconf");
    });

    it.each([
        ["a private key that is not one", () => wireguard({ privateKey: "not-a-key" }), "x_wireguard_private_key"],
        ["a bad subnet", () => wireguard({ subnet: "192.168.40.0" }), "ip_subnet"],
        ["a bad port", () => wireguard({ port: 0 }), "local_port"],
    ] as const)("UniFi refuses %s (HTTP 400, the field named) and nothing is made", async (_, inputs, field) => {
        const attempt = vpn.create(inputs());
        await expect(attempt).rejects.toThrow(`HTTP 400: api.err.Invalid (field ${field})`);
        await attempt.catch((error: unknown) => {
            expect(String(error)).not.toContain("not-a-key");
        });
        expect(server.networks).toEqual([]);
    });

    it("adopts an existing WireGuard server on the same port that has the same key", async () => {
        const handMade = { ...serverFields, name: "WireGuard", ip_subnet: "192.168.2.1/24", _id: newId() };
        server.networks.push(handMade);
        const result = await vpn.create(wireguard());
        expect(result.id).toBe(handMade._id);
        expect(networks()).toEqual([{ ...serverFields, wireguard_public_key: publicKey }]);
    });

    it("refuses to take over a server with another private key, and never shows either key", async () => {
        server.networks.push({
            ...serverFields,
            name: "WireGuard",
            x_wireguard_private_key: otherPrivateKey,
            _id: newId(),
        });
        const attempt = vpn.create(wireguard());
        await expect(attempt).rejects.toThrow(
            /already has the WireGuard server "WireGuard" \(id [0-9a-f]{24}\) with another private key; set homelab:unifiWireguardPrivateKey/,
        );
        await attempt.catch((error: unknown) => {
            expect(String(error)).not.toContain(privateKey);
            expect(String(error)).not.toContain(otherPrivateKey);
        });
        expect(server.requests.filter((request) => !request.startsWith("GET"))).toEqual([]);
    });

    it("refuses a network of the same name that is not a WireGuard server", async () => {
        server.networks.push({
            _id: newId(),
            name: "homelab-wireguard",
            purpose: "corporate",
            ip_subnet: "10.0.0.1/24",
        });
        await expect(vpn.create(wireguard())).rejects.toThrow(
            /the network "homelab-wireguard" \(id [0-9a-f]{24}\) \(purpose corporate\), which is not a WireGuard server/,
        );
    });

    it("update changes the port and subnet in place; a second server on a taken port is refused", async () => {
        const { id } = await vpn.create(wireguard());
        const news = wireguard({ port: 51821, subnet: "192.168.41.1/24" });
        await expect(vpn.update(id, wireguard(), news)).resolves.toEqual({ outs: wireguard({ ...news, publicKey }) });
        expect(networks()).toEqual([
            { ...serverFields, local_port: 51821, ip_subnet: "192.168.41.1/24", wireguard_public_key: publicKey },
        ]);
        const { create } = await import("../../components/edge/unifi/client");
        await expect(
            create(controller(), "networkconf", { ...serverFields, name: "second", local_port: 51821 }),
        ).rejects.toThrow(/HTTP 400: api\.err\.VpnServerPortInUse/);
    });

    it("read shows drift, a key changed outside as a marker (never the key), and a blank id when gone", async () => {
        const { id } = await vpn.create(wireguard());
        await expect(vpn.read(id, wireguard())).resolves.toEqual({ id, props: wireguard({ publicKey }) });
        const stored = server.networks[0];
        if (stored === undefined) throw new Error("no server");
        Object.assign(stored, { local_port: 51999, x_wireguard_private_key: otherPrivateKey });
        const drifted = await vpn.read(id, wireguard());
        expect(drifted).toEqual({ id, props: wireguard({ port: 51999, privateKey: keyChangedOutside, publicKey }) });
        expect(JSON.stringify(drifted)).not.toContain(otherPrivateKey);
        // The next update puts the program's key back.
        const props = drifted.props;
        if (props === undefined) throw new Error("no props");
        await vpn.update(id, props, wireguard());
        expect(server.networks[0]?.x_wireguard_private_key).toBe(privateKey);
        expect(server.networks[0]?.local_port).toBe(51820);
        server.networks.length = 0;
        await expect(vpn.read(id, wireguard())).resolves.toEqual({ id: "" });
    });

    it("imports an existing server by its id", async () => {
        const handMade = { ...serverFields, name: "WireGuard", _id: newId(), wireguard_public_key: publicKey };
        server.networks.push(handMade);
        await expect(vpn.read(handMade._id, wireguard())).resolves.toEqual({
            id: handMade._id,
            props: wireguard({ name: "WireGuard", publicKey }),
        });
    });

    it("delete removes the server, and one already gone counts as deleted", async () => {
        const { id } = await vpn.create(wireguard());
        await vpn.delete(id, wireguard());
        expect(server.networks).toEqual([]);
        await expect(vpn.delete(id, wireguard())).resolves.toBeUndefined();
    });
});
