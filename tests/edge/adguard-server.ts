import { listenOnLoopback } from "../helpers/loopback-server";
import * as http from "node:http";

/**
 * A stand-in for AdGuard Home on 127.0.0.1 speaking the rewrite subset of its API, with its error
 * answers: 401 (or 403) for bad credentials, 400 for a duplicate or a bad body, 404 for a rewrite
 * that is not there, and any status on demand.
 */

export interface FakeRewrite {
    domain: string;
    answer: string;
    enabled?: boolean;
}

export interface FakeAdguard {
    url: string;
    username: string;
    password: string;
    rewrites: FakeRewrite[];
    /** Every request seen, as "METHOD /path". */
    requests: string[];
    /** How bad credentials are refused (AdGuard Home versions differ). */
    authFailureStatus: 401 | 403;
    /** Answer the next request on this path with this status instead of handling it. */
    failNext: Map<string, number>;
    close(): Promise<void>;
}

function readBody(request: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve) => {
        let text = "";
        request.on("data", (chunk: Buffer) => (text += chunk.toString()));
        request.on("end", () => {
            try {
                resolve(JSON.parse(text) as unknown);
            } catch {
                resolve(undefined);
            }
        });
    });
}

function isRewrite(value: unknown): value is FakeRewrite {
    if (typeof value !== "object" || value === null) return false;
    const { domain, answer } = value as Record<string, unknown>;
    return typeof domain === "string" && typeof answer === "string";
}

export async function startFakeAdguard(initial: FakeRewrite[] = []): Promise<FakeAdguard> {
    const fake: Omit<FakeAdguard, "url" | "close"> = {
        username: "admin",
        password: "correct-horse-battery-staple",
        rewrites: [...initial],
        requests: [],
        authFailureStatus: 401,
        failNext: new Map(),
    };
    const same = (a: FakeRewrite, b: FakeRewrite) => a.domain === b.domain && a.answer === b.answer;
    const ok = [200, { OK: true }] as const;

    /** AdGuard Home's answer to an authenticated request: status and body (text or JSON). */
    const answer = (route: string, body: unknown): readonly [number, unknown] => {
        switch (route) {
            case "GET /control/rewrite/list":
                return [200, fake.rewrites];
            case "POST /control/rewrite/add": {
                if (!isRewrite(body)) return [400, "json.Decode: bad rewrite"];
                if (fake.rewrites.some((entry) => same(entry, body))) return [400, "rewrite already exists"];
                fake.rewrites.push({ domain: body.domain, answer: body.answer, enabled: true });
                return ok;
            }
            case "PUT /control/rewrite/update": {
                const { target, update } = (body ?? {}) as { target?: unknown; update?: unknown };
                if (!isRewrite(target) || !isRewrite(update)) return [400, "target and update must not be nil"];
                const index = fake.rewrites.findIndex((entry) => same(entry, target));
                if (index === -1) return [404, "rewrite not found"];
                fake.rewrites[index] = { domain: update.domain, answer: update.answer, enabled: true };
                return ok;
            }
            case "POST /control/rewrite/delete": {
                if (!isRewrite(body)) return [400, "json.Decode: bad rewrite"];
                const before = fake.rewrites.length;
                fake.rewrites = fake.rewrites.filter((entry) => !same(entry, body));
                return fake.rewrites.length === before ? [404, "rewrite not found"] : ok;
            }
            default:
                return [404, "404 page not found"];
        }
    };

    const respond = async (request: http.IncomingMessage): Promise<readonly [number, unknown]> => {
        const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
        const route = `${request.method ?? "?"} ${path}`;
        fake.requests.push(route);
        const expected = `Basic ${Buffer.from(`${fake.username}:${fake.password}`).toString("base64")}`;
        if (request.headers.authorization !== expected) {
            return [fake.authFailureStatus, fake.authFailureStatus === 401 ? "Unauthorized" : "Forbidden"];
        }
        const injected = fake.failNext.get(path);
        if (injected !== undefined) {
            fake.failNext.delete(path);
            return [injected, "injected failure"];
        }
        return answer(route, request.method === "GET" ? undefined : await readBody(request));
    };

    const server = http.createServer((request, response) => {
        void respond(request).then(([status, body]) => {
            const text = typeof body === "string" ? `${body}\n` : JSON.stringify(body);
            response.writeHead(status, {
                "Content-Type": typeof body === "string" ? "text/plain" : "application/json",
            });
            response.end(text);
        });
    });
    return Object.assign(fake, await listenOnLoopback(server));
}

/** An address on 127.0.0.1 where nothing listens: the port of a server that was just closed. */
export async function deadUrl(): Promise<string> {
    const fake = await startFakeAdguard();
    await fake.close();
    return fake.url;
}
