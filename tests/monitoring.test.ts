import { catalog } from "../catalog";
import { uptimeMonitors, type Monitor } from "../components/monitoring/monitors";
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

    test("prod: one public-DNS monitor per external hostname, over SSH on docker-prod-01", () => {
        const script = prod.ofType("command:remote:Command").find((r) => r.name === "uptime-monitors-write");
        expect((script?.inputs.connection as { host: string }).host).toBe("192.168.30.11");
        const stdin = String(script?.inputs.stdin);
        const external = prod.outputs.externalUrls as Record<string, string>;
        const dnsFiles = [
            ...stdin.matchAll(/install_file '\/opt\/appdata\/autokuma\/monitors\/([a-z0-9-]+-public)\.json'/g),
        ].map((match) => match[1]);
        expect(dnsFiles.sort()).toEqual(
            Object.keys(external)
                .map((name) => `${name}-public`)
                .sort(),
        );
        expect(stdin).toContain('"hostname": "request.giohosted.com"');
        expect(stdin).toContain('"dns_resolve_type": "CNAME"');
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
