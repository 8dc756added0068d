import { z } from "zod";

/**
 * Config for the UniFi gateway (`homelab:unifi`, the UDM-SE): where its UniFi Network application
 * answers and the WireGuard server it runs for remote LAN access. None of it is secret: the API key
 * is `homelab:unifiApiKey`, the WireGuard server's private key `homelab:unifiWireguardPrivateKey`.
 * Absent in the lab and the fleet lab, where nothing on the gateway is managed. The one port
 * forward is not configured here: it comes from the catalog (the entry with `portForward`).
 */

/** The UniFi Network site as its URL names it (`/manage/<site>/…`): `default` unless sites were added. */
const siteName = z
    .string({ error: 'a UniFi site name such as "default" (the name in the Network URL, /manage/<site>/...)' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
        error: 'a UniFi site name such as "default" (the name in the Network URL, /manage/<site>/...)',
    });

const wireguardSchema = z.strictObject(
    {
        /** The server's name in UniFi Network (Settings → VPN → VPN Server). */
        name: z
            .string({ error: "a VPN server name of 1 to 128 characters, such as homelab-wireguard" })
            .min(1, { error: "a VPN server name of 1 to 128 characters, such as homelab-wireguard" })
            .max(128, { error: "a VPN server name of 1 to 128 characters, such as homelab-wireguard" })
            .default("homelab-wireguard"),
        /** The server's address and prefix in the clients' network (UniFi's ip_subnet), e.g. 192.168.40.1/24. */
        subnet: z.cidrv4({
            error: "the VPN clients' gateway address and prefix, such as 192.168.40.1/24 (a subnet of its own, not the LAN's)",
        }),
        /** The UDP port the server listens on at the WAN address. */
        port: z
            .number({ error: "a UDP port from 1 to 65535, such as 51820" })
            .int({ error: "a UDP port from 1 to 65535, such as 51820" })
            .min(1, { error: "a UDP port from 1 to 65535, such as 51820" })
            .max(65535, { error: "a UDP port from 1 to 65535, such as 51820" })
            .default(51820),
    },
    { error: "{ subnet, port?, name? } of the WireGuard VPN server" },
);

export const wanInterfaces = ["wan", "wan2"] as const;

export const unifiSchema = z.strictObject(
    {
        /** The UniFi OS console (the UDM-SE), e.g. https://192.168.30.1; the Network API is below /proxy/network. */
        controllerUrl: z.url({
            protocol: /^https?$/,
            error: "the URL of the UniFi OS console, such as https://192.168.30.1 (no path)",
        }),
        site: siteName.default("default"),
        /** Skip TLS verification: only for the self-signed certificate UniFi OS ships with. */
        insecure: z.boolean({ error: "true or false" }).default(false),
        /** The WAN the port forward and the VPN server listen on. */
        wanInterface: z.enum(wanInterfaces, { error: wanInterfaces.join(" or ") }).default("wan"),
        wireguard: wireguardSchema,
    },
    { error: "{ controllerUrl, site, insecure?, wanInterface?, wireguard } of the UniFi gateway" },
);

export type UnifiSettings = z.infer<typeof unifiSchema>;
