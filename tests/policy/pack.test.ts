import type { PolicyPackArgs } from "@pulumi/policy";
import { catalog } from "../../catalog";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { runPolicies, type RecordedInput } from "./testing";
import { stackSettings } from "../helpers/program";

/** Every rule the issue asks for; dropping or disabling one fails here. */
const expected = [
    "capabilities-allowlist",
    "devices-allowlist",
    "docker-socket-allowlist",
    "healthchecks",
    "host-network-allowlist",
    "images-pinned",
    "images-through-remote-image",
    "k3s-candidates-only",
    "no-default-providers",
    "no-privileged-containers",
    "port-forwards-match-catalog",
    "published-ports-allowlist",
    "restart-policy",
    "routes-behind-sign-in",
    "secret-env-from-secrets",
    "service-identity",
    "stateful-resources-protected",
    "tunnel-ingress-matches-catalog",
];

const levels = (policies: PolicyPackArgs["policies"]) =>
    policies.map((policy) => `${policy.name} ${policy.enforcementLevel ?? "(pack default)"}`).sort();

it("has exactly the expected rules, each mandatory", () => {
    const policies = homelabPolicies(policyContext("prod", stackSettings("prod"), catalog));
    expect(levels(policies)).toEqual(expected.map((name) => `${name} mandatory`));
    expect(policies.every((policy) => policy.description.length > 20)).toBe(true);
});

it("serves them from policy/index.ts, judging each resource by its own stack's config", async () => {
    const served: { name: string; args: PolicyPackArgs }[] = [];
    // What the engine leaves the pack with today: no stack config in the environment.
    const saved = process.env.PULUMI_CONFIG;
    Reflect.deleteProperty(process.env, "PULUMI_CONFIG");
    try {
        await jest.isolateModulesAsync(async () => {
            jest.doMock("@pulumi/policy", () => ({
                ...jest.requireActual<object>("@pulumi/policy"),
                PolicyPack: jest.fn((name: string, args: PolicyPackArgs) => {
                    served.push({ name, args });
                }),
            }));
            await import("../../policy");
        });
        jest.dontMock("@pulumi/policy");

        expect(served.map((pack) => pack.name)).toEqual(["homelab"]);
        const args = served[0]?.args;
        if (args === undefined) throw new Error("no pack served");
        expect(args.enforcementLevel).toBe("mandatory");
        expect(levels(args.policies)).toEqual(expected.map((name) => `${name} mandatory`));

        // An unprotected VM: reported in prod (Pulumi.prod.yaml protects state), not in the lab.
        const vm = (stack: string): RecordedInput => ({
            type: "proxmoxve:index/vmLegacy:VmLegacy",
            name: "auth-prod-01",
            urn: `urn:pulumi:${stack}::homelab::proxmoxve:index/vmLegacy:VmLegacy::auth-prod-01`,
            rawInputs: {},
            provider: `urn:pulumi:${stack}::homelab::pulumi:providers:proxmoxve::proxmox::id`,
            parent: "",
            protect: false,
            dependencies: [],
        });
        const prod = await runPolicies(args.policies, [vm("prod")]);
        expect(prod.map((v) => v.message)).toEqual([
            "the machine auth-prod-01 is not protected; homelab:protectStateful is true in stack prod",
        ]);
        expect(await runPolicies(args.policies, [vm("lab")])).toEqual([]);
    } finally {
        if (saved !== undefined) process.env.PULUMI_CONFIG = saved;
    }
});
