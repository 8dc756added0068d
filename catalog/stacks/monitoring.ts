import { appdata, internalRoute, onProxy } from "../builders";
import type { ServiceEntry } from "../types";
import { everyHost, roles } from "../../topology";

const beszelVersion = "0.18.8";

/** The container that turns the generated monitor files into Uptime Kuma monitors. */
export const monitorAgent = roles.monitorAgent;
/** Where the program writes one monitor file per URL: `<appdata>/autokuma/<staticMonitorsSub>`. */
export const staticMonitorsSub = "monitors";
export const staticMonitorsTarget = "/monitors";
const uptimeKuma = "uptime-kuma";
const uptimeKumaPort = 3001;

export const monitoring: readonly ServiceEntry[] = [
    {
        name: "beszel",
        title: "Beszel hub",
        stack: "monitoring",
        host: "docker-prod-01",
        image: { repository: "docker.io/henrygd/beszel", tag: beszelVersion },
        port: 8090,
        route: internalRoute("beszel", true),
        user: { kind: "user" },
        mounts: [appdata("/beszel_data")],
        health: { kind: "command", test: ["/beszel", "health", "--url", "http://localhost:8090"] },
        networking: onProxy,
    },
    {
        name: "beszel-agent",
        title: "Beszel agent",
        stack: "monitoring",
        host: everyHost,
        image: { repository: "docker.io/henrygd/beszel-agent", tag: beszelVersion },
        port: 45876,
        user: {
            kind: "exception",
            runsAs: "root",
            reason: "reads the Docker socket and host statistics for per-container metrics",
        },
        mounts: [appdata("/var/lib/beszel-agent"), { from: "docker-socket", readOnly: true }],
        env: { LISTEN: "45876" },
        secretEnv: { KEY: "beszelHubKey" },
        health: { kind: "command", test: ["/agent", "health"] },
        // Host networking so it reports the real host interfaces.
        networking: { mode: "host" },
    },
    {
        name: uptimeKuma,
        title: "Uptime Kuma",
        stack: "monitoring",
        host: "docker-prod-01",
        image: { repository: "docker.io/louislam/uptime-kuma", tag: "2.5.3" },
        port: uptimeKumaPort,
        route: internalRoute("uptime", true),
        user: { kind: "user" },
        // SQLite: local disk, never the NAS.
        mounts: [appdata("/app/data")],
        health: { kind: "image", port: uptimeKumaPort, path: "/" },
        networking: onProxy,
    },
    {
        name: monitorAgent,
        title: "AutoKuma",
        stack: "monitoring",
        host: "docker-prod-01",
        image: { repository: "ghcr.io/bigboot/autokuma", tag: "2.0.0" },
        user: { kind: "user" },
        // Its id → monitor map, and the monitor files the program writes (no Docker socket: no discovery).
        mounts: [appdata("/data", "data"), appdata(staticMonitorsTarget, staticMonitorsSub)],
        env: {
            AUTOKUMA__KUMA__URL: `http://${uptimeKuma}:${uptimeKumaPort}`,
            AUTOKUMA__KUMA__USERNAME: "admin",
            AUTOKUMA__STATIC_MONITORS: staticMonitorsTarget,
            AUTOKUMA__DATA_PATH: "/data",
            AUTOKUMA__DOCKER__ENABLED: "false",
            // A service that leaves the catalog takes its monitor with it.
            AUTOKUMA__ON_DELETE: "delete",
        },
        secretEnv: { AUTOKUMA__KUMA__PASSWORD: "uptimeKumaPassword" },
        health: { kind: "none", reason: "AutoKuma has no health endpoint; Uptime Kuma shows its monitors" },
        networking: onProxy,
        dependsOn: [{ service: uptimeKuma, healthy: false }],
    },
];
