/**
 * The subset of the UniFi Network application's classic REST API that the gateway's port forward
 * and WireGuard server need, as plain functions over node:http(s). UniFi OS (Network 9 and later)
 * serves it below /proxy/network/api/s/<site>/rest/<collection>[/<id>] and accepts an API key in the
 * X-API-KEY header; every answer is `{ meta: { rc: "ok" | "error", msg? }, data: [...] }`.
 *
 * The field names are those of the controller's own field definitions as the go-unifi library
 * generates them: github.com/filipowm/go-unifi, unifi/port_forward.generated.go (PortForward:
 * name, enabled, fwd, fwd_port, dst_port, proto, src, pfwd_interface, log; ports are strings) and
 * unifi/network.generated.go (Network: name, purpose, vpn_type, enabled, ip_subnet, local_port,
 * wireguard_interface, wireguard_local_wan_ip, x_wireguard_private_key, wireguard_public_key), both
 * at commit 08a5a8f246daf079014f7f619357a59773c818bf; the path prefix and header from its
 * unifi/api_paths.go (apiPathNew = "/proxy/network/api", ApiKeyHeader).
 *
 * Messages never include the API key or a private key. The functions are serialised with the
 * dynamic providers (provider.ts), so they require node's modules inside.
 */

export interface Controller {
    /** The UniFi OS console, e.g. https://192.168.30.1 (homelab:unifi.controllerUrl). */
    url: string;
    /** The site's name in the Network URL (homelab:unifi.site). */
    site: string;
    apiKey: string;
    /** Accept the console's self-signed certificate (homelab:unifi.insecure). */
    insecure?: boolean;
    timeoutMs?: number;
}

export const portForwardCollection = "portforward";
export const networkCollection = "networkconf";
export type Collection = typeof portForwardCollection | typeof networkCollection;

/** A port forward as the API stores it (go-unifi PortForward). */
export interface PortForwardRecord {
    name: string;
    enabled: boolean;
    /** The LAN address the traffic goes to. */
    fwd: string;
    fwd_port: string;
    dst_port: string;
    proto: "tcp" | "udp" | "tcp_udp";
    /** Who may connect: "any" is the whole internet. */
    src: string;
    pfwd_interface: "wan" | "wan2" | "both" | "all";
    log: boolean;
}

/** The WireGuard VPN server as the API stores it: a network of purpose remote-user-vpn (go-unifi Network). */
export interface WireguardServerRecord {
    name: string;
    purpose: "remote-user-vpn";
    vpn_type: "wireguard-server";
    enabled: boolean;
    /** The server's address and prefix in the clients' network, e.g. 192.168.40.1/24. */
    ip_subnet: string;
    local_port: number;
    wireguard_interface: "wan" | "wan2";
    wireguard_local_wan_ip: string;
    x_wireguard_private_key: string;
}

export type Stored<T> = Partial<T> & { _id: string } & Record<string, unknown>;

/** An answer from UniFi Network (or its absence) that the caller should show as it is. */
export class UnifiError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UnifiError";
    }
}

// Duck-typed: node's errors may come from another realm (a test sandbox), where instanceof fails.
function reason(error: unknown): string {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (code === "ECONNREFUSED") return "connection refused";
    if (code === "ETIMEDOUT") return "no answer in time";
    if (typeof code === "string") return code;
    return typeof message === "string" ? message : String(error);
}

const where = (controller: Controller): string => `UniFi Network at ${new URL(controller.url).origin}`;

