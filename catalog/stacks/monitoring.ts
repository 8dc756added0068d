import { appdata, internalRoute, onProxy } from "../builders";
import { everyHost, type ServiceEntry } from "../types";

const beszelVersion = "0.18.8";

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
];
