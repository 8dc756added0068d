import { catalog } from "../../catalog";
import { traefikStaticArgs, tunnelNetworkProblems } from "../../catalog/stacks/traefik";
import { containerSpecs } from "../../components/container-spec";
import { ingressArgs } from "../../components/kubernetes/render";
import { bothStacks, stackSettings, type RecordedResource, type StackName } from "../helpers/program";
import { containerNamed } from "../helpers/services";

/**
 * Traefik trusts forwarded headers from the tunnel connector's fixed address on the `tunnel`
 * network and from nothing else, so the apps behind it see the internet client's address.
 */

const networkType = "docker:index/network:Network";
const trust = "--entrypoints.websecure.forwardedheaders.trustedips=198.18.0.2/32";

const program = bothStacks();

function only(found: RecordedResource[]): RecordedResource {
    expect(found).toHaveLength(1);
    return found[0] as RecordedResource;
}

describe.each<StackName>(["lab", "prod"])("the client address behind the tunnel, %s", (stack) => {
    const traefik = (): RecordedResource => only(containerNamed(program(stack), "traefik"));
    const cloudflared = (): RecordedResource => only(containerNamed(program(stack), "cloudflared"));

    test("Traefik trusts forwarded headers from the connector's one address, on websecure, and nothing else", () => {
        const command = traefik().inputs.command as string[];
        expect(command.filter((arg) => /forwardedheaders|proxyprotocol|insecure/i.test(arg))).toEqual([trust]);
        const lan = stackSettings(stack).lanSubnet;
        expect(command.filter((arg) => arg.includes(lan) || arg.includes("0.0.0.0/0"))).toEqual([]);
        // The published entrypoints themselves are unchanged: the trust rides on websecure only.
        expect(command).toContain("--entrypoints.websecure.address=:443");
        expect(command).toContain("--entrypoints.web.address=:80");
    });

    test("one tunnel network, with the pinned subnet, gateway and a dynamic range that excludes the connector", () => {
        const tunnel = only(
            program(stack)
                .ofType(networkType)
                .filter((network) => network.inputs.name === "tunnel"),
        );
        expect(tunnel.name).toBe("hosts-docker-prod-01-tunnel");
        expect(tunnel.inputs).toEqual({
            name: "tunnel",
            driver: "bridge",
            ipamConfigs: [{ subnet: "198.18.0.0/28", gateway: "198.18.0.1", ipRange: "198.18.0.8/29" }],
        });
    });

    test("cloudflared sits on the tunnel network only, at 198.18.0.2; Traefik on proxy (first) and tunnel", () => {
        expect(cloudflared().inputs.networkMode).toBe("tunnel");
        expect(cloudflared().inputs.networksAdvanced).toEqual([{ name: "tunnel", ipv4Address: "198.18.0.2" }]);
        expect(traefik().inputs.networkMode).toBe("proxy");
        expect(traefik().inputs.networksAdvanced).toEqual([{ name: "proxy" }, { name: "tunnel" }]);
    });

    test("no other container joins the tunnel network", () => {
        const onTunnel = program(stack)
            .ofType("docker:index/container:Container")
            .filter((container) =>
                ((container.inputs.networksAdvanced ?? []) as { name: string }[]).some((n) => n.name === "tunnel"),
            )
            .map((container) => container.inputs.name);
        expect(onTunnel.sort()).toEqual(["cloudflared", "traefik"]);
    });

    test("the container specs say the same, for every consumer of them", () => {
        const specs = containerSpecs(catalog, stackSettings(stack));
        expect(specs.find((spec) => spec.name === "cloudflared")?.network).toEqual({
            mode: "bridge",
            networks: ["tunnel"],
            addresses: { tunnel: "198.18.0.2" },
        });
        expect(specs.find((spec) => spec.name === "traefik")?.network).toEqual({
            mode: "bridge",
            networks: ["proxy", "tunnel"],
        });
    });
});

describe("the trust does not follow Traefik onto the cluster", () => {
    test("the k3s ingress args carry no forwarded-header trust", () => {
        const args = ingressArgs(traefikStaticArgs(stackSettings("prod")), "homelab");
        expect(args.filter((arg) => /forwardedheaders|proxyprotocol/i.test(arg))).toEqual([]);
        expect(args).toContain("--entrypoints.websecure.address=:443");
    });
});

describe("a LAN that overlaps the tunnel network is refused", () => {
    test("the committed stacks have none", () => {
        for (const stack of ["lab", "prod", "fleet", "sandbox"] as const) {
            expect(tunnelNetworkProblems(stackSettings(stack))).toEqual([]);
        }
    });

    test("lanSubnet, a host address and a cluster node address in 198.18.0.0/28 are each named", () => {
        const settings = stackSettings("prod", {
            "homelab:lanSubnet": "198.18.0.0/16",
            "homelab:hosts": JSON.stringify({
                ...stackSettings("prod").hosts,
                "docker-prod-01": { ...stackSettings("prod").hosts["docker-prod-01"], address: "198.18.0.2" },
            }),
        });
        const allowed =
            "a LAN that does not overlap 198.18.0.0/28, the tunnel network Traefik trusts forwarded headers from " +
            "(catalog/stacks/traefik.ts tunnelNetwork)";
        expect(tunnelNetworkProblems(settings)).toEqual([
            `homelab:lanSubnet: "198.18.0.0/16" is not allowed; expected ${allowed}`,
            `homelab:hosts.docker-prod-01.address: "198.18.0.2" is not allowed; expected ${allowed}`,
        ]);
        const sandbox = stackSettings("sandbox");
        const withNode = {
            ...sandbox,
            cluster: sandbox.cluster && { ...sandbox.cluster, nodes: [{ name: "k3s-01", address: "198.18.0.9" }] },
        };
        expect(tunnelNetworkProblems(withNode)).toEqual([
            `homelab:cluster.nodes.k3s-01.address: "198.18.0.9" is not allowed; expected ${allowed}`,
        ]);
    });

    test("an adjacent LAN is accepted", () => {
        expect(tunnelNetworkProblems(stackSettings("prod", { "homelab:lanSubnet": "198.18.0.16/28" }))).toEqual([]);
    });
});
