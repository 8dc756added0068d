import { catalog } from "../../catalog";
import { guardrails, imagePinProblem } from "../../catalog/policy";
import { stackSettings, type StackName } from "../helpers/program";

/** The allowlists the issue fixes; widening one is a deliberate change to this test. */
describe.each<StackName>(["lab", "prod"])("the %s stack's allowlists", (stack) => {
    const allowed = guardrails(catalog, stackSettings(stack));
    const pairs = <T extends { service: string }>(items: T[], detail: (item: T) => string) =>
        items.map((item) => `${item.service} ${detail(item)}`).sort();

    it("give every catalog need a written reason", () => {
        expect(allowed.unexplained).toEqual([]);
        const reasons = [
            ...allowed.dockerSocket,
            ...allowed.hostNetwork,
            ...allowed.publishedPorts,
            ...allowed.capabilities,
            ...allowed.devices,
            ...allowed.identityExceptions,
            ...allowed.unguardedRoutes,
        ].map((item) => item.reason);
        expect(reasons.filter((reason) => reason.trim().length < 10)).toEqual([]);
    });

    it("allow the Docker socket to Traefik and the Beszel agent read-only, to Dockman read-write", () => {
        expect(pairs(allowed.dockerSocket, (item) => (item.readOnly ? "ro" : "rw"))).toEqual([
            "beszel-agent ro",
            "dockman rw",
            "traefik ro",
        ]);
    });

    it("allow host networking to Plex and the Beszel agent", () => {
        expect(allowed.hostNetwork.map((item) => item.service).sort()).toEqual(["beszel-agent", "plex"]);
    });

    it("allow NET_ADMIN and /dev/net/tun to Gluetun, /dev/dri to Plex", () => {
        expect(pairs(allowed.capabilities, (item) => item.capability)).toEqual(["gluetun NET_ADMIN"]);
        expect(pairs(allowed.devices, (item) => item.path)).toEqual(["gluetun /dev/net/tun", "plex /dev/dri"]);
    });

    it("allow published ports to Traefik, Gluetun and the services Traefik reaches across hosts", () => {
        expect(pairs(allowed.publishedPorts, (item) => `${item.port}/${item.protocol}`)).toEqual([
            "authentik-server 9000/tcp",
            "gluetun 6881/tcp",
            "gluetun 6881/udp",
            "immich-server 2283/tcp",
            "plex 32400/tcp",
            "traefik 443/tcp",
            "traefik 80/tcp",
        ]);
    });

    it("let only Calibre-Web-Automated and Plex route internally without forward-auth or OIDC", () => {
        expect(allowed.unguardedRoutes.map((item) => item.service).sort()).toEqual(["calibre-web-automated", "plex"]);
    });

    it("list the external hostnames and the stateful services", () => {
        const domain = stackSettings(stack).domain;
        expect(allowed.externalHostnames).toEqual(
            ["audiobooks", "auth", "books", "request"].map((name) => `${name}.${domain}`),
        );
        expect(allowed.statefulServices.sort()).toEqual(["authentik-postgresql", "immich-postgres"]);
    });
});

describe("imagePinProblem", () => {
    it.each([
        ["ghcr.io/ra341/dockman:v3.2.0", undefined],
        ["localhost:5000/app:1.0", undefined],
        [`docker.io/library/postgres@sha256:${"a".repeat(64)}`, undefined],
        [`docker.io/library/postgres:16-alpine@sha256:${"b".repeat(64)}`, undefined],
        ["traefik:latest", 'uses the moving "latest" tag'],
        ["localhost:5000/app", "has neither a tag nor a digest (Docker pulls latest)"],
        ["traefik:", "has an empty tag"],
        ["traefik@sha256:short", 'has a malformed digest "sha256:short" (expected sha256:<64 hex digits>)'],
    ])("%s", (reference, problem) => {
        expect(imagePinProblem(reference)).toBe(problem);
    });
});
