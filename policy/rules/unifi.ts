import type { ResourceValidationPolicy } from "@pulumi/policy";
import { catalogForwards } from "../../components/edge/unifi/forwards";
import type { ContextOf } from "../context";
import { isUnknown, plainOf } from "../wire";
import { enforcementLevel, text } from "./read";

export const portForwardType = "pulumi-nodejs:dynamic/unifi:PortForward";
export const wireguardServerType = "pulumi-nodejs:dynamic/unifi:WireguardServer";

/** A known number (UniFi keeps ports as strings: "32400" counts), or undefined (absent or not known yet). */
function port(value: unknown): number | undefined {
    if (typeof value === "number") return value;
    const known = text(value);
    return known !== undefined && /^\d+$/.test(known) ? Number(known) : undefined;
}

const unknown = (...values: unknown[]): boolean => values.some((value) => isUnknown(value));

export function unifiPolicies(contextOf: ContextOf): ResourceValidationPolicy[] {
    return [
        {
            name: "port-forwards-match-catalog",
            description:
                "The gateway forwards only the catalog's ports (Plex's 32400/tcp to the NAS), each to its service's " +
                "host and nowhere else; its only other opening is the configured WireGuard server.",
            enforcementLevel,
            validateResource: (args, report) => {
                if (args.type !== portForwardType && args.type !== wireguardServerType) return;
                const { settings, services } = contextOf(args.urn);
                const props = plainOf(args.props);
                if (args.type === wireguardServerType) {
                    if (unknown(props.port)) return;
                    const expected = settings.unifi?.wireguard.port;
                    if (port(props.port) !== expected) {
                        report(
                            `${args.name}: the WireGuard server listens on UDP ${String(props.port)}; allowed: ` +
                                (expected === undefined
                                    ? "no WireGuard server where homelab:unifi is not set"
                                    : `UDP ${expected} (homelab:unifi.wireguard.port)`),
                        );
                    }
                    return;
                }
                // Values not known yet (preview) are judged at `up`.
                if (unknown(props.address, props.port, props.forwardPort, props.protocol, props.source)) return;
                const allowed = catalogForwards(services.values(), settings).filter(
                    (forward) => forward.address !== undefined,
                );
                const listed =
                    allowed
                        .map(
                            (forward) =>
                                `${forward.port}/${forward.protocol} → ${forward.address ?? ""} (${forward.service}: ${forward.reason})`,
                        )
                        .join("; ") || "none";
                const wanPort = port(props.port);
                const address = text(props.address);
                const protocol = text(props.protocol);
                const forward = allowed.find((candidate) => candidate.port === wanPort);
                const shown = `port ${String(props.port)}/${String(props.protocol)} to ${String(props.address)}:${String(props.forwardPort)}`;
                if (forward === undefined) {
                    report(
                        `${args.name}: forwards ${shown}, which the catalog does not declare (portForward); ` +
                            `allowed forwards: ${listed}`,
                    );
                    return;
                }
                if (
                    address !== forward.address ||
                    port(props.forwardPort) !== forward.port ||
                    protocol !== forward.protocol
                ) {
                    report(
                        `${args.name}: forwards ${shown}; the catalog's forward for ${forward.service} is ` +
                            `${forward.port}/${forward.protocol} to ${forward.address ?? ""}:${forward.port} (its host ${forward.host}); ` +
                            `allowed forwards: ${listed}`,
                    );
                }
            },
        },
    ];
}
