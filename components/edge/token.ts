import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/**
 * The tunnel's connector token, read from Cloudflare through the Edge's provider (in cloudflare v6
 * the tunnel resource no longer carries it). An invoke result is not kept in the state; the value is
 * marked secret here so that every resource it reaches keeps it secret.
 */
export function connectorToken(
    tunnel: cloudflare.ZeroTrustTunnelCloudflared,
    accountId: string,
    opts: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
    const result = cloudflare.getZeroTrustTunnelCloudflaredTokenOutput({ accountId, tunnelId: tunnel.id }, opts);
    return pulumi.secret(result.token);
}
