import { catalog } from "../../catalog";
import { k3sCandidates, k3sVerdict } from "../../catalog/targets";
import type { StackName } from "../../catalog/types";
import { ConfigError } from "../../config/errors";
import { checkInput } from "../../input";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { runPolicies, type RecordedInput } from "../policy/testing";
import { loadProgram, ProgramLoadError, stackSettings } from "../helpers/program";

/** A one-node cluster, for configs that put something on k3s. */
const cluster = JSON.stringify({
    k3sVersion: "v1.33.5+k3s1",
    nodes: [{ name: "k3s-01", address: "192.168.30.21" }],
});

/** Every problem checkInput reports for prod's config with these targets (and a cluster). */
function problems(targets: Record<string, string>, extra: Record<string, string> = {}): readonly string[] {
    const settings = stackSettings("prod", {
        "homelab:targets": JSON.stringify(targets),
        "homelab:cluster": cluster,
        ...extra,
    });
    try {
        checkInput(settings, catalog);
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
    return [];
}

const allowedText =
    "allowed on k3s: Immich, Authentik, the monitoring stack (Beszel hub, Uptime Kuma, AutoKuma) and Traefik";

describe("the Phase 6 list", () => {
    it("makes exactly the description's candidates eligible for k3s", () => {
        expect(k3sCandidates(catalog).map((entry) => entry.name)).toEqual([
            "traefik",
            "authentik-server",
            "authentik-worker",
            "authentik-postgresql",
            "authentik-redis",
            "immich-server",
            "immich-machine-learning",
            "immich-postgres",
            "immich-redis",
            "beszel",
            "uptime-kuma",
            "autokuma",
        ]);
    });

    it.each([
        ["sonarr", "arr", "hardlinks and atomic moves do not fit k8s storage"],
        ["qbittorrent", "torrent", "the VPN kill-switch model (qBittorrent in Gluetun's network namespace)"],
        ["gluetun", "torrent", "the VPN kill-switch model (qBittorrent in Gluetun's network namespace)"],
        ["audiobookshelf", "books", "filesystem-dependent ingest workflows"],
        ["homarr", "infra", "not a Phase 6 candidate"],
        ["plex", "plex", "not a Phase 6 candidate"],
    ])("keeps %s (%s) on Docker: %s", (name, stack, reason) => {
        expect(catalog.find((entry) => entry.name === name)?.stack).toBe(stack);
        expect(k3sVerdict({ name, stack: stack as StackName })).toEqual({ allowed: false, reason });
    });
});

describe("homelab:targets is validated before any resource", () => {
    it("accepts prod's default (nothing on k3s) and the Authentik stack moved", () => {
        expect(problems({})).toEqual([]);
        expect(
            problems({ "authentik-server": "k3s", "authentik-worker": "k3s", "authentik-postgresql": "k3s" }),
        ).toEqual([]);
    });

    it.each([
        [
            "sonarr",
            'homelab:targets.sonarr: "k3s" is not allowed; sonarr may not run on k3s: hardlinks and atomic moves do not fit k8s storage; ' +
                allowedText,
        ],
        [
            "qbittorrent",
            'homelab:targets.qbittorrent: "k3s" is not allowed; qbittorrent may not run on k3s: the VPN kill-switch model ' +
                `(qBittorrent in Gluetun's network namespace); ${allowedText}`,
        ],
        [
            "calibre-web-automated",
            'homelab:targets.calibre-web-automated: "k3s" is not allowed; calibre-web-automated may not run on k3s: ' +
                `filesystem-dependent ingest workflows; ${allowedText}`,
        ],
        [
            "dockman",
            `homelab:targets.dockman: "k3s" is not allowed; dockman may not run on k3s: not a Phase 6 candidate; ${allowedText}`,
        ],
        [
            "beszel-agent",
            'homelab:targets.beszel-agent: "k3s" is not allowed; beszel-agent may not run on k3s: runs on every Docker host ' +
                `and reads that host's engine and network; it stays with the engines it watches; ${allowedText}`,
        ],
    ])("refuses %s on k3s with the description's reason", (service, message) => {
        expect(problems({ [service]: "k3s" })).toContain(message);
    });

    it("refuses an unknown service and an unknown target", () => {
        expect(problems({ sonar: "k3s" })).toEqual([
            'homelab:targets.sonar: "sonar" is not a service of the catalog; expected a catalog service name',
        ]);
        expect(() => stackSettings("prod", { "homelab:targets": JSON.stringify({ beszel: "nomad" }) })).toThrow(
            'homelab:targets.beszel: "nomad" is not allowed; expected docker or k3s',
        );
    });

    it("refuses a service that starts after one on the other target", () => {
        expect(problems({ "immich-server": "k3s" })).toEqual([
            'homelab:targets.immich-server: "k3s" is not allowed while immich-postgres runs on docker; ' +
                "immich-server starts after immich-postgres, so expected both on the same target",
            'homelab:targets.immich-server: "k3s" is not allowed while immich-redis runs on docker; ' +
                "immich-server starts after immich-redis, so expected both on the same target",
        ]);
    });

    it("refuses a forward-auth service on k3s while Authentik stays on Docker", () => {
        expect(problems({ beszel: "k3s" })).toEqual([
            'homelab:targets.beszel: "k3s" is not allowed while authentik-server runs on Docker; beszel is behind ' +
                "forward-auth, which the cluster's ingress asks of an Authentik outpost on the cluster; " +
                "expected authentik-server (and its stack) on k3s first",
        ]);
    });

    it("refuses Traefik on k3s while routed services stay on Docker", () => {
        const [first] = problems({ traefik: "k3s" });
        expect(first).toMatch(
            /^homelab:targets\.traefik: "k3s" is not allowed while routed services stay on Docker \(dockman, homarr, authentik-server, /,
        );
    });

    it("refuses services on k3s without a cluster", () => {
        const settings = stackSettings("prod", {
            "homelab:targets": JSON.stringify({ "immich-machine-learning": "k3s" }),
        });
        expect(() => checkInput(settings, catalog)).toThrow(
            "homelab:cluster: (missing) is not allowed where homelab:targets puts immich-machine-learning on k3s; " +
                "expected { nodes, k3sVersion } of the cluster, or { kubeconfigPath } of an existing API server",
        );
    });

    it("fails the program before any resource is registered", async () => {
        let failure: ProgramLoadError | undefined;
        try {
            await loadProgram("prod", { config: { "homelab:targets": JSON.stringify({ sonarr: "k3s" }) } });
        } catch (error) {
            if (!(error instanceof ProgramLoadError)) throw error;
            failure = error;
        }
        expect(failure?.message).toContain(
            'homelab:targets.sonarr: "k3s" is not allowed; sonarr may not run on k3s: hardlinks and atomic moves do not fit k8s storage',
        );
        expect(failure?.registered).toBe(0);
    });
});

describe("the policy pack's k3s-candidates-only rule", () => {
    const context = policyContext("prod", stackSettings("prod"), catalog);
    const workload = (type: string, name: string): RecordedInput => ({
        type,
        name: `k3s-services-${name}`,
        urn: `urn:pulumi:prod::homelab::kubernetes:apps/v1:Deployment::k3s-services-${name}`,
        rawInputs: {
            metadata: { name, namespace: "homelab", labels: { "app.kubernetes.io/name": name } },
        },
        provider: "",
        parent: "",
        protect: false,
        dependencies: [],
    });
    const fired = async (resources: RecordedInput[]) =>
        (await runPolicies(homelabPolicies(context), resources)).filter(
            (violation) => violation.policy === "k3s-candidates-only",
        );

    it("reports a workload of an excluded service, with the description's reason", async () => {
        const violations = await fired([workload("kubernetes:apps/v1:Deployment", "radarr")]);
        expect(violations.map((violation) => violation.message)).toEqual([
            `k3s-services-radarr: radarr may not run on k3s: hardlinks and atomic moves do not fit k8s storage; ${allowedText}`,
        ]);
    });

    it("reports a workload that is not a catalog service", async () => {
        const violations = await fired([workload("kubernetes:apps/v1:StatefulSet", "mystery")]);
        expect(violations.map((violation) => violation.message)).toEqual([
            "k3s-services-mystery: workload mystery is not a service of the catalog; every workload on k3s is rendered from a catalog entry",
        ]);
    });

    it("passes the candidates", async () => {
        expect(
            await fired([
                workload("kubernetes:apps/v1:Deployment", "immich-server"),
                workload("kubernetes:apps/v1:StatefulSet", "authentik-postgresql"),
                workload("kubernetes:apps/v1:Deployment", "traefik"),
            ]),
        ).toEqual([]);
    });
});
