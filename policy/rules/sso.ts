import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { ContextOf, PolicyContext } from "../context";
import { plainOf } from "../wire";
import { containerType, describeAllowed, enforcementLevel, list, record, text } from "./read";

/** Who is let through a route: Authentik in front of every URL that is neither public nor recorded. */

interface Route {
    /** The catalog service the route reaches (the container, or the router's service). */
    service: string;
    rule: string;
    middlewares: string[];
}

const isAuthentik = (middleware: string): boolean => middleware === "authentik" || middleware.startsWith("authentik@");
/** The outpost's own callback router: it is the gate, not a route to a service. */
const outpostRouter = (rule: string): boolean => rule.includes("/outpost.goauthentik.io/");

/** Routers of a container's Traefik labels. */
function labelRoutes(props: Record<string, unknown>, service: string): Route[] {
    const labels = new Map<string, string>();
    for (const item of list(props.labels).map(record)) {
        const label = text(item.label);
        const value = text(item.value);
        if (label !== undefined && value !== undefined) labels.set(label, value);
    }
    return [...labels].flatMap(([label, rule]) => {
        const router = /^traefik\.http\.routers\.([^.]+)\.rule$/.exec(label)?.[1];
        if (router === undefined) return [];
        const middlewares = (labels.get(`traefik.http.routers.${router}.middlewares`) ?? "")
            .split(",")
            .map((name) => name.trim())
            .filter(Boolean);
        return [{ service, rule, middlewares }];
    });
}

/** Routers of a Traefik file-provider document written by a resource (the lab's file, prod's command). */
function documentRoutes(props: Record<string, unknown>): Route[] {
    const body = text(props.content) ?? text(props.stdin);
    if (body === undefined) return [];
    let document: unknown;
    try {
        document = JSON.parse(body);
    } catch {
        return [];
    }
    const routers = record(record(record(document).http).routers);
    return Object.values(routers).flatMap((value) => {
        const router = record(value);
        const service = text(router.service);
        const rule = text(router.rule);
        if (service === undefined || rule === undefined) return [];
        const middlewares = list(router.middlewares).flatMap((name) => {
            const known = text(name);
            return known === undefined ? [] : [known];
        });
        return [{ service, rule, middlewares }];
    });
}

function unguarded(route: Route, { services, allowed }: PolicyContext): string | undefined {
    if (outpostRouter(route.rule) || route.middlewares.some(isAuthentik)) return undefined;
    const entry = services.get(route.service);
    // Public services are published through the tunnel with a login of their own.
    if (entry?.route?.exposure === "external") return undefined;
    if (entry?.sso?.oidc !== undefined) return undefined;
    if (allowed.unguardedRoutes.some((item) => item.service === route.service)) return undefined;
    const recorded = describeAllowed(allowed.unguardedRoutes, (item) => item.service);
    return (
        `${route.service}: routed at ${route.rule} without forward-auth, and it does not sign in with Authentik (sso.oidc); ` +
        `allowed only for ${recorded}; put it behind forward-auth, give it sso.oidc, or record the reason in ` +
        "catalog/policy.ts (recordedReasons.unguardedRoutes)"
    );
}

export function ssoPolicies(contextOf: ContextOf): ResourceValidationPolicy[] {
    return [
        {
            name: "routes-behind-sign-in",
            description:
                "A routed, non-public service is behind forward-auth or signs in with Authentik (OIDC), " +
                "unless the catalog records why not.",
            enforcementLevel,
            validateResource: (args, report) => {
                const props = plainOf(args.props);
                const routes =
                    args.type === containerType
                        ? labelRoutes(props, text(props.name) ?? args.name)
                        : documentRoutes(props);
                if (routes.length === 0) return;
                const context = contextOf(args.urn);
                for (const route of routes) {
                    const problem = unguarded(route, context);
                    if (problem !== undefined) report(problem);
                }
            },
        },
    ];
}
