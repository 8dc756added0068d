import { arr } from "./stacks/arr";
import { auth } from "./stacks/auth";
import { books } from "./stacks/books";
import { cloudflared, dnsSync } from "./stacks/edge";
import { infra } from "./stacks/infra";
import { monitoring } from "./stacks/monitoring";
import { photos } from "./stacks/photos";
import { plex } from "./stacks/plex";
import { torrent } from "./stacks/torrent";
import { withSso } from "./sso";
import type { ServiceEntry } from "./types";

/**
 * Every service of the homelab, declared once. Everything else is derived from this list; the
 * OIDC wiring of its entries (their client secret variables, and the worker's) is added here.
 */
export const catalog: readonly ServiceEntry[] = withSso([
    ...infra,
    ...auth,
    ...cloudflared,
    ...dnsSync,
    ...arr,
    ...torrent,
    ...books,
    ...photos,
    ...monitoring,
    ...plex,
]);

export * from "./types";
