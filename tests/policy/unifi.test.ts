import { catalog } from "../../catalog";
import { policyContext } from "../../policy/context";
import { homelabPolicies } from "../../policy/rules";
import { stackSettings, type RecordedResource } from "../helpers/program";
import { load } from "../edge/unifi-run";
import { runPolicies, type RecordedInput } from "./testing";

const forwardType = "pulumi-nodejs:dynamic/unifi:PortForward";
const serverType = "pulumi-nodejs:dynamic/unifi:WireguardServer";

let resources: RecordedResource[] = [];
beforeAll(async () => {
    resources = (await load("prod")).resources;
});

const check = (recorded: readonly RecordedInput[]) =>
    runPolicies(homelabPolicies(policyContext("prod", stackSettings("prod"), catalog)), recorded);

/** Prod's recorded resources (copies), with `change` applied to the first one of `type`. */
function changed(type: string, change: (resource: RecordedInput) => void): RecordedInput[] {
    const copies = structuredClone(resources) as RecordedInput[];
    const found = copies.find((resource) => resource.type === type);
    if (found === undefined) throw new Error(`no ${type} in prod`);
    change(found);
    return copies;
}

/** Prod's resources plus a copy of its forward, renamed and changed: a second rule on the gateway. */
function extraForward(change: Record<string, unknown>): RecordedInput[] {
    const copies = structuredClone(resources) as RecordedInput[];
    const plex = copies.find((resource) => resource.type === forwardType);
    if (plex === undefined) throw new Error("no forward in prod");
    const extra: RecordedInput = {
        ...structuredClone(plex),
        name: "edge-unifi-forward-ssh",
        urn: plex.urn.replace(/::edge-unifi-forward-plex$/, "::edge-unifi-forward-ssh"),
        rawInputs: { ...plex.rawInputs, ...change },
    };
    return [...copies, extra];
}

const allowed =
    "allowed forwards: 32400/tcp → 192.168.30.12 (plex: remote streaming stays outside the tunnel: Cloudflare's terms forbid video)";

describe("port-forwards-match-catalog", () => {
    it("passes prod's one forward and its WireGuard server", async () => {
        expect(resources.filter((resource) => resource.type === forwardType)).toHaveLength(1);
        expect(await check(resources)).toEqual([]);
    });

    it("reports a forward the catalog does not declare", async () => {
        const violations = await check(
            extraForward({ name: "homelab-ssh", port: 22, forwardPort: 22, address: "192.168.30.11" }),
        );
        expect(violations.map((violation) => [violation.policy, violation.message])).toEqual([
            [
                "port-forwards-match-catalog",
                "edge-unifi-forward-ssh: forwards port 22/tcp to 192.168.30.11:22, which the catalog does not declare " +
                    `(portForward); ${allowed}`,
            ],
        ]);
    });

    it.each([
        ["another host", { address: "192.168.30.11" }, "port 32400/tcp to 192.168.30.11:32400"],
        ["another port on the host", { forwardPort: 22 }, "port 32400/tcp to 192.168.30.12:22"],
        ["UDP as well", { protocol: "tcp_udp" }, "port 32400/tcp_udp to 192.168.30.12:32400"],
    ])("reports Plex's forward sent to %s", async (_, change, shown) => {
        const violations = await check(changed(forwardType, (resource) => Object.assign(resource.rawInputs, change)));
        expect(violations.map((violation) => [violation.policy, violation.message])).toEqual([
            [
                "port-forwards-match-catalog",
                `edge-unifi-forward-plex: forwards ${shown}; the catalog's forward for plex is 32400/tcp to ` +
                    `192.168.30.12:32400 (its host nas-prod-01); ${allowed}`,
            ],
        ]);
    });

    it("reports a WireGuard server on another port than homelab:unifi.wireguard.port", async () => {
        const violations = await check(changed(serverType, (resource) => (resource.rawInputs.port = 1194)));
        expect(violations.map((violation) => violation.message)).toEqual([
            "edge-unifi-wireguard: the WireGuard server listens on UDP 1194; allowed: UDP 51820 (homelab:unifi.wireguard.port)",
        ]);
    });

    it("leaves values not known yet (preview) to `up`", async () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        expect(await check(extraForward({ address: unknown, port: 22 }))).toEqual([]);
    });
});
