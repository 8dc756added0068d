import { PolicyPack } from "@pulumi/policy";
import { stackContexts } from "./context";
import { homelabPolicies } from "./rules";
import { captureWire } from "./wire";

// Before the pack serves: the secret-env rule needs the wire form of every resource's props.
captureWire();

new PolicyPack("homelab", {
    description: "The homelab's guardrails: container hardening, pinned images, identity, secrets, protection.",
    enforcementLevel: "mandatory",
    // The stack is known only once resources arrive: each rule reads it from the resource URN.
    policies: homelabPolicies(stackContexts()),
});
