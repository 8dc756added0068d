import { show } from "../config/errors";
import type { Settings } from "../config/schema";
import { authentikServer, authentikWorker, blueprintsTarget } from "./stacks/auth";
import { resolve, type OidcClient, type ServiceEntry } from "./types";
import { urlFor } from "./urls";

/**
 * Authentik's side of single sign-on, as catalog facts: who is let in, which services sign in
 * through OIDC, which services left. components/sso turns these into the blueprint the worker
 * applies; nothing here registers resources.
 */

/**
 * The group let into a service when its entry names none (`sso.access`). Authentik's own
 * superuser group, which the first-run admin is in: a fresh blueprint locks nobody out.
 */
export const defaultAccessGroup = "authentik Admins";

export interface RetiredService {
    /** The service name it had in the catalog (its application slug). */
    service: string;
    reason: string;
}

/**
 * Services that left the catalog: their Authentik application and providers are deleted by the
 * blueprint (`state: absent`), so no stale door stays open. A service that stays in the catalog
 * without single sign-on needs no line here (the program derives that); remove a line once every
 * stack has applied it. Nothing else records what left, since the program keeps no state of its own.
 */
export const retired: readonly RetiredService[] = [];

export type SsoKind = "forward-auth" | "oidc";

/** How Authentik guards a routed service: forward-auth in Traefik, the app's own OIDC, or not at all. */
export function ssoKindOf(entry: ServiceEntry): SsoKind | undefined {
    if (entry.route === undefined) return undefined;
    if (entry.sso?.oidc !== undefined) return "oidc";
    return entry.route.forwardAuth ? "forward-auth" : undefined;
}

export function accessGroupOf(entry: ServiceEntry): string {
    return entry.sso?.access ?? defaultAccessGroup;
}

/**
 * What the blueprint calls a service's Authentik objects: from the service name alone, so the
 * names of a service that left the catalog are still known. Existing objects with these names
 * (providers) or slug (application) are taken over.
 */
export function ssoNames(service: string): { application: string; proxyProvider: string; oauth2Provider: string } {
    return { application: service, proxyProvider: `${service}-forward-auth`, oauth2Provider: `${service}-oidc` };
}

const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());

/**
 * The secret keys the program supplies for an OIDC client (never set in config): the client
 * secret it generates, and the settings document built around it (document delivery).
 */
export function oidcSecretKeys(clientId: string): { clientSecret: string; document: string } {
    return { clientSecret: `${camel(clientId)}OidcClientSecret`, document: `${camel(clientId)}OidcSettings` };
}

/** The worker's variable the blueprint reads a client secret from (`!Env`), so the file never holds it. */
export function workerSecretVar(clientId: string): string {
    return `HOMELAB_OIDC_${clientId.toUpperCase().replace(/-/g, "_")}_CLIENT_SECRET`;
}

/** Routed, enabled services that sign in through OIDC, with their client. */
export function oidcServices(entries: readonly ServiceEntry[]): { entry: ServiceEntry; client: OidcClient }[] {
    return entries.flatMap((entry) => {
        const client = entry.sso?.oidc;
        return entry.enabled !== false && entry.route !== undefined && client !== undefined ? [{ entry, client }] : [];
    });
}

/** Secret keys that come from the program's own resources (the generated client secrets). */
export function ssoProvidedSecretKeys(entries: readonly ServiceEntry[]): string[] {
    return oidcServices(entries).flatMap(({ client }) => {
        const keys = oidcSecretKeys(client.clientId);
        return client.delivery.kind === "document" ? [keys.clientSecret, keys.document] : [keys.clientSecret];
    });
}

/** Authentik's public URL (the login, and the embedded outpost's authentik_host). */
export function authentikUrl(entries: readonly ServiceEntry[], settings: Settings): string | undefined {
    const server = entries.find((entry) => entry.name === authentikServer && entry.enabled !== false);
    return server === undefined ? undefined : urlFor(server, settings);
}

/** The OIDC issuer of an application: per provider, under its slug (the service name). */
export function issuerUrl(authUrl: string, service: string): string {
    return `${authUrl}/application/o/${service}/`;
}

/**
 * The catalog with single sign-on wired in: an OIDC app gets its issuer and client id (env
 * delivery) and its secret variable; the worker gets one secret variable per client, which the
 * blueprint reads with `!Env`. Everything stays lazy (settings are not known yet).
 */
export function withSso(entries: readonly ServiceEntry[]): ServiceEntry[] {
    const clients = oidcServices(entries);
    return entries.map((entry): ServiceEntry => {
        if (entry.name === authentikWorker && clients.length > 0) {
            const own = entry.secretEnv;
            const extra = Object.fromEntries(
                clients.map(({ client }) => [
                    workerSecretVar(client.clientId),
                    oidcSecretKeys(client.clientId).clientSecret,
                ]),
            );
            return { ...entry, secretEnv: (settings) => ({ ...resolve(own, settings, {}), ...extra }) };
        }
        const client = entry.sso?.oidc;
        if (client === undefined || entry.route === undefined || entry.enabled === false) return entry;
        const keys = oidcSecretKeys(client.clientId);
        const { env, secretEnv } = entry;
        const delivery = client.delivery;
        if (delivery.kind === "document") {
            return {
                ...entry,
                secretEnv: (settings) => ({ ...resolve(secretEnv, settings, {}), [delivery.secretVar]: keys.document }),
            };
        }
        return {
            ...entry,
            env: (settings) => ({
                ...resolve(env, settings, {}),
                [delivery.issuerVar]: issuerUrl(authentikUrl(entries, settings) ?? "", entry.name),
                [delivery.clientIdVar]: client.clientId,
            }),
            secretEnv: (settings) => ({
                ...resolve(secretEnv, settings, {}),
                [delivery.clientSecretVar]: keys.clientSecret,
            }),
        };
    });
}

