import * as pulumi from "@pulumi/pulumi";
import {
    UnifiError,
    create,
    describe,
    get,
    list,
    networkCollection,
    portForwardCollection,
    update,
    remove,
    type Controller,
    type PortForwardRecord,
    type Stored,
    type WireguardServerRecord,
} from "./client";

/**
 * The gateway's port forward and WireGuard server as dynamic resources. Pulumi serializes these
 * functions into the state, so they capture nothing but the client module: the controller and its
 * API key arrive as (secret) inputs, and the secrets are kept in the outputs, secret, because
 * delete only sees those. The resource id is UniFi's own `_id`: read and import go by it.
 *
 * Create adopts what is already there instead of making a duplicate: a forward with the same name,
 * or on the same port and protocol, and a VPN server with the same name, or a WireGuard server on
 * the same port, is taken over and set to the program's values. The program then owns it (a
 * destroy deletes it).
 */

interface ControllerState {
    url: string;
    site: string;
    insecure: boolean;
    apiKey: string;
}

export interface PortForwardState extends ControllerState {
    name: string;
    /** The LAN address traffic is forwarded to (fwd). */
    address: string;
    /** The WAN port (dst_port); a string only when UniFi holds a range or list (drift). */
    port: number | string;
    /** The port on the LAN address (fwd_port). */
    forwardPort: number | string;
    protocol: PortForwardRecord["proto"];
    /** Who may connect (src): "any" is the whole internet. */
    source: string;
    wanInterface: PortForwardRecord["pfwd_interface"];
    enabled: boolean;
    log: boolean;
}

export interface WireguardState extends ControllerState {
    name: string;
    /** The server's address and prefix in the clients' network (ip_subnet). */
    subnet: string;
    /** The UDP port on the WAN (local_port). */
    port: number;
    wanInterface: WireguardServerRecord["wireguard_interface"];
    enabled: boolean;
    privateKey: string;
    /** What UniFi derives from the private key, for client configs; an output only. */
    publicKey?: string;
}

const controllerOf = (state: ControllerState): Controller => ({
    url: state.url,
    site: state.site,
    apiKey: state.apiKey,
    insecure: state.insecure,
});
const controllerKeys = ["url", "site", "insecure", "apiKey"] as const;
/** Another controller or site holds another rule: create it there, then delete it from the old one. */
const replaceKeys = ["url", "site"] as const;

function changedKeys<T extends object>(keys: readonly (keyof T & string)[], olds: T, news: T): string[] {
    return keys.filter((key) => olds[key] !== news[key]);
}

/** A port as UniFi stores it (a string): a number when it is one. */
function portOf(value: unknown, fallback: number | string): number | string {
    if (typeof value === "number") return value;
    if (typeof value !== "string") return fallback;
    return /^\d+$/.test(value) ? Number(value) : value;
}

// ---- the port forward ----

const forwardKeys = [
    ...controllerKeys,
    "name",
    "address",
    "port",
    "forwardPort",
    "protocol",
    "source",
    "wanInterface",
    "enabled",
    "log",
] as const;
const forwardRuleKeys = forwardKeys.filter((key) => !(controllerKeys as readonly string[]).includes(key));

const forwardRecord = (state: PortForwardState): PortForwardRecord => ({
    name: state.name,
    enabled: state.enabled,
    fwd: state.address,
    fwd_port: String(state.forwardPort),
    dst_port: String(state.port),
    proto: state.protocol,
    src: state.source,
    pfwd_interface: state.wanInterface,
    log: state.log,
});

const forwardStateOf = (state: PortForwardState): PortForwardState => ({
    url: state.url,
    site: state.site,
    insecure: state.insecure,
    apiKey: state.apiKey,
    name: state.name,
    address: state.address,
    port: state.port,
    forwardPort: state.forwardPort,
    protocol: state.protocol,
    source: state.source,
    wanInterface: state.wanInterface,
    enabled: state.enabled,
    log: state.log,
});

/** The state with UniFi's live values over the rule's fields, so a change made there shows as drift. */
const liveForward = (state: PortForwardState, live: Stored<PortForwardRecord>): PortForwardState => ({
    ...forwardStateOf(state),
    name: live.name ?? state.name,
    address: live.fwd ?? state.address,
    port: portOf(live.dst_port, state.port),
    forwardPort: portOf(live.fwd_port, state.forwardPort),
    protocol: live.proto ?? state.protocol,
    source: live.src ?? state.source,
    wanInterface: live.pfwd_interface ?? state.wanInterface,
    enabled: live.enabled ?? state.enabled,
    log: live.log ?? state.log,
});

const overlaps = (a: string | undefined, b: string): boolean => a === b || a === "tcp_udp" || b === "tcp_udp";

