/**
 * docs/services.md from the catalog and Pulumi.prod.yaml: every service with its stack, host, URL,
 * exposure, Authentik sign-in (forward-auth or the app's own OIDC) and image pin, and a Mermaid diagram of hosts → stacks → services with
 * the tunnel path of the external hostnames.
 *
 *   npm run docs              writes docs/services.md
 *   npm run docs -- --check   exits 1 when the committed file differs (CI)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { catalog } from "../catalog";
import { ssoKindOf } from "../catalog/sso";
import { imageRef, stackNames, type ServiceEntry } from "../catalog/types";
import { everyHost, hostNames, roles } from "../topology";
import type { Settings } from "../config/schema";
import { hostSummary, urlOf } from "../components/outputs";
import { volumesFor } from "../components/spec";
import { settingsOfStackFile } from "../config/load";
import { readStackFile, stackFilePath } from "../config/stack-file";

export const docsFile = path.join(__dirname, "..", "docs", "services.md");

const id = (...parts: string[]): string => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
const hostsOf = (entry: ServiceEntry, settings: Settings): string[] =>
    entry.host === everyHost ? hostNames.filter((name) => settings.hosts[name] !== undefined) : [entry.host];

/** A Markdown table laid out the way Prettier lays it out (padded cells), so `prettier --check` passes. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
    const widths = header.map((cell, i) => Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: readonly string[]): string =>
        `| ${widths.map((width, i) => (cells[i] ?? "").padEnd(width)).join(" | ")} |`;
    return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}

function serviceTable(services: readonly ServiceEntry[], settings: Settings): string[] {
    const rows = services.map((entry) => {
        const route = entry.route;
        const host =
            entry.host === everyHost ? "every host" : `${entry.host} (${settings.hosts[entry.host]?.address ?? "?"})`;
        const exposure = [
            route?.exposure ?? "no route",
            ...(entry.portForward ? [`port ${entry.portForward.port} forwarded`] : []),
        ].join(", ");
        return [
            `${entry.title} (\`${entry.name}\`)`,
            entry.stack,
            host,
            urlOf(entry, settings) ?? "—",
            exposure,
            route === undefined ? "—" : (ssoKindOf(entry) ?? "none"),
            `\`${imageRef(entry.image)}\``,
        ];
    });
    return table(["service", "stack", "host", "URL", "exposure", "sign-in (Authentik)", "image pin"], rows);
}

/** Where each service's state lands on its host, from the image facts the catalog records. */
function storageTable(services: readonly ServiceEntry[], settings: Settings): string[] {
    const code = (paths: readonly string[]): string => paths.map((p) => `\`${p}\``).join(", ") || "—";
    const rows = services.map((entry) => {
        const host = settings.hosts[hostsOf(entry, settings)[0] ?? ""];
        const volumes = host === undefined ? [] : volumesFor(entry, settings, host);
        const landing = [...entry.storage.statePaths, ...entry.storage.declaredVolumes]
            .map((path) => volumes.filter((v) => path === v.containerPath || path.startsWith(`${v.containerPath}/`)))
            .flatMap((covering) => covering.map((v) => v.hostPath));
        return [
            `\`${entry.name}\``,
            code(entry.storage.declaredVolumes),
            code(entry.storage.statePaths),
            code([...new Set(landing)]),
            entry.storage.source,
        ];
    });
    return table(["service", "image VOLUMEs", "state", "on the host", "read from"], rows);
}

function hostTable(services: readonly ServiceEntry[], settings: Settings): string[] {
    const summary = hostSummary(services, settings);
    return table(
        ["host", "address", "stacks", "router port forwards"],
        Object.entries(summary).map(([name, host]) => [
            name,
            host.address,
            host.stacks.join(", "),
            host.portForwards.map((f) => `${f.port} → ${f.service}`).join(", ") || "—",
        ]),
    );
}

