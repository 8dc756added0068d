import { appdata, curl, data, internalRoute, onProxy } from "../builders";
import type { ServiceEntry } from "../types";

export const vpnGateway = "gluetun";
const torrentPort = 6881;

export const torrent: readonly ServiceEntry[] = [
    {
        name: vpnGateway,
        title: "Gluetun",
        stack: "torrent",
        storage: {
            declaredVolumes: [],
            statePaths: ["/gluetun"],
            source: "qdm12/gluetun Dockerfile (no VOLUME; STORAGE_FILEPATH=/gluetun/servers.json, auth config under /gluetun) @ v3.41.1",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/qdm12/gluetun", tag: "v3.41.1" },
        user: {
            kind: "exception",
            runsAs: "root",
            reason: "manages the VPN interface and firewall (NET_ADMIN); PUID/PGID only set file ownership",
        },
        mounts: [appdata("/gluetun")],
        env: (settings) => ({
            VPN_SERVICE_PROVIDER: settings.vpn.provider,
            VPN_TYPE: settings.vpn.type,
            SERVER_COUNTRIES: settings.vpn.serverCountries.join(","),
            // The kill switch blocks everything but the tunnel; the LAN stays reachable for the arr apps.
            FIREWALL_OUTBOUND_SUBNETS: settings.lanSubnet,
            PUID: String(settings.identity.uid),
            PGID: String(settings.identity.gid),
        }),
        secretEnv: (settings): Record<string, string> =>
            settings.vpn.type === "wireguard"
                ? { WIREGUARD_PRIVATE_KEY: "vpnWireguardPrivateKey" }
                : { OPENVPN_USER: "vpnOpenvpnUser", OPENVPN_PASSWORD: "vpnOpenvpnPassword" },
        health: { kind: "image", port: 9999, path: "/" },
        // On the proxy network so Traefik and the arr apps reach qBittorrent as gluetun:8080.
        networking: onProxy,
        capabilities: ["NET_ADMIN"],
        devices: [{ path: "/dev/net/tun", optional: false, reason: "the VPN tunnel interface" }],
        publish: [
            { port: torrentPort, protocol: "tcp", reason: "incoming peers for qBittorrent" },
            { port: torrentPort, protocol: "udp", reason: "incoming peers for qBittorrent" },
        ],
    },
    {
        name: "qbittorrent",
        title: "qBittorrent",
        stack: "torrent",
        storage: {
            declaredVolumes: ["/config"],
            statePaths: ["/config"],
            source: "linuxserver/docker-qbittorrent Dockerfile (VOLUME /config; HOME and XDG dirs /config), root/defaults/qBittorrent.conf @ 5.2.3_v2.0.13-ls469",
        },
        host: "docker-prod-01",
        image: { repository: "lscr.io/linuxserver/qbittorrent", tag: "5.2.3_v2.0.13-ls469" },
        port: 8080,
        route: internalRoute("qbittorrent", true),
        user: { kind: "puid" },
        mounts: [appdata("/config"), data("downloads")],
        env: { WEBUI_PORT: "8080", TORRENTING_PORT: String(torrentPort) },
        health: { kind: "none", reason: "every qBittorrent API route needs a login" },
        networking: { mode: "namespace", of: vpnGateway },
        dependsOn: [{ service: vpnGateway, healthy: false }],
    },
    {
        name: "qbitrr",
        title: "qBitrr",
        stack: "torrent",
        storage: {
            declaredVolumes: [],
            statePaths: ["/config"],
            source: "Feramance/qBitrr Dockerfile (no VOLUME, WORKDIR /config, curl installed), qBitrr/home_path.py, docker-entrypoint.sh (PUID/PGID, gosu) @ v5.14.4-1",
        },
        host: "docker-prod-01",
        image: { repository: "docker.io/feramance/qbitrr", tag: "v5.14.4-1" },
        port: 6969,
        route: internalRoute("qbitrr", true),
        user: { kind: "puid" },
        // Downloads at the identical path qBittorrent reports.
        mounts: [appdata("/config"), data("downloads")],
        // qBitrr/webui/routes/register.py serves /health without a login; the image installs curl.
        health: curl(6969, "/health"),
        networking: { mode: "namespace", of: vpnGateway },
        dependsOn: [{ service: vpnGateway, healthy: false }],
    },
];
