import { catalog } from "../catalog";
import { monitorProblems, monitorTarget, uptimeMonitors, type Monitor } from "../components/monitoring/monitors";
import { ConfigError } from "../config/errors";
import { loadProgram, stackSettings, type Program } from "./helpers/program";
import { whoamiEntry } from "./helpers/services";

const services = catalog.filter((entry) => entry.enabled !== false);

function writtenMonitors(program: Program): Record<string, Monitor> {
    const [fileSet, ...others] = program
        .ofType("pulumi-nodejs:dynamic/homelab:LocalFileSet")
        .filter((r) => r.name === "uptime-monitors-write");
    expect(others).toEqual([]);
    const files = (fileSet?.inputs.files ?? {}) as Record<string, string>;
    return Object.fromEntries(
        Object.entries(files).map(([file, content]) => [file.replace(/\.json$/, ""), JSON.parse(content) as Monitor]),
    );
}

describe("Uptime Kuma's monitors come from the catalog", () => {
    let lab: Program;
    let prod: Program;
    beforeAll(async () => {
        lab = await loadProgram("lab");
        prod = await loadProgram("prod");
    });

    test("the lab writes one file per monitor into AutoKuma's static monitor directory", () => {
        const fileSet = lab
            .ofType("pulumi-nodejs:dynamic/homelab:LocalFileSet")
            .find((r) => r.name === "uptime-monitors-write");
        expect(fileSet?.inputs.directory).toBe("/var/tmp/homelab-lab/appdata/autokuma/monitors");
        expect(fileSet?.inputs.ownedSuffix).toBe(".json");
    });

    test("the lab's monitors are exactly its `urls` output, one HTTP monitor each (no public names there)", () => {
        const monitors = writtenMonitors(lab);
        expect(Object.keys(monitors).sort()).toEqual(Object.keys(lab.outputs.urls as object).sort());
        const http = Object.entries(monitors).filter(([, monitor]) => monitor.type === "http");
        const urls = lab.outputs.urls as Record<string, string>;
        expect(http.map(([id]) => id).sort()).toEqual(Object.keys(urls).sort());
        for (const [id, monitor] of http) {
            if (monitor.type !== "http") continue;
            expect(new URL(monitor.url).origin).toBe(urls[id]);
        }
    });

    test("health paths, and forward-auth services expected to answer with the login redirect", () => {
        const monitors = writtenMonitors(lab);
        expect(monitors.sonarr).toEqual({
            name: "Sonarr (TV)",
            type: "http",
            url: "https://sonarr.giohosted.localhost:8443/",
            interval: 60,
            accepted_statuscodes: ["300-399"],
            max_redirects: 0,
        });
        expect(monitors.audiobookshelf).toEqual({
            name: "Audiobookshelf",
            type: "http",
            url: "https://audiobooks.giohosted.localhost:8443/healthcheck",
            interval: 60,
            accepted_statuscodes: ["200-299"],
            max_redirects: 10,
        });
    });

    test("prod: one public-DNS monitor per external hostname and the split-horizon probes, over SSH on docker-prod-01", () => {
        const script = prod.ofType("command:remote:Command").find((r) => r.name === "uptime-monitors-write");
        expect((script?.inputs.connection as { host: string }).host).toBe("192.168.30.11");
        const stdin = String(script?.inputs.stdin);
        const written = (suffix: string): string[] =>
            [
                ...stdin.matchAll(
                    new RegExp(`install_file '/opt/appdata/autokuma/monitors/((?:[a-z0-9-]+-)?${suffix})\\.json'`, "g"),
                ),
            ]
                .map((match) => match[1] ?? "")
                .sort();
        expect(written("public")).toEqual([
            "audiobookshelf-public",
            "authentik-server-public",
            "seerr-public",
            "shelfmark-public",
        ]);
        expect(written("split-horizon(?:-replica-\\d+)?")).toEqual(["split-horizon", "split-horizon-replica-1"]);
        expect(stdin).toContain('"hostname": "request.giohosted.com"');
        expect(stdin).toContain('"dns_resolve_type": "A"');
        expect(stdin).not.toContain("CNAME");
    });

    test("prod: the exact monitors of an external service, an internal one and the split horizon", () => {
        const monitors = uptimeMonitors(services, stackSettings("prod"));
        expect(monitors.seerr).toEqual({
            name: "Seerr",
            type: "http",
            url: "https://request.giohosted.com/api/v1/status",
            interval: 60,
            accepted_statuscodes: ["200-299"],
            max_redirects: 10,
        });
        // Cloudflare answers the proxied record with its own addresses: an A question, no condition on them.
        expect(monitors["seerr-public"]).toEqual({
            name: "Seerr (public DNS)",
            type: "dns",
            hostname: "request.giohosted.com",
            port: 53,
            dns_resolve_server: "1.1.1.1",
            dns_resolve_type: "A",
            interval: 300,
            conditions: [],
        });
        expect(monitors.sonarr).toEqual({
            name: "Sonarr (TV)",
            type: "http",
            url: "https://sonarr.giohosted.com/",
            interval: 60,
            accepted_statuscodes: ["300-399"],
            max_redirects: 0,
        });
        expect(monitors["sonarr-public"]).toBeUndefined();
        const splitHorizon = (server: string): Monitor => ({
            name: `Split-horizon DNS (AdGuard ${server})`,
            type: "dns",
            hostname: "traefik.giohosted.com",
            port: 53,
            dns_resolve_server: server,
            dns_resolve_type: "A",
            interval: 300,
            conditions: [
                { type: "expression", variable: "record", operator: "equals", value: "192.168.30.11", andOr: "and" },
            ],
        });
        expect(monitors["split-horizon"]).toEqual(splitHorizon("192.168.30.2"));
        expect(monitors["split-horizon-replica-1"]).toEqual(splitHorizon("192.168.30.3"));
    });

    test("prod: no DNS monitor asks for a CNAME (the tunnel's records are proxied)", () => {
        const monitors = uptimeMonitors(services, stackSettings("prod"));
        const dns = Object.values(monitors).flatMap((monitor) => (monitor.type === "dns" ? [monitor] : []));
        // The JSON as AutoKuma reads it, not the type: four public names and two AdGuard probes, all A.
        const asked = dns.map(
            (monitor) => (JSON.parse(JSON.stringify(monitor)) as { dns_resolve_type: string }).dns_resolve_type,
        );
        expect(asked).toEqual(["A", "A", "A", "A", "A", "A"]);
        expect(JSON.stringify(monitors)).not.toContain("CNAME");
    });

    test("a k3s service's exact rewrite gets its own probe, expecting the cluster's ingress", () => {
        const settings = stackSettings("prod", {
            "homelab:targets": JSON.stringify({ "immich-server": "k3s" }),
            "homelab:cluster": JSON.stringify({
                k3sVersion: "v1.33.5+k3s1",
                nodes: [{ name: "k3s-01", address: "192.168.30.21" }],
            }),
        });
        const monitors = uptimeMonitors(services, settings);
        expect(monitors["immich-server-split-horizon"]).toMatchObject({
            hostname: "photos.giohosted.com",
            dns_resolve_server: "192.168.30.2",
            conditions: [
                { type: "expression", variable: "record", operator: "equals", value: "192.168.30.21", andOr: "and" },
            ],
        });
        expect(monitors["immich-server-split-horizon-replica-1"]).toMatchObject({ dns_resolve_server: "192.168.30.3" });
        // The wildcard's probe still asks for Traefik's name, which the wildcard answers.
        expect(monitors["split-horizon"]).toMatchObject({ hostname: "traefik.giohosted.com" });
    });

    test("adding a routed service adds exactly its monitor", () => {
        const extra = whoamiEntry();
        const settings = stackSettings("prod");
        const before = Object.keys(uptimeMonitors(services, settings));
        const after = uptimeMonitors([...services, extra], settings);
        expect(Object.keys(after).filter((id) => !before.includes(id))).toEqual(["whoami"]);
        expect(after.whoami).toMatchObject({ url: "https://whoami.giohosted.com/health" });
    });
});

