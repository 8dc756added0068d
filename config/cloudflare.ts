import { z } from "zod";

/** Config for the Cloudflare edge and the AdGuard split-horizon rewrite (`homelab:cloudflare`). Absent in the lab. */
export const cloudflareSchema = z.strictObject({});

export type CloudflareSettings = z.infer<typeof cloudflareSchema>;