export const portForwardProvider: pulumi.dynamic.ResourceProvider<PortForwardState, PortForwardState> = {
    async create(inputs) {
        const controller = controllerOf(inputs);
        const existing = (await list<PortForwardRecord>(controller, portForwardCollection)).filter(
            (rule) =>
                rule.name === inputs.name ||
                (rule.dst_port === String(inputs.port) && overlaps(rule.proto, inputs.protocol)),
        );
        if (existing.length > 1) {
            throw new UnifiError(
                `UniFi already has port forwards ${existing.map(describe).join(" and ")} for ${inputs.name} ` +
                    `(port ${inputs.port}); delete all but one there (Settings → Routing → Port Forwarding), then run pulumi up again`,
            );
        }
        const adopted = existing[0];
        // Throws before anything exists when UniFi refuses: the engine then records no resource.
        const rule =
            adopted === undefined
                ? await create(controller, portForwardCollection, forwardRecord(inputs))
                : await update(controller, portForwardCollection, adopted._id, forwardRecord(inputs));
        return { id: rule._id, outs: forwardStateOf(inputs) };
    },

    async read(id, props) {
        if (props === undefined) {
            throw new Error("unifi port forward: import needs the resource's inputs; import it through the program");
        }
        const live = await get<PortForwardRecord>(controllerOf(props), portForwardCollection, id);
        // A blank id tells the engine the rule is gone.
        return live === undefined ? { id: "" } : { id, props: liveForward(props, live) };
    },

    diff(_id, olds, news) {
        const changed = changedKeys<PortForwardState>(forwardKeys, olds, news);
        return Promise.resolve({
            changes: changed.length > 0,
            replaces: replaceKeys.filter((key) => changed.includes(key)),
        });
    },

    async update(id, olds, news) {
        const controller = controllerOf(news);
        // Proves the (maybe new) API key and that the rule is still there before anything changes.
        const live = await get<PortForwardRecord>(controller, portForwardCollection, id);
        if (live === undefined) {
            throw new UnifiError(
                `UniFi no longer has the port forward ${describe({ _id: id, name: olds.name })} ` +
                    "(deleted outside this program); run pulumi refresh, then pulumi up",
            );
        }
        if (changedKeys<PortForwardState>(forwardRuleKeys, olds, news).length > 0) {
            await update(controller, portForwardCollection, id, forwardRecord(news));
        }
        return { outs: forwardStateOf(news) };
    },

    async delete(id, props) {
        await remove(controllerOf(props), portForwardCollection, id);
    },
};

// ---- the WireGuard server ----

/** What the state holds when UniFi has another private key than the program: never the key itself. */
export const keyChangedOutside = "(changed outside this program)";

const serverKeys = [...controllerKeys, "name", "subnet", "port", "wanInterface", "enabled", "privateKey"] as const;
const serverRuleKeys = serverKeys.filter((key) => !(controllerKeys as readonly string[]).includes(key));

const serverRecord = (state: WireguardState): WireguardServerRecord => ({
    name: state.name,
    purpose: "remote-user-vpn",
    vpn_type: "wireguard-server",
    enabled: state.enabled,
    ip_subnet: state.subnet,
    local_port: state.port,
    wireguard_interface: state.wanInterface,
    wireguard_local_wan_ip: "any",
    x_wireguard_private_key: state.privateKey,
});

const serverStateOf = (state: WireguardState, publicKey?: unknown): WireguardState => ({
    url: state.url,
    site: state.site,
    insecure: state.insecure,
    apiKey: state.apiKey,
    name: state.name,
    subnet: state.subnet,
    port: state.port,
    wanInterface: state.wanInterface,
    enabled: state.enabled,
    privateKey: state.privateKey,
    ...(typeof publicKey === "string"
        ? { publicKey }
        : state.publicKey === undefined
          ? {}
          : { publicKey: state.publicKey }),
});

const isWireguardServer = (network: Stored<WireguardServerRecord>): boolean =>
    network.purpose === "remote-user-vpn" && network.vpn_type === "wireguard-server";

const liveServer = (state: WireguardState, live: Stored<WireguardServerRecord>): WireguardState => {
    const liveKey = live.x_wireguard_private_key;
    return {
        ...serverStateOf(state, live.wireguard_public_key),
        name: live.name ?? state.name,
        subnet: live.ip_subnet ?? state.subnet,
        port: typeof live.local_port === "number" ? live.local_port : state.port,
        wanInterface: live.wireguard_interface ?? state.wanInterface,
        enabled: live.enabled ?? state.enabled,
        // UniFi may leave the key out of its answer: then it counts as unchanged.
        privateKey: typeof liveKey === "string" && liveKey !== state.privateKey ? keyChangedOutside : state.privateKey,
    };
};