function pathOf(controller: Controller, collection: Collection, id?: string): string {
    const site = encodeURIComponent(controller.site);
    return `/proxy/network/api/s/${site}/rest/${collection}${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;
}

interface Answer {
    status: number;
    text: string;
}

function send(controller: Controller, method: string, path: string, body?: unknown): Promise<Answer> {
    /* eslint-disable @typescript-eslint/no-require-imports -- dynamic providers are serialised; imports must be inside */
    const http = require("node:http") as typeof import("node:http");
    const https = require("node:https") as typeof import("node:https");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const base = new URL(controller.url);
    const target = new URL(path, base.origin);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const timeout = controller.timeoutMs ?? 15000;
    const options: import("node:https").RequestOptions = {
        method,
        headers: {
            "X-API-KEY": controller.apiKey,
            Accept: "application/json",
            ...(payload === undefined
                ? {}
                : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }),
        },
        timeout,
        ...(target.protocol === "https:" ? { rejectUnauthorized: controller.insecure !== true } : {}),
    };
    return new Promise<Answer>((resolve, reject) => {
        const request = (target.protocol === "https:" ? https : http).request(target, options, (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (text += chunk));
            response.on("end", () => {
                resolve({ status: response.statusCode ?? 0, text });
            });
            response.on("error", reject);
        });
        request.on("timeout", () => request.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
        request.on("error", reject);
        request.end(payload);
    });
}

interface Envelope {
    meta?: { rc?: unknown; msg?: unknown; validationError?: { field?: unknown; pattern?: unknown } };
    data?: unknown;
}

function parse(text: string): Envelope {
    try {
        const value: unknown = JSON.parse(text);
        return typeof value === "object" && value !== null ? value : {};
    } catch {
        return {};
    }
}

/** What UniFi said went wrong: its message key and the field it refused, never the request body. */
function complaint(envelope: Envelope, text: string): string {
    const msg = typeof envelope.meta?.msg === "string" ? envelope.meta.msg : text.trim().slice(0, 200);
    const field = envelope.meta?.validationError?.field;
    return typeof field === "string" ? `${msg} (field ${field})` : msg;
}

async function call(controller: Controller, method: string, path: string, body?: unknown): Promise<unknown[]> {
    let answer: Answer;
    try {
        answer = await send(controller, method, path, body);
    } catch (error) {
        throw new UnifiError(
            `${where(controller)}: cannot reach it (${reason(error)}); check that it runs and that ` +
                "homelab:unifi.controllerUrl is right (and homelab:unifi.insecure for a self-signed certificate)",
        );
    }
    const envelope = parse(answer.text);
    if (answer.status === 401 || answer.status === 403) {
        throw new UnifiError(
            `${where(controller)} refused the API key (HTTP ${answer.status}); check homelab:unifiApiKey ` +
                "(UniFi Network → Settings → Control Plane → Integrations)",
        );
    }
    if (envelope.meta?.msg === "api.err.NoSiteContext") {
        throw new UnifiError(
            `${where(controller)} has no site ${JSON.stringify(controller.site)}; check homelab:unifi.site ` +
                "(the name in the Network URL, /manage/<site>/..., usually default)",
        );
    }
    if (answer.status < 200 || answer.status >= 300 || envelope.meta?.rc !== "ok") {
        throw new UnifiError(
            `${where(controller)}: ${method} ${path} answered HTTP ${answer.status}: ${complaint(envelope, answer.text)}`,
        );
    }
    if (!Array.isArray(envelope.data)) {
        throw new UnifiError(`${where(controller)}: ${method} ${path} answered without a data list`);
    }
    return envelope.data as unknown[];
}

function stored<T>(controller: Controller, path: string, items: unknown[]): Stored<T>[] {
    return items.map((item) => {
        if (typeof item !== "object" || item === null || typeof (item as { _id?: unknown })._id !== "string") {
            throw new UnifiError(`${where(controller)}: ${path} answered an item without an _id`);
        }
        return item as Stored<T>;
    });
}

export async function list<T>(controller: Controller, collection: Collection): Promise<Stored<T>[]> {
    const path = pathOf(controller, collection);
    return stored<T>(controller, path, await call(controller, "GET", path));
}

/** The item with this id, or undefined when the controller has none. */
export async function get<T>(
    controller: Controller,
    collection: Collection,
    id: string,
): Promise<Stored<T> | undefined> {
    const path = pathOf(controller, collection, id);
    return stored<T>(controller, path, await call(controller, "GET", path))[0];
}

export async function create<T>(controller: Controller, collection: Collection, record: T): Promise<Stored<T>> {
    const path = pathOf(controller, collection);
    const [made] = stored<T>(controller, path, await call(controller, "POST", path, record));
    if (made === undefined) throw new UnifiError(`${where(controller)}: POST ${path} answered no item`);
    return made;
}

export async function update<T>(
    controller: Controller,
    collection: Collection,
    id: string,
    record: T,
): Promise<Stored<T>> {
    const path = pathOf(controller, collection, id);
    const [changed] = stored<T>(controller, path, await call(controller, "PUT", path, record));
    if (changed === undefined) throw new UnifiError(`${where(controller)}: PUT ${path} answered no item`);
    return changed;
}

/** Deletes the item; one that is already gone counts as deleted. */
export async function remove(controller: Controller, collection: Collection, id: string): Promise<void> {
    if ((await get(controller, collection, id)) === undefined) return;
    await call(controller, "DELETE", pathOf(controller, collection, id));
}

/** How a rule is named in messages: `"Plex" (id 65f…)`. */
export function describe(item: { _id: string; name?: unknown }): string {
    return `${JSON.stringify(typeof item.name === "string" ? item.name : "(no name)")} (id ${item._id})`;
}
