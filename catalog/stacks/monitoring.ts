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
        storage: {
            declaredVolumes: ["/beszel_data"],
            statePaths: ["/beszel_data"],
            source: 'henrygd/beszel internal/dockerfile_hub (VOLUME ["/beszel_data"]), internal/cmd/hub/hub.go @ v0.18.8',
        },
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
        storage: {
            declaredVolumes: ["/var/lib/beszel-agent"],
            statePaths: ["/var/lib/beszel-agent"],
            source: 'henrygd/beszel internal/dockerfile_agent (VOLUME ["/var/lib/beszel-agent"]), agent/data_dir.go @ v0.18.8',
        },
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
        storage: {
            declaredVolumes: [],
            statePaths: ["/app/data"],
            source: "louislam/uptime-kuma docker/dockerfile (VOLUME /app/data removed in 2.0.0, dc4d2a77b), server/database.js (kuma.db under /app/data) @ 2.5.3",
        },
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
        storage: {
            declaredVolumes: [],
            statePaths: ["/data"],
            source: "BigBoot/AutoKuma Dockerfile (no VOLUME), autokuma/src/config.rs and app_state.rs (data_path /data) @ v2.0.0",
        },
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
