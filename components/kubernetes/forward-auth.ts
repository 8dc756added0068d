import { outpostPath } from "../edge/routes";
import type { ForwardAuth } from "./render";

/**
 * Authentik's forward-auth as Traefik asks it: the same middleware and outpost router the Docker
 * route document (components/edge/routes.ts) writes, for the cluster's Middleware and IngressRoute.
 *
 * TODO(#16): routes.ts keeps its header list private; once it exports the middleware it builds
 * (`forwardAuthMiddleware(outpost)`) and the outpost router's rule, these two functions become
 * imports. Until then tests/kubernetes/render.test.ts checks them against the route document the
 * lab stack really writes, so the two cannot drift.
 */

const authResponseHeaders = [
    "X-authentik-username",
    "X-authentik-groups",
    "X-authentik-entitlements",
    "X-authentik-email",
    "X-authentik-name",
    "X-authentik-uid",
    "X-authentik-jwt",
    "X-authentik-meta-jwks",
    "X-authentik-meta-outpost",
    "X-authentik-meta-provider",
    "X-authentik-meta-app",
    "X-authentik-meta-version",
];

/** The forward-auth middleware for an outpost reached at `outpost` (`http://<server>:<port>`). */
export function forwardAuthOf(outpost: string): ForwardAuth {
    return {
        address: `${outpost}${outpostPath}auth/traefik`,
        trustForwardHeader: true,
        authResponseHeaders: [...authResponseHeaders],
        maxResponseBodySize: 1048576,
    };
}

/** The outpost's sign-in callback on every forward-auth host, above each host's own route. */
export function outpostRule(hosts: readonly string[]): { match: string; priority: number } {
    const hostRules = hosts.map((host) => `Host(\`${host}\`)`).join(" || ");
    return { match: `(${hostRules}) && PathPrefix(\`${outpostPath}\`)`, priority: 10000 };
}
