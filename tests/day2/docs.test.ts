import * as fs from "node:fs";
import { catalog } from "../../catalog";
import { docsFile, servicesDoc } from "../../scripts/docs";
import { stackSettings } from "../helpers/program";

const settings = stackSettings("prod");
const enabled = catalog.filter((entry) => entry.enabled !== false);

describe("docs/services.md", () => {
    const generated = servicesDoc(catalog, settings);

    test("the committed file is what `npm run docs` generates now (run it after a catalog change)", () => {
        expect(fs.readFileSync(docsFile, "utf8")).toBe(generated);
    });

    test("one row per enabled service, with its URL, exposure, Authentik sign-in and pinned image", () => {
        const rows = generated.split("\n").filter((line) => /^\| .+ \(`[a-z0-9-]+`\)/.test(line));
        expect(rows).toHaveLength(enabled.length);
        expect(generated).toMatch(
            /\| Seerr \(`seerr`\) +\| arr +\| docker-prod-01 \(192\.168\.30\.11\) +\| https:\/\/request\.giohosted\.com +\| external +\| none +\| `ghcr\.io\/seerr-team\/seerr:v3\.1\.0` +\|/,
        );
        expect(generated).toMatch(/\| Plex Media Server \(`plex`\) .*\| internal, port 32400 forwarded +\| none +\|/);
        expect(generated).toMatch(/\| Homarr \(`homarr`\) .*\| internal +\| oidc +\|/);
        expect(generated).toMatch(/\| Sonarr \(TV\) \(`sonarr`\) .*\| internal +\| forward-auth +\|/);
    });

    test("the diagram nests services in stacks in hosts and draws the tunnel path of every external hostname", () => {
        for (const host of Object.keys(settings.hosts))
            expect(generated).toContain(`subgraph host_${host.replace(/-/g, "_")}[`);
        expect(generated).toContain("tunnel --> svc_cloudflared --> svc_traefik");
        const external = enabled.filter((entry) => entry.route?.exposure === "external");
        expect(external.length).toBeGreaterThan(0);
        for (const entry of external) {
            expect(generated).toContain(
                `svc_traefik -->|"${entry.route?.subdomain ?? ""}.${settings.domain}"| svc_${entry.name.replace(/-/g, "_")}`,
            );
        }
    });
});
