/**
 * Checks the lab's Docker engine before Pulumi runs, so a newcomer gets one line saying what to
 * do instead of a half-made stack and a provider error: the engine answers on its socket, and
 * (before `up`) every image the lab runs is on the engine or can be pulled.
 */
import * as http from "node:http";
import type { Settings } from "../config/schema";
import type { ServiceEntry } from "../catalog/types";
import { runtimeImage } from "../components/offline";

export class PreflightError extends Error {}

interface Answer {
    status: number;
    body: string;
}

function request(socketPath: string, method: string, path: string, timeoutMs: number): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = http.request({ socketPath, method, path, timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => {
                resolve({ status: res.statusCode ?? 0, body });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
        req.on("error", reject);
        req.end();
    });
}

/** The unix sockets of the lab's hosts (other endpoints are not the lab's to check). */
export function labSockets(settings: Settings): string[] {
    const endpoints = Object.values(settings.hosts).flatMap((host) =>
        host.dockerHost?.startsWith("unix://") ? [host.dockerHost.slice("unix://".length)] : [],
    );
    return [...new Set(endpoints)];
}

export async function checkEngine(socketPath: string): Promise<void> {
    let answer: Answer;
    try {
        answer = await request(socketPath, "GET", "/_ping", 5000);
    } catch (error) {
        const code = (error as { code?: string }).code;
        const why =
            code === "EACCES" ? "permission denied: run as root or join the docker group" : (code ?? String(error));
        throw new PreflightError(
            `no Docker engine answers at unix://${socketPath} (${why}); start one (sudo systemctl start docker) ` +
                "or set DOCKER_HOST=unix:///path/to/docker.sock to a running engine. Nothing was created.",
        );
    }
    if (answer.status !== 200) {
        throw new PreflightError(`the Docker engine at unix://${socketPath} answered ${answer.status} to /_ping`);
    }
}

/** The error an image pull reported: Docker answers 200 and streams `{"error": ...}` lines on failure. */
function pullError(answer: Answer): string | undefined {
    if (answer.status !== 200) {
        try {
            return (JSON.parse(answer.body) as { message?: string }).message ?? `HTTP ${answer.status}`;
        } catch {
            return `HTTP ${answer.status}`;
        }
    }
    for (const line of answer.body.split("\n")) {
        if (line.trim() === "") continue;
        try {
            const event = JSON.parse(line) as { error?: string };
            if (event.error !== undefined) return event.error;
        } catch {
            // a progress line that is not JSON
        }
    }
    return undefined;
}

/** Splits `repo:tag[@digest]` for the pull API (fromImage + tag, or the digest as tag). */
function pullQuery(image: string): string {
    const at = image.indexOf("@");
    if (at >= 0)
        return `fromImage=${encodeURIComponent(image.slice(0, at))}&tag=${encodeURIComponent(image.slice(at + 1))}`;
    const colon = image.lastIndexOf(":");
    const slash = image.lastIndexOf("/");
    return colon > slash
        ? `fromImage=${encodeURIComponent(image.slice(0, colon))}&tag=${encodeURIComponent(image.slice(colon + 1))}`
        : `fromImage=${encodeURIComponent(image)}&tag=latest`;
}

/**
 * Every image the lab runs is on the engine, or is pulled now (what `up` would do first anyway).
 * Names every image that can be neither, with the way out for machines without a registry.
 */
export async function checkImages(
    socketPath: string,
    services: readonly ServiceEntry[],
    settings: Settings,
    progress: (line: string) => void = () => undefined,
): Promise<void> {
    const images = [...new Set(services.map((entry) => runtimeImage(entry, settings).image))];
    const failed: string[] = [];
    for (const image of images) {
        const present = await request(socketPath, "GET", `/images/${encodeURIComponent(image)}/json`, 10000);
        if (present.status === 200) continue;
        progress(`pulling ${image}`);
        const error = pullError(await request(socketPath, "POST", `/images/create?${pullQuery(image)}`, 30 * 60000));
        if (error !== undefined) failed.push(`${image} (${error})`);
    }
    if (failed.length > 0) {
        throw new PreflightError(
            `cannot pull ${failed.join(", ")}. On a machine without a registry, build the stand-in image ` +
                "(bash offline-toolchain/standin/build.sh homelab-standin:local, which also builds its variants " +
                "that declare the real images' volumes) and run with " +
                "HOMELAB_OFFLINE_IMAGE=homelab-standin:local. Nothing was created.",
        );
    }
}
