import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../../helpers/program";

const apiserverScript = path.join(repoRoot, "offline-toolchain/kubernetes/apiserver.sh");
const buildScript = path.join(repoRoot, "offline-toolchain/kubernetes/build.sh");
const components = ["kine", "kube-apiserver", "kube-controller-manager"] as const;

/** One object as the API server returns it (the parts the test reads). */
export interface KubeObject {
    kind: string;
    metadata: {
        name: string;
        namespace?: string;
        labels?: Record<string, string>;
        generation?: number;
        deletionTimestamp?: string;
    };
    spec?: { template?: { spec?: { containers?: { name: string; image: string }[] } }; routes?: { match: string }[] };
    status?: { conditions?: { type: string; status: string }[]; phase?: string };
}

interface KubeList {
    items: KubeObject[];
}

/**
 * The directory with kube-apiserver, kube-controller-manager and kine: HOMELAB_K8S_BIN (what
 * engine/env.sh exports), else build.sh's (cached: instant once built).
 */
export function kubernetesBin(): string {
    const fromEnv = process.env.HOMELAB_K8S_BIN;
    if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
    const printed = execFileSync("bash", [buildScript], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    return printed.trim().split("\n").pop() ?? "";
}

/**
 * A real Kubernetes API server on loopback (offline-toolchain/kubernetes/apiserver.sh): kine,
 * kube-apiserver and kube-controller-manager with certificates of their own under `dir`. Read back
 * over HTTPS with the admin client certificate (curl; no kubectl).
 */
export class TestCluster {
    readonly kubeconfig: string;
    readonly port: number;

    constructor(public readonly dir: string) {
        this.kubeconfig = execFileSync("bash", [apiserverScript, "start", dir], {
            encoding: "utf8",
            env: { ...process.env, HOMELAB_K8S_BIN: kubernetesBin() },
            stdio: ["ignore", "pipe", "inherit"],
        }).trim();
        this.port = Number(fs.readFileSync(path.join(dir, "run/port"), "utf8").trim());
    }

    /** The pids apiserver.sh recorded for its three processes (those still recorded). */
    pids(): Record<string, number> {
        const pids: Record<string, number> = {};
        for (const name of components) {
            const file = path.join(this.dir, "run", `${name}.pid`);
            if (fs.existsSync(file)) pids[name] = Number(fs.readFileSync(file, "utf8").trim());
        }
        return pids;
    }

    /** Stops all three (apiserver.sh fails if one outlives it). Safe to call twice. */
    stop(): void {
        execFileSync("bash", [apiserverScript, "stop", this.dir], { stdio: ["ignore", "inherit", "inherit"] });
    }

    /** GET `apiPath` (or POST `body` as JSON): the HTTP status and the body. */
    request(apiPath: string, body?: unknown): { status: number; body: string } {
        const pki = path.join(this.dir, "pki");
        const post =
            body === undefined ? [] : ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@-"];
        const result = spawnSync(
            "curl",
            [
                ...post,
                "-sS",
                "--max-time",
                "10",
                "--cacert",
                path.join(pki, "ca.crt"),
                "--cert",
                path.join(pki, "admin.crt"),
                "--key",
                path.join(pki, "admin.key"),
                "-w",
                "\n%{http_code}",
                `https://127.0.0.1:${this.port}${apiPath}`,
            ],
            // /metrics is a few MB.
            { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, input: body === undefined ? "" : JSON.stringify(body) },
        );
        if (result.status !== 0) throw new Error(`curl ${apiPath}: ${result.error?.message ?? result.stderr}`);
        const lines = result.stdout.trimEnd().split("\n");
        return { status: Number(lines.pop()), body: lines.join("\n") };
    }

    /** The object at `apiPath`, or undefined on 404. */
    get(apiPath: string): KubeObject | undefined {
        const { status, body } = this.request(apiPath);
        if (status === 404) return undefined;
        if (status !== 200) throw new Error(`GET ${apiPath}: ${status} ${body}`);
        return JSON.parse(body) as KubeObject;
    }

    /** Creates `object` in `collection` (POST); fails unless the API server answers 201. */
    create(collection: string, object: unknown): void {
        const { status, body } = this.request(collection, object);
        if (status !== 201) throw new Error(`POST ${collection}: ${status} ${body}`);
    }

    /** Every object of a collection path (e.g. `/apis/apps/v1/deployments`) matching `labelSelector`. */
    list(collection: string, labelSelector: string): KubeObject[] {
        const apiPath = `${collection}?labelSelector=${encodeURIComponent(labelSelector)}`;
        const { status, body } = this.request(apiPath);
        if (status !== 200) throw new Error(`GET ${apiPath}: ${status} ${body}`);
        return (JSON.parse(body) as KubeList).items;
    }

    /**
     * The API server's dry-run requests so far (`apiserver_request_total{dry_run="All"}` from
     * /metrics), as `VERB resource code` → count.
     */
    dryRuns(): Record<string, number> {
        const { status, body } = this.request("/metrics");
        if (status !== 200) throw new Error(`GET /metrics: ${status}`);
        const counts: Record<string, number> = {};
        for (const line of body.split("\n")) {
            if (!line.startsWith("apiserver_request_total{") || !line.includes('dry_run="All"')) continue;
            const label = (name: string): string => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? "";
            const key = `${label("verb")} ${label("resource")} ${label("code")}`;
            counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
        }
        return counts;
    }
}

/**
 * Every living process whose environment names `backend` as its PULUMI_BACKEND_URL: the `pulumi`
 * runs of one test and the plugins they start (they inherit it), no one else's.
 */
export function backendProcesses(backend: string): { pid: number; command: string }[] {
    const wanted = `PULUMI_BACKEND_URL=${backend}`;
    const found: { pid: number; command: string }[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        const pid = Number(entry);
        if (!Number.isInteger(pid) || pid === process.pid) continue;
        try {
            if (!fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(wanted)) continue;
            const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
            if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
            found.push({ pid, command: fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim() });
        } catch {
            // gone meanwhile, or not ours to read
        }
    }
    return found;
}