/** Hosts contain their stacks, stacks their services; external hostnames enter through the tunnel. */
export function architectureDiagram(services: readonly ServiceEntry[], settings: Settings): string[] {
    const lines = ["flowchart LR"];
    const node = (entry: ServiceEntry, host: string): string =>
        id("svc", entry.name, ...(entry.host === everyHost ? [host] : []));
    for (const host of hostNames) {
        const address = settings.hosts[host]?.address;
        if (address === undefined) continue;
        lines.push(`    subgraph ${id("host", host)}["${host} (${address})"]`);
        for (const stack of stackNames) {
            const here = services.filter((entry) => entry.stack === stack && hostsOf(entry, settings).includes(host));
            if (here.length === 0) continue;
            lines.push(`        subgraph ${id("stack", host, stack)}["${stack}"]`);
            for (const entry of here) lines.push(`            ${node(entry, host)}["${entry.title}"]`);
            lines.push("        end");
        }
        lines.push("    end");
    }
    const traefik = services.find((entry) => entry.name === roles.ingress);
    const connector = services.find((entry) => entry.name === "cloudflared");
    const external = services.filter((entry) => entry.route?.exposure === "external");
    if (traefik !== undefined) {
        lines.push(`    lan(("LAN + WireGuard")) -->|"*.${settings.domain} (AdGuard rewrite)"| ${node(traefik, "")}`);
    }
    if (traefik !== undefined && connector !== undefined && external.length > 0) {
        lines.push(`    internet(("Internet")) --> tunnel["Cloudflare Tunnel"]`);
        lines.push(`    tunnel --> ${node(connector, "")} --> ${node(traefik, "")}`);
        for (const entry of external) {
            lines.push(
                `    ${node(traefik, "")} -->|"${entry.route?.subdomain ?? ""}.${settings.domain}"| ${node(entry, "")}`,
            );
        }
    }
    for (const entry of services.filter((e) => e.portForward !== undefined)) {
        lines.push(
            `    internet(("Internet")) -->|"port ${entry.portForward?.port ?? ""} forward"| ${node(entry, "")}`,
        );
    }
    return lines;
}

/** The whole document, already in the form Prettier gives Markdown (CI checks both). */
export function servicesDoc(services: readonly ServiceEntry[], settings: Settings): string {
    const enabled = services.filter((entry) => entry.enabled !== false);
    return [
        "<!-- Generated by `npm run docs` from catalog/ and Pulumi.prod.yaml: edit those, not this file. -->",
        "",
        "# Services",
        "",
        `Every service of the homelab (stack \`prod\`, domain \`${settings.domain}\`). Internal URLs resolve on the LAN`,
        "and over WireGuard through AdGuard's split-horizon rewrite to Traefik; external ones also through the",
        "Cloudflare tunnel. Forward-auth means Authentik signs the user in before Traefik passes the request on.",
        "",
        ...serviceTable(enabled, settings),
        "",
        "## Hosts",
        "",
        ...hostTable(enabled, settings),
        "",
        "## Where each service keeps its data",
        "",
        "The paths each image declares as `VOLUME` and writes its state to, read from its upstream source at the",
        "pinned tag, and the host paths the catalog's mounts put them on (appdata is Tier 1's, the NAS's tree the",
        "NAS's own backups'). `npm run adopt` compares the declared volumes with each pulled image on a real host.",
        "",
        ...storageTable(enabled, settings),
        "",
        "## Architecture",
        "",
        "```mermaid",
        ...architectureDiagram(enabled, settings),
        "```",
        "",
    ].join("\n");
}

function main(argv: readonly string[]): number {
    const settings = settingsOfStackFile(readStackFile(stackFilePath(path.join(__dirname, ".."), "prod")));
    const content = servicesDoc(catalog, settings);
    const committed = fs.existsSync(docsFile) ? fs.readFileSync(docsFile, "utf8") : "";
    if (argv.includes("--check")) {
        if (committed === content) return 0;
        console.error(`${path.relative(process.cwd(), docsFile)} is out of date: run \`npm run docs\` and commit it`);
        return 1;
    }
    fs.mkdirSync(path.dirname(docsFile), { recursive: true });
    fs.writeFileSync(docsFile, content);
    console.log(`wrote ${path.relative(process.cwd(), docsFile)}`);
    return 0;
}

if (require.main === module) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (error) {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
    }
}
