import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { connectorToken } from "../../components/edge/token";

const calls: pulumi.runtime.MockCallArgs[] = [];

beforeAll(async () => {
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
            call: (args) => {
                calls.push(args);
                const inputs = args.inputs as { accountId: string; tunnelId: string };
                return { ...inputs, token: `token-for-${inputs.tunnelId}` };
            },
        },
        "homelab",
        "prod",
        false,
    );
});

const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

describe("connectorToken", () => {
    it("reads the token for the tunnel through the given provider and keeps it secret", async () => {
        const provider = new cloudflare.Provider("cf", { apiToken: "x" });
        const tunnel = new cloudflare.ZeroTrustTunnelCloudflared(
            "tunnel",
            { accountId: "a".repeat(32), name: "homelab", configSrc: "cloudflare" },
            { provider },
        );
        const token = connectorToken(tunnel, "a".repeat(32), { provider });

        expect(await value(token)).toBe("token-for-tunnel-id");
        expect(await pulumi.isSecret(token)).toBe(true);
        expect(calls).toHaveLength(1);
        expect(calls[0]?.token).toBe(
            "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken",
        );
        expect(calls[0]?.inputs).toEqual({ accountId: "a".repeat(32), tunnelId: "tunnel-id" });
        expect(calls[0]?.provider).toContain("pulumi:providers:cloudflare::cf");
    });
});
