/**
 * The subset of AdGuard Home's HTTP API the split-horizon rewrite needs (`/control/rewrite/*`,
 * basic auth), as plain functions over fetch. The dynamic provider is a thin layer over these, and
 * the tests run them against a local server. Messages never include the password.
 */

export interface Endpoint {
    /** The instance's web address, e.g. http://192.168.30.2 (homelab:adguard.originUrl). */
    url: string;
    username: string;
    password: string;
    timeoutMs?: number;
}

export interface Rewrite {
    domain: string;
    answer: string;
}

/** An answer from AdGuard Home (or its absence) that the caller should show as it is. */
export class AdguardError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "AdguardError";
    }
}

const show = (rewrite: Rewrite): string => `${rewrite.domain} → ${rewrite.answer}`;
const same = (a: Rewrite, b: Rewrite): boolean => a.domain === b.domain && a.answer === b.answer;

// Duck-typed: fetch's errors may come from another realm (a test sandbox), where instanceof fails.
function reason(error: unknown): string {
    const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
    if (typeof cause?.code === "string") return cause.code === "ECONNREFUSED" ? "connection refused" : cause.code;
    if (name === "TimeoutError") return "no answer in time";
    return typeof message === "string" ? message : String(error);
}

async function request(endpoint: Endpoint, method: string, path: string, body?: unknown): Promise<Response> {
    const base = endpoint.url.endsWith("/") ? endpoint.url : `${endpoint.url}/`;
    const target = new URL(`control/${path}`, base);
    const where = `AdGuard Home at ${target.origin}`;
    let response: Response;
    try {
        response = await fetch(target, {
            method,
            headers: {
                Authorization: `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString("base64")}`,
                ...(body === undefined ? {} : { "Content-Type": "application/json" }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(endpoint.timeoutMs ?? 15000),
        });
    } catch (error) {
        throw new AdguardError(
            `${where}: cannot reach it (${reason(error)}); check that it runs and that homelab:adguard.originUrl is right`,
        );
    }
    if (response.status === 401 || response.status === 403) {
        throw new AdguardError(
            `${where} refused the credentials (HTTP ${response.status}); ` +
                "check homelab:adguardUsername and homelab:adguardPassword",
        );
    }
    if (!response.ok) {
        const text = (await response.text()).trim().slice(0, 200);
        throw new AdguardError(`${where}: ${method} /control/${path} answered HTTP ${response.status}: ${text}`);
    }
    return response;
}

function isRewrite(value: unknown): value is Rewrite {
    if (typeof value !== "object" || value === null) return false;
    const { domain, answer } = value as Record<string, unknown>;
    return typeof domain === "string" && typeof answer === "string";
}

export async function listRewrites(endpoint: Endpoint): Promise<Rewrite[]> {
    const response = await request(endpoint, "GET", "rewrite/list");
    const body: unknown = await response.json().catch(() => undefined);
    if (!Array.isArray(body) || !body.every(isRewrite)) {
        throw new AdguardError(
            `AdGuard Home at ${new URL(endpoint.url).origin}: rewrite/list is not a list of rewrites`,
        );
    }
    return body.map(({ domain, answer }) => ({ domain, answer }));
}

/**
 * Adds the rewrite unless its domain is already rewritten: AdGuard Home accepts duplicates
 * silently, and a second answer for the same name would make internal resolution a coin toss.
 */
export async function addRewrite(endpoint: Endpoint, rewrite: Rewrite): Promise<void> {
    const existing = (await listRewrites(endpoint)).find((entry) => entry.domain === rewrite.domain);
    if (existing !== undefined) {
        throw new AdguardError(
            `AdGuard Home already has the rewrite ${show(existing)}, made outside this program; ` +
                "delete it there (Filters → DNS rewrites) and run pulumi up again, so the program owns it",
        );
    }
    await request(endpoint, "POST", "rewrite/add", rewrite);
}

/** Replaces `from` with `to` in one call; nothing changes when `from` is gone or `to` would be a duplicate. */
export async function updateRewrite(endpoint: Endpoint, from: Rewrite, to: Rewrite): Promise<void> {
    const current = await listRewrites(endpoint);
    if (!current.some((entry) => same(entry, from))) {
        throw new AdguardError(
            `AdGuard Home no longer has the rewrite ${show(from)} (changed outside this program); ` +
                "run pulumi refresh, then pulumi up",
        );
    }
    const clash = current.find((entry) => entry.domain === to.domain && !same(entry, from));
    if (clash !== undefined) {
        throw new AdguardError(`AdGuard Home already has the rewrite ${show(clash)}; delete it there first`);
    }
    await request(endpoint, "PUT", "rewrite/update", { target: from, update: to });
}

/** Deletes the rewrite; one that is already gone counts as deleted. */
export async function deleteRewrite(endpoint: Endpoint, rewrite: Rewrite): Promise<void> {
    if (!(await listRewrites(endpoint)).some((entry) => same(entry, rewrite))) return;
    await request(endpoint, "POST", "rewrite/delete", rewrite);
}

/** The rewrite for `domain` as AdGuard Home has it now, if any. */
export async function findRewrite(endpoint: Endpoint, domain: string): Promise<Rewrite | undefined> {
    return (await listRewrites(endpoint)).find((entry) => entry.domain === domain);
}
