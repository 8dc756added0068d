/**
 * report.md: what the adoption found, blocking items first: what must be settled before
 * `pulumi up`, the VMs, the networks, the containers adopted, to recreate, unknown and missing.
 */
import { providerTypes } from "./expected";
import type { Adoption } from "./adoption";

type ReportInput = Omit<Adoption, "report">;

/** A `|` inside a value would end its table cell. */
const cell = (text: string): string => text.replace(/\|/g, "\\|");

function blockingSection(result: ReportInput): string[] {
    const lines = [`## Blocking before \`pulumi up\` (${result.blocking.length})`, ""];
    if (result.blocking.length === 0) {
        lines.push("None: every VM checked matches its `vm` block, and every image volume has its mount.");
        return lines;
    }
    lines.push(
        "A VM that differs from its `vm` block shows in `pulumi preview --diff` only as an in-place update of the",
        "adopted VM, easy to approve without noticing (an unchecked VM may hide one). Settle each item: take the real",
        "value into the stack config, or change the VM deliberately and save its `qm config` again. Then run the",
        "adoption again: it exits 1 until none is left. An image volume without a mount holds data the first",
        "`pulumi up` would leave behind: mount it in the catalog and copy the data over first.",
        "",
        "| where | what | configured | real | fix |",
        "|---|---|---|---|---|",
    );
    for (const item of result.blocking) {
        lines.push(
            `| ${item.host} (${item.subject}) | ${cell(item.what)} | ${cell(item.configured)} | ${cell(item.real)} | ${cell(item.fix)} |`,
        );
    }
    return lines;
}

export function adoptionReport(stack: string, result: ReportInput): string {
    const lines = [`# Adoption report: stack ${stack}`, "", ...blockingSection(result), ""];
    const vms = result.vms.resources.filter((r) => r.type === providerTypes.vm);
    lines.push("## Proxmox VMs (`vm.adopt: true`, by id from the stack config; Proxmox was not contacted)", "");
    if (vms.length === 0) lines.push("None.");
    for (const vm of vms) {
        const check = result.vmChecks.find((c) => c.vm === vm.id);
        lines.push(
            `- ${vm.logicalName ?? vm.name}: ${vm.id ?? ""}${check === undefined ? "" : ` (qm config: ${check.result})`}`,
        );
    }
    // VMs no longer marked adopt (imported earlier) whose qm config was still saved.
    const alsoChecked = result.vmChecks.filter((c) => !vms.some((vm) => vm.id === c.vm));
    for (const check of alsoChecked)
        lines.push(`- ${check.host}: ${check.vm}, not marked adopt (qm config: ${check.result})`);
    if (vms.length > 0) {
        lines.push(
            "",
            "After importing 2-vms.json, set each one's `vm.adopt` to false: `pulumi import` records no import id,",
            "so the program's own import of an adopted VM (by <node>/<vmid>) would plan to import it a second time.",
        );
    }
    lines.push("", "## Networks", "");
    for (const network of result.networks) {
        const state = network.found
            ? network.differences.length === 0
                ? "found, imported"
                : `found, not imported: it differs (${network.differences.join("; ")})`
            : "not found: `pulumi up` creates it";
        lines.push(`- ${network.network} (${network.resource}): ${state}`);
    }
    if (result.recreate.length > 0) {
        lines.push(
            "",
            `## To recreate instead of adopt (${result.recreate.length})`,
            "",
            "Docker cannot change a network in place, and the program's replacement would clash with the",
            "network's name while these containers use it. Before `pulumi up`, remove them and the network",
            "(`docker compose down` in their stack directory: appdata stays on disk); `pulumi up` recreates both.",
            "",
        );
        for (const c of result.recreate) lines.push(`- ${c.container} on ${c.host} (on ${c.networks.join(", ")})`);
    }
    lines.push("", `## Adopted containers (${result.adopted.length})`, "");
    lines.push("| container | stack | host | image as catalog pins it | compose project |", "|---|---|---|---|---|");
    for (const c of result.adopted) {
        lines.push(
            `| ${c.container} | ${c.stack} | ${c.host} | ${c.imageMatches ? "yes" : "no: replaced by the pinned image"} | ${c.composeProject ?? "-"} |`,
        );
    }
    if (result.adopted.some((c) => c.composeProject !== undefined)) {
        lines.push(
            "",
            "Compose labels its containers (`com.docker.compose.*`) and Docker cannot change a container's labels:",
            "the first `pulumi up` recreates each adopted compose container once (same name, same appdata).",
        );
    }
    lines.push("", `## Running but not in the catalog (${result.unknown.length})`, "");
    for (const c of result.unknown) {
        lines.push(`- ${c.container} (${c.image}, ${c.running ? "running" : "stopped"}) on ${c.endpoint}`);
    }
    lines.push("", `## In the catalog but not running (${result.missing.length}): \`pulumi up\` creates them`, "");
    for (const m of result.missing) lines.push(`- ${m.service} on ${m.host}`);
    return `${lines.join("\n")}\n`;
}
