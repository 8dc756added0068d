import { listenOnLoopback } from "../helpers/loopback-server";
import * as crypto from "node:crypto";
import * as http from "node:http";

/**
 * A stand-in for UniFi Network (UniFi OS, Network 9+) on 127.0.0.1 speaking the classic REST subset
 * the gateway resources use — /proxy/network/api/s/<site>/rest/{portforward,networkconf}[/<id>] —
 * with the real one's refusals: 401 without the right X-API-KEY, 400 api.err.NoSiteContext for an
 * unknown site, 400 api.err.Invalid (with the field) for a field the controller's patterns refuse,
 * 400 api.err.IdInvalid for an id that is not one, 400 for a second forward of the same WAN port
 * and a second WireGuard server on the same port, and any status on demand. A WireGuard server's
 * public key is derived from its private key (X25519), as UniFi does.
 */

export type Item = Record<string, unknown> & { _id: string };

export interface FakeUnifi {
    url: string;
    apiKey: string;
    sites: string[];
    portForwards: Item[];
    networks: Item[];
    /** Every request seen, as "METHOD /path". */
    requests: string[];
    /** Every request body as sent (to prove what never crosses the wire, and what does). */
    bodies: string[];
    /** Answer the next request on this path with this status instead of handling it. */
    failNext: Map<string, number>;
    close(): Promise<void>;
}

const ipv4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const portNumber = (value: unknown): boolean =>
    (typeof value === "string" || typeof value === "number") &&
    /^\d{1,5}$/.test(String(value)) &&
    Number(value) >= 1 &&
    Number(value) <= 65535;

/** The X25519 public key of a base64 private key, or undefined when it is not one. */
export function wireguardPublicKey(privateKey: string): string | undefined {
    const raw = Buffer.from(privateKey, "base64");
    if (raw.length !== 32 || raw.toString("base64") !== privateKey) return undefined;
    const der = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), raw]);
    const key = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    return crypto.createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
}

/** The first field the controller's patterns (go-unifi's generated PortForward) refuse. */
function portForwardInvalid(item: Record<string, unknown>): string | undefined {
    if (typeof item.name !== "string" || item.name.length < 1 || item.name.length > 128) return "name";
    if (typeof item.fwd !== "string" || !ipv4.test(item.fwd)) return "fwd";
    if (!portNumber(item.dst_port)) return "dst_port";
    if (!portNumber(item.fwd_port)) return "fwd_port";
    if (!["tcp", "udp", "tcp_udp"].includes(String(item.proto))) return "proto";
    if (item.src !== "any" && !(typeof item.src === "string" && ipv4.test(item.src))) return "src";
    if (!["wan", "wan2", "both", "all"].includes(String(item.pfwd_interface))) return "pfwd_interface";
    if (typeof item.enabled !== "boolean") return "enabled";
    return undefined;
}

/** The same for a remote-user VPN network (go-unifi's generated Network). */
function networkInvalid(item: Record<string, unknown>): string | undefined {
    if (typeof item.name !== "string" || item.name.length < 1 || item.name.length > 128) return "name";
    const purposes = ["corporate", "guest", "remote-user-vpn", "site-vpn", "vlan-only", "vpn-client", "wan"];
    if (!purposes.includes(String(item.purpose))) return "purpose";
    if (item.purpose !== "remote-user-vpn") return undefined;
    if (item.vpn_type !== "wireguard-server") return "vpn_type";
    const subnet = typeof item.ip_subnet === "string" ? item.ip_subnet.split("/") : [];
    if (subnet.length !== 2 || !ipv4.test(subnet[0] ?? "") || !/^([1-9]|[12]\d|3[0-2])$/.test(subnet[1] ?? "")) {
        return "ip_subnet";
    }
    if (typeof item.local_port !== "number" || !portNumber(item.local_port)) return "local_port";
    if (!["wan", "wan2"].includes(String(item.wireguard_interface))) return "wireguard_interface";
    if (
        typeof item.x_wireguard_private_key !== "string" ||
        wireguardPublicKey(item.x_wireguard_private_key) === undefined
    ) {
        return "x_wireguard_private_key";
    }
    return undefined;
}

const overlaps = (a: unknown, b: unknown): boolean => a === b || a === "tcp_udp" || b === "tcp_udp";

function readBody(request: http.IncomingMessage): Promise<{ text: string; value: unknown }> {
    return new Promise((resolve) => {
        let text = "";
        request.on("data", (chunk: Buffer) => (text += chunk.toString()));
        request.on("end", () => {
            try {
                resolve({ text, value: JSON.parse(text) as unknown });
            } catch {
                resolve({ text, value: undefined });
            }
        });
    });
}

let counter = 0;
/** A fresh 24-hex-digit id, as the controller's MongoDB ids are. */
export function newId(): string {
    counter += 1;
    return `65f0${Date.now().toString(16).slice(-8)}${counter.toString(16).padStart(12, "0")}`;
}