const groupName = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const slug = /^[a-z0-9][a-z0-9-]{0,62}$/;
const uriScheme = /^[a-z][a-z0-9+.-]*:\/\/\S*$/;

/** Everything wrong with the catalog's single sign-on facts, one message each (catalog/validate.ts). */
export function ssoProblems(entries: readonly ServiceEntry[], retiredServices: readonly RetiredService[]): string[] {
    const problems: string[] = [];
    const enabled = entries.filter((entry) => entry.enabled !== false);
    const guarded: string[] = [];
    const clientIds = new Map<string, string>();
    for (const entry of enabled) {
        const where = `catalog: ${entry.name}`;
        const sso = entry.sso;
        if (ssoKindOf(entry) !== undefined) guarded.push(entry.name);
        if (sso === undefined) continue;
        if (entry.route === undefined) {
            problems.push(
                `${where}.sso: ${show(Object.keys(sso))} is not allowed on a service without a route; ` +
                    "expected sso only where Authentik guards a URL",
            );
            continue;
        }
        if (sso.oidc !== undefined && entry.route.forwardAuth) {
            problems.push(
                `${where}.sso.oidc: client ${show(sso.oidc.clientId)} is not allowed together with route.forwardAuth: true; ` +
                    "expected one of them (an OIDC app signs users in itself)",
            );
        }
        if (sso.access !== undefined) {
            if (ssoKindOf(entry) === undefined) {
                problems.push(
                    `${where}.sso.access: ${show(sso.access)} is not allowed on a route with neither forward-auth nor sso.oidc; ` +
                        "expected route.forwardAuth: true or sso.oidc, or no access group",
                );
            } else if (!groupName.test(sso.access)) {
                problems.push(
                    `${where}.sso.access: ${show(sso.access)} is not allowed; expected an Authentik group name ` +
                        'such as "admins" (letters, digits, space, dot, underscore, dash; at most 64)',
                );
            }
        }
        const client = sso.oidc;
        if (client === undefined) continue;
        if (!slug.test(client.clientId)) {
            problems.push(
                `${where}.sso.oidc.clientId: ${show(client.clientId)} is not allowed; ` +
                    'expected lower-case letters, digits and dashes such as "immich"',
            );
        }
        const owner = clientIds.get(client.clientId);
        if (owner !== undefined) {
            problems.push(
                `${where}.sso.oidc.clientId: ${show(client.clientId)} is the client id of ${owner} already; ` +
                    "allowed: one client id per service",
            );
        }
        clientIds.set(client.clientId, entry.name);
        if (client.redirects.length === 0) {
            problems.push(`${where}.sso.oidc.redirects: [] is not allowed; expected at least one redirect`);
        }
        for (const redirect of client.redirects) {
            if ("path" in redirect && !redirect.path.startsWith("/")) {
                problems.push(
                    `${where}.sso.oidc.redirects: path ${show(redirect.path)} is not allowed; ` +
                        'expected a path on the service\'s URL such as "/auth/login"',
                );
            }
            if ("uri" in redirect && !uriScheme.test(redirect.uri)) {
                problems.push(
                    `${where}.sso.oidc.redirects: uri ${show(redirect.uri)} is not allowed; ` +
                        'expected an absolute URI such as "app.immich:///oauth-callback"',
                );
            }
        }
    }
    for (const service of guarded.filter((name) => !slug.test(name))) {
        problems.push(
            `catalog: ${service}: service name ${show(service)} is not allowed for single sign-on; ` +
                "expected lower-case letters, digits and dashes (it is the Authentik application slug)",
        );
    }
    if (guarded.length > 0) {
        const server = enabled.find((entry) => entry.name === authentikServer);
        if (server?.route === undefined) {
            problems.push(
                `catalog: ${authentikServer}.route: (missing) is not allowed while ${guarded.join(", ")} sign in through Authentik; ` +
                    "expected the Authentik server's public route",
            );
        }
        const worker = enabled.find((entry) => entry.name === authentikWorker);
        if (!worker?.mounts.some((mount) => mount.from === "appdata" && mount.target === blueprintsTarget)) {
            problems.push(
                `catalog: ${authentikWorker}.mounts: no appdata mount at ${blueprintsTarget} is not allowed while ` +
                    `${guarded.join(", ")} sign in through Authentik; expected appdata(${show(blueprintsTarget)}, "blueprints"), ` +
                    "where the program writes their blueprint",
            );
        }
    }
    const names = new Set(entries.map((entry) => entry.name));
    const seen = new Set<string>();
    for (const { service, reason } of retiredServices) {
        if (names.has(service)) {
            problems.push(
                `catalog/sso.ts retired: ${show(service)} is not allowed; it is still a catalog service ` +
                    "(expected only services that left the catalog; one without single sign-on needs no line)",
            );
        } else if (!slug.test(service)) {
            problems.push(
                `catalog/sso.ts retired: ${show(service)} is not allowed; expected the service name it had, ` +
                    "lower-case letters, digits and dashes",
            );
        }
        if (seen.has(service)) {
            problems.push(`catalog/sso.ts retired: ${show(service)} is listed twice; allowed: one line per service`);
        }
        seen.add(service);
        if (reason.trim().length < 10) {
            problems.push(
                `catalog/sso.ts retired: ${show(service)} has reason ${show(reason)}, which is not allowed; ` +
                    "expected a sentence saying why it left",
            );
        }
    }
    return problems;
}
