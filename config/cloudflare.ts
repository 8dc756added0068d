import type { z } from "zod";
import { section, text } from "./rules";

/**
 * Config for the Cloudflare edge (`homelab:cloudflare`): the account the tunnel lives in and the
 * zone its DNS records go to. None of it is secret; the API token is `homelab:cloudflareApiToken`.
 * Absent in the lab. The AdGuard primary for the rewrite is `homelab:adguard.originUrl`.
 */

/** Pulumi.prod.yaml ships these until the owner sets the real ids. */
export const placeholderPrefix = "set-to-your-";

const cloudflareId = (what: string) => {
    const allowed = `the Cloudflare ${what} ID: 32 lower-case hex characters (dashboard → the zone's Overview → API)`;
    return text(allowed).regex(new RegExp(`^([0-9a-f]{32}|${placeholderPrefix}[a-z-]+)$`), { error: allowed });
};

// Not schema.ts's domainSchema: schema.ts imports this file, and a cycle would leave it undefined here.
const zoneName = text('a zone name such as "giohosted.com"').regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    { error: 'a zone name such as "giohosted.com"' },
);

export const cloudflareSchema = section("the Cloudflare account and zone", {
    accountId: cloudflareId("account"),
    zoneId: cloudflareId("zone"),
    /** The zone the public hostnames live in: homelab:domain must be this zone or a name under it. */
    zoneName,
});

export type CloudflareSettings = z.infer<typeof cloudflareSchema>;

export function isPlaceholder(value: string): boolean {
    return value.startsWith(placeholderPrefix);
}
