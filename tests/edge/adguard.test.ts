import {
    addRewrite,
    deleteRewrite,
    listRewrites,
    updateRewrite,
    type Endpoint,
} from "../../components/edge/adguard/client";
import { rewriteProvider, type RewriteState } from "../../components/edge/adguard/provider";
import { deadUrl, startFakeAdguard, type FakeAdguard } from "./adguard-server";

const wildcard = { domain: "*.giohosted.com", answer: "192.168.30.11" };

let server: FakeAdguard;
beforeEach(async () => {
    server = await startFakeAdguard([{ domain: "nas.lan", answer: "192.168.30.12" }]);
});
afterEach(() => server.close());

const endpoint = (overrides: Partial<Endpoint> = {}): Endpoint => ({
    url: server.url,
    username: server.username,
    password: server.password,
    ...overrides,
});
const state = (overrides: Partial<RewriteState> = {}): RewriteState => ({ ...endpoint(), ...wildcard, ...overrides });
const plain = () => server.rewrites.map(({ domain, answer }) => ({ domain, answer }));

/** The provider's functions are optional in its type; these are all implemented. */
const provider = {
    create: rewriteProvider.create.bind(rewriteProvider),
    read: (rewriteProvider.read ?? fail).bind(rewriteProvider),
    diff: (rewriteProvider.diff ?? fail).bind(rewriteProvider),
    update: (rewriteProvider.update ?? fail).bind(rewriteProvider),
    delete: (rewriteProvider.delete ?? fail).bind(rewriteProvider),
};
function fail(): never {
    throw new Error("not implemented");
}

describe("AdGuard Home client", () => {
    it("lists, adds, updates and deletes through /control/rewrite/* with basic auth", async () => {
        await addRewrite(endpoint(), wildcard);
        expect(await listRewrites(endpoint())).toEqual([{ domain: "nas.lan", answer: "192.168.30.12" }, wildcard]);
        await updateRewrite(endpoint(), wildcard, { ...wildcard, answer: "192.168.30.21" });
        expect(plain()).toContainEqual({ ...wildcard, answer: "192.168.30.21" });
        await deleteRewrite(endpoint(), { ...wildcard, answer: "192.168.30.21" });
        expect(plain()).toEqual([{ domain: "nas.lan", answer: "192.168.30.12" }]);
        expect(server.requests).toContain("PUT /control/rewrite/update");
    });

    it.each([401, 403] as const)(
        "reports refused credentials (HTTP %i) without echoing the password",
        async (status) => {
            server.authFailureStatus = status;
            const attempt = addRewrite(endpoint({ password: "wrong-password-123" }), wildcard);
            await expect(attempt).rejects.toThrow(
                new RegExp(`refused the credentials \\(HTTP ${status}\\); check homelab:adguardUsername`),
            );
            await attempt.catch((error: unknown) => {
                expect(String(error)).not.toContain("wrong-password-123");
            });
        },
    );

    it("reports a server that is down as connection refused", async () => {
        await expect(listRewrites(endpoint({ url: await deadUrl() }))).rejects.toThrow(
            /AdGuard Home at http:\/\/127\.0\.0\.1:\d+: cannot reach it \(connection refused\)/,
        );
    });

    it("refuses a second rewrite for a domain that already has one, and AdGuard Home's own duplicate answer", async () => {
        server.rewrites.push({ ...wildcard, enabled: true });
        await expect(addRewrite(endpoint(), { ...wildcard, answer: "10.0.0.1" })).rejects.toThrow(
            /already has the rewrite \*\.giohosted\.com → 192\.168\.30\.11, made outside this program/,
        );
        expect(plain()).toEqual([{ domain: "nas.lan", answer: "192.168.30.12" }, wildcard]);
    });

    it("shows any other error answer with its status and text", async () => {
        server.failNext.set("/control/rewrite/add", 500);
        await expect(addRewrite(endpoint(), wildcard)).rejects.toThrow(
            /POST \/control\/rewrite\/add answered HTTP 500: injected failure/,
        );
    });
});

