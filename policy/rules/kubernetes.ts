import type { ResourceValidationPolicy } from "@pulumi/policy";
import { k3sRefusal } from "../../catalog/targets";
import type { ContextOf } from "../context";
import { plainOf } from "../wire";
import { enforcementLevel, record, text } from "./read";

/** The workload kinds a service becomes on the cluster (components/kubernetes). */
export const workloadTypes = [
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
];

/** The label the renderer puts on every object of a service: its catalog name. */
export const serviceLabel = "app.kubernetes.io/name";

export function kubernetesPolicies(contextOf: ContextOf): ResourceValidationPolicy[] {
    return [
        {
            name: "k3s-candidates-only",
            description:
                "Only the Phase 6 candidates (Immich, Authentik, the monitoring stack, Traefik) run on k3s (catalog/targets.ts).",
            enforcementLevel,
            validateResource: (args, report) => {
                if (!workloadTypes.includes(args.type)) return;
                const metadata = record(plainOf(args.props).metadata);
                const service = text(record(metadata.labels)[serviceLabel]) ?? text(metadata.name);
                // Not known yet (preview): judged at `up`.
                if (service === undefined) return;
                const entry = contextOf(args.urn).services.get(service);
                if (entry === undefined) {
                    report(
                        `${args.name}: workload ${service} is not a service of the catalog; ` +
                            "every workload on k3s is rendered from a catalog entry",
                    );
                    return;
                }
                const refusal = k3sRefusal(entry);
                if (refusal !== undefined) report(`${args.name}: ${refusal}`);
            },
        },
    ];
}
