import type { Policies } from "@pulumi/policy";
import type { ContextOf, PolicyContext } from "../context";
import { imagePolicies } from "./images";
import { isolationPolicies } from "./isolation";
import { kubernetesPolicies } from "./kubernetes";
import { runtimePolicies } from "./runtime";
import { ssoPolicies } from "./sso";
import { stackPolicies } from "./stack";
import { unifiPolicies } from "./unifi";

/** Every rule of the homelab pack, all mandatory, judged against one context or the context of each resource's stack. */
export function homelabPolicies(context: PolicyContext | ContextOf): Policies {
    const contextOf: ContextOf = typeof context === "function" ? context : () => context;
    return [
        ...isolationPolicies(contextOf),
        ...imagePolicies(),
        ...runtimePolicies(contextOf),
        ...stackPolicies(contextOf),
        ...ssoPolicies(contextOf),
        ...kubernetesPolicies(contextOf),
        ...unifiPolicies(contextOf),
    ];
}
