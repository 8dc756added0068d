import type { ResourceValidationPolicy } from "@pulumi/policy";
import { serviceIdentity } from "../../catalog/policy";
import { resolve, type Health } from "../../catalog/types";
import type { ContextOf, PolicyContext } from "../context";
import { isUnknown } from "../wire";
import { containerPolicy, list, record, text, type Container } from "./read";

/** How a container runs: its identity, its secrets, its restart policy and its healthcheck. */

const identity = `${serviceIdentity.uid}:${serviceIdentity.gid}`;

function serviceIdentityProblems(container: Container, { allowed }: PolicyContext): string[] {
    if (allowed.identityExceptions.some((exception) => exception.service === container.name)) return [];
    const env = new Map(container.env.map((line) => [line.name, line.value]));
    const puid = env.get("PUID") === String(serviceIdentity.uid) && env.get("PGID") === String(serviceIdentity.gid);
    const ids = `PUID=${env.get("PUID") ?? "(unset)"} PGID=${env.get("PGID") ?? "(unset)"}`;
    // Docker reads an empty user as the image's own.
    const setUser = text(container.props.user);
    const user = setUser === "" ? undefined : setUser;
    const problems: string[] = [];
    switch (container.entry?.user.kind) {
        case "puid":
            if (!puid)
                problems.push(`${container.name}: runs with ${ids}; its catalog entry takes PUID/PGID ${identity}`);
            if (user !== undefined && user !== identity) {
                problems.push(
                    `${container.name}: user "${user}" overrides its PUID/PGID; expected none or "${identity}"`,
                );
            }
            break;
        case "user":
            if (user !== identity) {
                problems.push(
                    `${container.name}: runs as ${user ?? "the image's user"}; its catalog entry says "${identity}"`,
                );
            }
            break;
        default:
            if (!puid && user !== identity) {
                problems.push(
                    `${container.name}: runs as neither user "${identity}" nor PUID/PGID ${identity}; ` +
                        "add it to the catalog, with an identity exception and its reason if it cannot",
                );
            }
    }
    return problems;
}

const sensitiveName = /PASSWORD|TOKEN|SECRET|KEY/i;

function secretEnv(container: Container, { settings }: PolicyContext): string[] {
    const declared = container.entry ? Object.keys(resolve(container.entry.secretEnv, settings, {})) : undefined;
    const problems: string[] = [];
    for (const line of container.env) {
        // A line not known yet (preview) is judged at `up`.
        if (line.name === undefined || !sensitiveName.test(line.name)) continue;
        if (!container.markers) {
            problems.push(`${container.name}: ${line.name} may be plain text; the pack could not see secret markers`);
        } else if (!line.secret) {
            problems.push(
                `${container.name}: ${line.name} reaches the engine as plain text; ` +
                    "set it from a secret config key (the entry's secretEnv, pulumi config set --secret)",
            );
        } else if (declared !== undefined && !declared.includes(line.name)) {
            problems.push(
                `${container.name}: ${line.name} is not one of its catalog secret variables ` +
                    `(${declared.join(", ") || "none"}); move it from env to secretEnv`,
            );
        }
    }
    return problems;
}

const restartPolicies = ["unless-stopped", "always", "on-failure"];

function restartPolicy(container: Container): string[] {
    const restart = container.props.restart;
    if (isUnknown(restart) || restartPolicies.includes(text(restart) ?? "")) return [];
    return [`${container.name}: restart policy is ${text(restart) ?? "unset (no)"}; expected unless-stopped`];
}

function describeHealth(health: Health): string {
    switch (health.kind) {
        case "http":
            return `GET :${health.port}${health.path}`;
        case "command":
            return health.test.join(" ");
        case "image":
            return `the image's own HEALTHCHECK on :${health.port}${health.path}`;
        case "none":
            return health.reason;
    }
}

function healthcheck(container: Container): string[] {
    const health = container.entry?.health;
    if (health === undefined || health.kind === "none") return [];
    const probe = text(list(record(container.props.healthcheck).tests)[0]);
    if (health.kind === "image") {
        return probe === "NONE"
            ? [`${container.name}: disables the image's HEALTHCHECK (${describeHealth(health)})`]
            : [];
    }
    if (probe === "CMD" || probe === "CMD-SHELL") return [];
    return [`${container.name}: has no healthcheck; its catalog entry has one (${describeHealth(health)})`];
}

export function runtimePolicies(contextOf: ContextOf): ResourceValidationPolicy[] {
    return [
        containerPolicy(
            "service-identity",
            `Every container runs as ${identity} (PUID/PGID or user) unless the catalog records an exception and its reason.`,
            contextOf,
            serviceIdentityProblems,
        ),
        containerPolicy(
            "secret-env-from-secrets",
            "Every env var whose name says PASSWORD, TOKEN, SECRET or KEY comes from a secret.",
            contextOf,
            secretEnv,
        ),
        containerPolicy(
            "restart-policy",
            "Every container has a restart policy (unless-stopped, always or on-failure).",
            contextOf,
            restartPolicy,
        ),
        containerPolicy(
            "healthchecks",
            "A container runs the healthcheck its catalog entry has, and none disables the image's own.",
            contextOf,
            healthcheck,
        ),
    ];
}