describe("AdGuard rewrite provider", () => {
    it("create adds the rewrite and keeps only its own fields", async () => {
        const result = await provider.create(state());
        expect(result.id).toBe("rewrite:*.giohosted.com");
        expect(result.outs).toEqual(state());
        expect(plain()).toContainEqual(wildcard);
    });

    it.each([
        ["bad credentials", () => state({ password: "nope" }), /refused the credentials/],
        ["a server that is down", async () => state({ url: await deadUrl() }), /connection refused/],
        ["a failing server", () => (server.failNext.set("/control/rewrite/add", 500), state()), /HTTP 500/],
    ] as const)("a create refused for %s throws and leaves no rewrite", async (_, inputs, message) => {
        await expect(provider.create(await inputs())).rejects.toThrow(message);
        expect(plain()).toEqual([{ domain: "nas.lan", answer: "192.168.30.12" }]);
    });

    it("a create over an existing rewrite throws and changes nothing", async () => {
        server.rewrites.push({ ...wildcard });
        await expect(provider.create(state())).rejects.toThrow(/already has the rewrite/);
        expect(plain()).toEqual([{ domain: "nas.lan", answer: "192.168.30.12" }, wildcard]);
    });

    it("diff: nothing, an in-place change, or a replacement when the instance changes", async () => {
        await expect(provider.diff("id", state(), state())).resolves.toEqual({ changes: false, replaces: [] });
        await expect(provider.diff("id", state(), state({ answer: "192.168.30.21" }))).resolves.toEqual({
            changes: true,
            replaces: [],
        });
        await expect(provider.diff("id", state(), state({ password: "rotated" }))).resolves.toEqual({
            changes: true,
            replaces: [],
        });
        await expect(provider.diff("id", state(), state({ url: "http://192.168.30.3" }))).resolves.toEqual({
            changes: true,
            replaces: ["url"],
        });
    });

    it("update replaces the rewrite in one call", async () => {
        server.rewrites.push({ ...wildcard });
        const result = await provider.update("id", state(), state({ answer: "192.168.30.21" }));
        expect(result.outs).toEqual(state({ answer: "192.168.30.21" }));
        expect(plain()).toEqual([
            { domain: "nas.lan", answer: "192.168.30.12" },
            { ...wildcard, answer: "192.168.30.21" },
        ]);
    });

    it.each([
        ["bad credentials", () => state({ answer: "192.168.30.21", password: "nope" }), /refused the credentials/],
        [
            "a failing server",
            () => (server.failNext.set("/control/rewrite/update", 500), state({ answer: "1.2.3.4" })),
            /HTTP 500/,
        ],
    ] as const)("a failed update (%s) throws and keeps the old rewrite", async (_, news, message) => {
        server.rewrites.push({ ...wildcard });
        await expect(provider.update("id", state(), news())).rejects.toThrow(message);
        expect(plain()).toContainEqual(wildcard);
    });

    it("an update whose old rewrite was removed by hand says so", async () => {
        await expect(provider.update("id", state(), state({ answer: "192.168.30.21" }))).rejects.toThrow(
            /no longer has the rewrite \*\.giohosted\.com → 192\.168\.30\.11 .*pulumi refresh/,
        );
    });

    it("an update of the credentials only checks them and touches no rewrite", async () => {
        server.rewrites.push({ ...wildcard });
        await expect(provider.update("id", state({ password: "old" }), state())).resolves.toEqual({ outs: state() });
        await expect(provider.update("id", state(), state({ password: "bad" }))).rejects.toThrow(/refused/);
        expect(server.requests.filter((request) => !request.startsWith("GET"))).toEqual([]);
    });

    it("read returns the rewrite, its drift, or a blank id when it is gone", async () => {
        server.rewrites.push({ ...wildcard });
        await expect(provider.read("id", state())).resolves.toEqual({ id: "id", props: state() });
        server.rewrites[1] = { ...wildcard, answer: "192.168.30.99" };
        await expect(provider.read("id", state())).resolves.toEqual({
            id: "id",
            props: state({ answer: "192.168.30.99" }),
        });
        server.rewrites.pop();
        await expect(provider.read("id", state())).resolves.toEqual({ id: "" });
    });

    it("delete removes the rewrite, and a rewrite already gone counts as deleted", async () => {
        server.rewrites.push({ ...wildcard });
        await provider.delete("id", state());
        expect(plain()).toEqual([{ domain: "nas.lan", answer: "192.168.30.12" }]);
        await expect(provider.delete("id", state())).resolves.toBeUndefined();
    });

    it("a refused delete throws and leaves the rewrite", async () => {
        server.rewrites.push({ ...wildcard });
        await expect(provider.delete("id", state({ password: "nope" }))).rejects.toThrow(/refused the credentials/);
        expect(plain()).toContainEqual(wildcard);
    });
});
