import type { Health, ImagePin, Mount, Networking, Route } from "./types";

/** Small constructors that keep catalog entries to the facts that differ between services. */

export const lsio = (app: string, tag: string): ImagePin => ({ repository: `lscr.io/linuxserver/${app}`, tag });

export const appdata = (target = "/config", sub?: string): Mount =>
    sub === undefined ? { from: "appdata", target } : { from: "appdata", sub, target };

/** Another service's appdata on the same host, for containers of one app that share a directory. */
export const appdataOf = (service: string, target: string, sub: string): Mount => ({
    from: "appdata",
    of: service,
    sub,
    target,
});

/** `<data>/<sub>` mounted at `/data/<sub>`: the same path in every container (hardlinks, atomic moves). */
export const data = (sub: string, readOnly = false): Mount => ({
    from: "data",
    sub,
    target: sub === "" ? "/data" : `/data/${sub}`,
    readOnly,
});

export const onProxy: Networking = { mode: "bridge", proxy: true, internal: false };
export const internalOnly: Networking = { mode: "bridge", proxy: false, internal: true };
export const proxyAndInternal: Networking = { mode: "bridge", proxy: true, internal: true };

export const internalRoute = (subdomain: string, forwardAuth: boolean): Route => ({
    subdomain,
    exposure: "internal",
    forwardAuth,
});

export const externalRoute = (subdomain: string, forwardAuth: boolean): Route => ({
    subdomain,
    exposure: "external",
    forwardAuth,
});

export const curl = (port: number, path: string): Health => ({ kind: "http", port, path, client: "curl" });
export const wget = (port: number, path: string): Health => ({ kind: "http", port, path, client: "wget" });

export const databaseOwnsItsData = {
    kind: "exception",
    runsAs: "the image's postgres user",
    reason: "the PostgreSQL entrypoint initialises and owns its data directory; it refuses other owners",
} as const;
