import { onProxy } from "../builders";
import type { ServiceEntry } from "../types";

/** The tunnel connector's metrics listener, pinned so the readiness probe knows where to ask. */
export const cloudflaredMetrics = "0.0.0.0:20241";

export const cloudflared: readonly ServiceEntry[] = [
    {
        name: "cloudflared",
        title: "Cloudflare Tunnel connector",
        stack: "cloudflared",
        storage: {
            declaredVolumes: [],
            statePaths: [],
            source: "cloudflare/cloudflared Dockerfile.amd64 @ 2026.8.2: distroless, no VOLUME; a token tunnel keeps no files",
        },
        host: "docker-prod-01",
        image: { repository: "docker.io/cloudflare/cloudflared", tag: "2026.8.2" },
        user: { kind: "user" },
        mounts: [],
        command: ["tunnel", "run"],
        env: { TUNNEL_METRICS: cloudflaredMetrics },
        // Supplied by the tunnel resource in prod, from config where the edge is off.
        secretEnv: { TUNNEL_TOKEN: "tunnelToken" },
        health: { kind: "command", test: ["cloudflared", "tunnel", "--metrics", "127.0.0.1:20241", "ready"] },
        // Only on the `tunnel` network, at its fixed address: it reaches Traefik there (`traefik`
        // resolves to Traefik's address on it) and Cloudflare through its NAT, and the address
        // Traefik trusts forwarded headers from is its alone (catalog/stacks/traefik.ts tunnelNetwork).
        networking: { mode: "bridge", proxy: false, internal: false, tunnel: "connector" },
    },
];

export const dnsSync: readonly ServiceEntry[] = [
    {
        name: "adguardhome-sync",
        title: "adguardhome-sync",
        stack: "dns-sync",
        storage: {
            declaredVolumes: [],
            statePaths: [],
            source: "bakito/adguardhome-sync Dockerfile, internal/config/*.go @ v0.9.2: FROM scratch, no VOLUME; configured by env only",
        },
        host: "docker-prod-01",
        image: { repository: "ghcr.io/bakito/adguardhome-sync", tag: "v0.9.2" },
        port: 8080,
        user: { kind: "user" },
        mounts: [],
        // Pure env configuration: `run` needs no config file.
        command: ["run"],
        env: (settings) => ({
            ORIGIN_URL: settings.adguard.originUrl,
            CRON: settings.adguard.syncCron,
            RUN_ON_START: "true",
            API_PORT: "8080",
            ...Object.fromEntries(settings.adguard.replicaUrls.map((url, i) => [`REPLICA${i + 1}_URL`, url])),
        }),
        secretEnv: (settings) => ({
            ORIGIN_USERNAME: "adguardUsername",
            ORIGIN_PASSWORD: "adguardPassword",
            ...Object.fromEntries(
                settings.adguard.replicaUrls.flatMap((_, i) => [
                    [`REPLICA${i + 1}_USERNAME`, "adguardUsername"],
                    [`REPLICA${i + 1}_PASSWORD`, "adguardPassword"],
                ]),
            ),
        }),
        health: { kind: "none", reason: "the image ships no shell or HTTP client; /healthz is on port 8080" },
        networking: onProxy,
    },
];