export async function startFakeUnifi(initial: { portForwards?: Item[]; networks?: Item[] } = {}): Promise<FakeUnifi> {
    const fake: Omit<FakeUnifi, "url" | "close"> = {
        apiKey: "unifi-api-key-Zx81mQ",
        sites: ["default"],
        portForwards: [...(initial.portForwards ?? [])],
        networks: [...(initial.networks ?? [])],
        requests: [],
        bodies: [],
        failNext: new Map(),
    };
    const ok = (data: unknown[]) => [200, { meta: { rc: "ok" }, data }] as const;
    const error = (msg: string, extra: Record<string, unknown> = {}) =>
        [400, { meta: { rc: "error", msg, ...extra }, data: [] }] as const;
    const invalid = (field: string) => error("api.err.Invalid", { validationError: { field, pattern: "(refused)" } });

    const conflict = (collection: string, item: Record<string, unknown>, id?: string): string | undefined => {
        if (collection === "portforward") {
            const clash = fake.portForwards.find(
                (other) =>
                    other._id !== id &&
                    String(other.dst_port) === String(item.dst_port) &&
                    overlaps(other.proto, item.proto) &&
                    overlaps(
                        other.pfwd_interface === "both" ? item.pfwd_interface : other.pfwd_interface,
                        item.pfwd_interface,
                    ),
            );
            return clash === undefined ? undefined : "api.err.PortForwardConflict";
        }
        const clash = fake.networks.find(
            (other) =>
                other._id !== id &&
                item.vpn_type === "wireguard-server" &&
                other.vpn_type === "wireguard-server" &&
                other.local_port === item.local_port,
        );
        return clash === undefined ? undefined : "api.err.VpnServerPortInUse";
    };

    const complete = (collection: string, item: Record<string, unknown>): Record<string, unknown> => {
        if (collection !== "networkconf" || typeof item.x_wireguard_private_key !== "string") return item;
        return { ...item, wireguard_public_key: wireguardPublicKey(item.x_wireguard_private_key) };
    };

    const answer = (method: string, site: string, collection: string, id: string | undefined, body: unknown) => {
        if (!fake.sites.includes(site)) return error("api.err.NoSiteContext");
        const items = collection === "portforward" ? fake.portForwards : fake.networks;
        const validate = collection === "portforward" ? portForwardInvalid : networkInvalid;
        if (id !== undefined && !/^[0-9a-f]{24}$/.test(id)) return error("api.err.IdInvalid");
        const index = id === undefined ? -1 : items.findIndex((item) => item._id === id);
        if (method === "GET") return ok(id === undefined ? items : index === -1 ? [] : [items[index]]);
        if (method === "DELETE") {
            if (id === undefined) return [404, { meta: { rc: "error", msg: "api.err.NotFound" }, data: [] }] as const;
            if (index === -1) return error("api.err.IdInvalid");
            items.splice(index, 1);
            return ok([]);
        }
        if (typeof body !== "object" || body === null || Array.isArray(body)) return error("api.err.InvalidPayload");
        const fields = body as Record<string, unknown>;
        if (method === "POST" && id === undefined) {
            const refused = validate(fields);
            if (refused !== undefined) return invalid(refused);
            const clash = conflict(collection, fields);
            if (clash !== undefined) return error(clash);
            const made = { ...complete(collection, fields), _id: newId(), site_id: "site-id-1" };
            items.push(made);
            return ok([made]);
        }
        if (method === "PUT" && id !== undefined) {
            if (index === -1) return error("api.err.IdInvalid");
            const merged = complete(collection, { ...items[index], ...fields });
            const refused = validate(merged);
            if (refused !== undefined) return invalid(refused);
            const clash = conflict(collection, merged, id);
            if (clash !== undefined) return error(clash);
            const changed = { ...merged, _id: id };
            items[index] = changed;
            return ok([changed]);
        }
        return [404, { meta: { rc: "error", msg: "api.err.NotFound" }, data: [] }] as const;
    };

    const respond = async (request: http.IncomingMessage): Promise<readonly [number, unknown]> => {
        const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
        const method = request.method ?? "?";
        fake.requests.push(`${method} ${path}`);
        const { text, value } = await readBody(request);
        if (text !== "") fake.bodies.push(text);
        if (request.headers["x-api-key"] !== fake.apiKey) {
            return [401, { error: { code: 401, message: "Unauthorized" } }];
        }
        const injected = fake.failNext.get(path);
        if (injected !== undefined) {
            fake.failNext.delete(path);
            return [injected, { meta: { rc: "error", msg: "injected failure" }, data: [] }];
        }
        const route = /^\/proxy\/network\/api\/s\/([^/]+)\/rest\/(portforward|networkconf)(?:\/([^/]+))?$/.exec(path);
        if (route === null) return [404, "Not Found"];
        const [, site = "", collection = "", id] = route;
        return answer(method, decodeURIComponent(site), collection, id, value);
    };

    const server = http.createServer((request, response) => {
        void respond(request).then(([status, body]) => {
            const isText = typeof body === "string";
            response.writeHead(status, { "Content-Type": isText ? "text/plain" : "application/json" });
            response.end(isText ? `${body}\n` : JSON.stringify(body));
        });
    });
    return Object.assign(fake, await listenOnLoopback(server));
}

/** An address on 127.0.0.1 where nothing listens: the port of a server that was just closed. */
export async function deadUnifiUrl(): Promise<string> {
    const fake = await startFakeUnifi();
    await fake.close();
    return fake.url;
}
