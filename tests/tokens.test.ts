import { bothStacks } from "./helpers/program";

/**
 * One static type token per component class, and the aliases that carried existing states across
 * the change: the stacks had a token each (`homelab:stacks:<Stack>`) until they became one class.
 */

const load = bothStacks();

// What states written before the rename hold, spelled out rather than derived.
const legacyTokens: Record<string, string> = {
    infra: "homelab:stacks:Infra",
    auth: "homelab:stacks:Auth",
    cloudflared: "homelab:stacks:Cloudflared",
    "dns-sync": "homelab:stacks:DnsSync",
    arr: "homelab:stacks:Arr",
    torrent: "homelab:stacks:Torrent",
    books: "homelab:stacks:Books",
    photos: "homelab:stacks:Photos",
    monitoring: "homelab:stacks:Monitoring",
    plex: "homelab:stacks:Plex",
};

describe.each(["prod", "lab"] as const)("%s", (stack) => {
    test("every stack is a homelab:stacks:ServiceStack aliased to its old per-stack token", () => {
        const stacks = load(stack).ofType("homelab:stacks:ServiceStack");
        expect(stacks.map((resource) => resource.name).sort()).toEqual(Object.keys(legacyTokens).sort());
        for (const resource of stacks) {
            expect(resource.aliases).toEqual([
                expect.objectContaining({
                    spec: expect.objectContaining({ type: legacyTokens[resource.name], name: "" }) as unknown,
                }),
            ]);
        }
    });

    test("the stacks share one type token (none of their own)", () => {
        const homelabTypes = new Set(
            load(stack)
                .resources.map((resource) => resource.type)
                .filter((type) => type.startsWith("homelab:")),
        );
        expect([...homelabTypes].filter((type) => type.startsWith("homelab:stacks:"))).toEqual([
            "homelab:stacks:ServiceStack",
        ]);
    });
});