export const wireguardServerProvider: pulumi.dynamic.ResourceProvider<WireguardState, WireguardState> = {
    async create(inputs) {
        const controller = controllerOf(inputs);
        const networks = await list<WireguardServerRecord>(controller, networkCollection);
        const existing = networks.filter(
            (network) =>
                network.name === inputs.name || (isWireguardServer(network) && network.local_port === inputs.port),
        );
        if (existing.length > 1) {
            throw new UnifiError(
                `UniFi already has networks ${existing.map(describe).join(" and ")} for the WireGuard server ` +
                    `${inputs.name} (port ${inputs.port}); delete all but one there (Settings → VPN → VPN Server), then run pulumi up again`,
            );
        }
        const adopted = existing[0];
        if (adopted !== undefined && !isWireguardServer(adopted)) {
            throw new UnifiError(
                `UniFi already has the network ${describe(adopted)} (purpose ${String(adopted.purpose)}), which is not a ` +
                    "WireGuard server; rename it there or set homelab:unifi.wireguard.name to another name",
            );
        }
        const liveKey = adopted?.x_wireguard_private_key;
        if (adopted !== undefined && typeof liveKey === "string" && liveKey !== inputs.privateKey) {
            // Taking it over would give it a new key and cut off every client configured today.
            throw new UnifiError(
                `UniFi already has the WireGuard server ${describe(adopted)} with another private key; set ` +
                    "homelab:unifiWireguardPrivateKey to the key it has (its clients keep working) and run pulumi up again",
            );
        }
        const server =
            adopted === undefined
                ? await create(controller, networkCollection, serverRecord(inputs))
                : await update(controller, networkCollection, adopted._id, serverRecord(inputs));
        return { id: server._id, outs: serverStateOf(inputs, server.wireguard_public_key) };
    },

    async read(id, props) {
        if (props === undefined) {
            throw new Error(
                "unifi WireGuard server: import needs the resource's inputs; import it through the program",
            );
        }
        const live = await get<WireguardServerRecord>(controllerOf(props), networkCollection, id);
        return live === undefined ? { id: "" } : { id, props: liveServer(props, live) };
    },

    diff(_id, olds, news) {
        const changed = changedKeys<WireguardState>(serverKeys, olds, news);
        return Promise.resolve({
            changes: changed.length > 0,
            replaces: replaceKeys.filter((key) => changed.includes(key)),
        });
    },

    async update(id, olds, news) {
        const controller = controllerOf(news);
        const live = await get<WireguardServerRecord>(controller, networkCollection, id);
        if (live === undefined) {
            throw new UnifiError(
                `UniFi no longer has the WireGuard server ${describe({ _id: id, name: olds.name })} ` +
                    "(deleted outside this program); run pulumi refresh, then pulumi up",
            );
        }
        const changed = changedKeys<WireguardState>(serverRuleKeys, olds, news).length > 0;
        const server = changed ? await update(controller, networkCollection, id, serverRecord(news)) : live;
        return { outs: serverStateOf(news, server.wireguard_public_key) };
    },

    async delete(id, props) {
        await remove(controllerOf(props), networkCollection, id);
    },
};

// ---- the resources ----

export interface UnifiControllerArgs {
    /** The UniFi OS console (homelab:unifi.controllerUrl). */
    url: pulumi.Input<string>;
    site: pulumi.Input<string>;
    insecure: pulumi.Input<boolean>;
    apiKey: pulumi.Input<string>;
}

export interface UnifiPortForwardArgs extends UnifiControllerArgs {
    name: pulumi.Input<string>;
    address: pulumi.Input<string>;
    port: pulumi.Input<number>;
    forwardPort: pulumi.Input<number>;
    protocol: pulumi.Input<PortForwardRecord["proto"]>;
    source: pulumi.Input<string>;
    wanInterface: pulumi.Input<PortForwardRecord["pfwd_interface"]>;
    enabled: pulumi.Input<boolean>;
    log: pulumi.Input<boolean>;
}

/** One port forward on the UniFi gateway. */
export class UnifiPortForward extends pulumi.dynamic.Resource {
    constructor(name: string, args: UnifiPortForwardArgs, opts: pulumi.CustomResourceOptions) {
        super(
            portForwardProvider,
            name,
            { ...args, apiKey: pulumi.secret(args.apiKey) },
            { ...opts, additionalSecretOutputs: ["apiKey"] },
            "unifi",
            "PortForward",
        );
    }
}

export interface UnifiWireguardServerArgs extends UnifiControllerArgs {
    name: pulumi.Input<string>;
    subnet: pulumi.Input<string>;
    port: pulumi.Input<number>;
    wanInterface: pulumi.Input<WireguardServerRecord["wireguard_interface"]>;
    enabled: pulumi.Input<boolean>;
    privateKey: pulumi.Input<string>;
}

/** The WireGuard VPN server on the UniFi gateway (a network of purpose remote-user-vpn). */
export class UnifiWireguardServer extends pulumi.dynamic.Resource {
    /** The server's public key, for client configs (not secret). */
    declare public readonly publicKey: pulumi.Output<string | undefined>;

    constructor(name: string, args: UnifiWireguardServerArgs, opts: pulumi.CustomResourceOptions) {
        super(
            wireguardServerProvider,
            name,
            {
                ...args,
                apiKey: pulumi.secret(args.apiKey),
                privateKey: pulumi.secret(args.privateKey),
                publicKey: undefined,
            },
            { ...opts, additionalSecretOutputs: ["apiKey", "privateKey"] },
            "unifi",
            "WireguardServer",
        );
    }
}