describe("a monitor that could never go green is refused before any resource", () => {
    const prod = stackSettings("prod");

    function problemsOf(run: () => unknown): readonly string[] {
        try {
            run();
        } catch (error) {
            if (error instanceof ConfigError) return error.problems;
            throw error;
        }
        return [];
    }

    const routed =
        "dockman, homarr, authentik-server, sonarr, sonarr-anime, radarr, radarr-4k, prowlarr, bazarr, profilarr, " +
        "maintainerr, seerr, tautulli, qbittorrent, qbitrr, audiobookshelf, calibre-web-automated, shelfmark, " +
        "immich-server, beszel, uptime-kuma, plex";

    test("a monitor of a service Traefik does not route names it and the routed services", () => {
        expect(problemsOf(() => monitorTarget("autokuma", services, prod))).toEqual([
            `monitors: a monitor of "autokuma", which is not routed; expected a routed service, one of traefik, ${routed}`,
        ]);
    });

    test("the split-horizon probe needs the ingress routed", () => {
        const unrouted = services.map((entry) => (entry.name === "traefik" ? { ...entry, route: undefined } : entry));
        const problems = monitorProblems(prod, unrouted);
        expect(problems).toEqual([
            'monitors: the split-horizon probe asks for the hostname of roles.ingress "traefik", which is not routed; ' +
                `expected a routed service, one of ${routed}`,
        ]);
        expect(problemsOf(() => uptimeMonitors(unrouted, prod))).toEqual(problems);
        // The lab manages no rewrite, so it has no probe to refuse.
        expect(monitorProblems(stackSettings("lab"), unrouted)).toEqual([]);
    });

    test("an AdGuard Home named under the domain is refused: the rewrite answers that name with Traefik", () => {
        const settings = stackSettings("prod", {
            "homelab:adguard": JSON.stringify({
                originUrl: "http://adguard.giohosted.com",
                replicaUrls: ["http://192.168.30.3"],
                syncCron: "*/10 * * * *",
            }),
        });
        expect(monitorProblems(settings, services)).toEqual([
            'homelab:adguard.originUrl: "http://adguard.giohosted.com" is not allowed where homelab:edge is true; ' +
                "expected AdGuard Home by IP address or by a name outside giohosted.com (the split-horizon rewrite " +
                "answers *.giohosted.com with Traefik, so a DNS monitor could not reach AdGuard Home by that name)",
        ]);
        expect(monitorProblems(prod, services)).toEqual([]);
    });
});
