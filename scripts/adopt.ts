/**
 * The adoption command: takes a running homelab (hand-run compose stacks on existing VMs) into a
 * stack's state. It runs the program under mocks to learn what it registers (scripts/adopt/expected.ts),
 * reads what runs on each Docker engine (inspect.ts), matches the two by container and network name
 * (adoption.ts) and writes three `pulumi import --file` documents (1-components, 2-vms, 3-docker) and
 * report.md (report.ts).
 *
 * Nothing here contacts Proxmox: VMs are imported by the <node>/<vmid> in the stack config, and
 * checked against the `qm config <vmid>` output the owner saved as <DIR>/<vmid>.conf (default
 * <out>/qm; scripts/adopt/qm.ts). Every difference, and every adopted VM without that file, is a
 * blocking item: the report lists them first and the command exits 1 after writing its files.
 * Docker engines are read with the `docker` CLI through each host's endpoint (ssh://deploy@<address>
 * in prod); --docker-host reads every host from one engine instead (the lab, tests).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { catalog } from "../catalog";
import { settingsOfStackFile } from "../config/load";
import { readStackFile, stackFilePath } from "../config/stack-file";
import { plainConfigOf } from "../config/stack-values";
import { vmHosts } from "../hosts/problems";
import type { RecordedResource } from "./lib/mock-run";
import { adoption, type Adoption } from "./adopt/adoption";
import type { PluginVersions } from "./adopt/documents";
import { expectedState, recordProgram } from "./adopt/expected";
import { readEngine, type EngineSnapshot } from "./adopt/inspect";

export const usage = `usage: npm run adopt -- --stack <prod|lab> [--config-file F] [--out DIR] [--docker-host URL] [--qm-config DIR]

  --stack <name>       the stack to adopt into: the program runs under mocks with its config
  --config-file <F>    that stack's config file (default Pulumi.<stack>.yaml)
  --out <DIR>          where 1-components.json, 2-vms.json, 3-docker.json and report.md go (default .adopt/<stack>)
  --docker-host <URL>  read every host from this one engine instead of each host's own endpoint
  --qm-config <DIR>    where each adopted VM's saved \`qm config <vmid>\` output is, as <vmid>.conf (default <out>/qm)`;

const root = path.resolve(__dirname, "..");

interface Options {
    stack: string;
    configFile: string;
    out: string;
    dockerHost?: string;
    /** Where the owner saved each VM's `qm config <vmid>` as <vmid>.conf. */
    qmDir: string;
}

function parseArgs(argv: readonly string[]): Options {
    const value = (flag: string): string | undefined => {
        const i = argv.indexOf(flag);
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const stack = value("--stack");
    if (stack === undefined) throw new Error(usage);
    const out = value("--out") ?? path.join(root, ".adopt", stack);
    return {
        stack,
        configFile: value("--config-file") ?? stackFilePath(root, stack),
        out,
        dockerHost: value("--docker-host"),
        qmDir: value("--qm-config") ?? path.join(out, "qm"),
    };
}

/** The saved `qm config` outputs of these VM ids (`<dir>/<vmid>.conf`), where the owner saved one. */
export function readQmConfigs(dir: string, vmIds: readonly number[]): Map<number, string> {
    const texts = new Map<number, string>();
    for (const vmId of vmIds) {
        const file = path.join(dir, `${vmId}.conf`);
        if (fs.existsSync(file)) texts.set(vmId, fs.readFileSync(file, "utf8"));
    }
    return texts;
}

/** The plugin versions the SDK packages pin: the import entries name the plugins the program uses. */
function pluginVersions(): PluginVersions {
    const pulumiField = (pkg: string): { version: string; server?: string } =>
        (
            JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as {
                pulumi: { version: string; server?: string };
            }
        ).pulumi;
    return { docker: pulumiField("@pulumi/docker").version, proxmoxve: pulumiField("@muhlba91/pulumi-proxmoxve") };
}

/** A path as the owner typed it or can paste it: relative to the working directory when inside it. */
function shown(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative === "" || relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** Where the command reads from; a test passes snapshots and its own run of the program. */
export interface Sources {
    readEngine: (endpoint: string, dockerHost: string) => EngineSnapshot;
    /** The program's resources for a stack run with this plain config (`homelab:key` → string). */
    recordProgram: (stack: string, config: Record<string, string>) => Promise<readonly RecordedResource[]>;
}

export interface AdoptRun {
    adoption: Adoption;
    /** 1 when the report has blocking items: the files are written all the same. */
    exitCode: 0 | 1;
    reportFile: string;
}

export async function main(argv: readonly string[], sources: Partial<Sources> = {}): Promise<AdoptRun> {
    const options = parseArgs(argv);
    const read = sources.readEngine ?? readEngine;
    const record = sources.recordProgram ?? ((stack, config) => recordProgram(root, stack, config));
    const stackFile = readStackFile(options.configFile);
    const settings = settingsOfStackFile(stackFile);
    const expected = expectedState(await record(options.stack, plainConfigOf(stackFile)));
    const engines = expected.endpoints.map((endpoint) => read(endpoint, options.dockerHost ?? endpoint));
    const vmIds = vmHosts(settings).map(({ vm }) => vm.vmId);
    const project = (parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string }).name;
    const result = adoption({
        stack: options.stack,
        project,
        settings,
        expected,
        services: catalog,
        engines,
        plugins: pluginVersions(),
        qm: { dir: shown(options.qmDir), texts: readQmConfigs(options.qmDir, vmIds) },
    });
    fs.mkdirSync(options.out, { recursive: true, mode: 0o700 });
    const write = (file: string, content: string): void => {
        fs.writeFileSync(path.join(options.out, file), content, { mode: 0o600 });
    };
    write("1-components.json", `${JSON.stringify(result.components, null, 2)}\n`);
    write("2-vms.json", `${JSON.stringify(result.vms, null, 2)}\n`);
    write("3-docker.json", `${JSON.stringify(result.docker, null, 2)}\n`);
    write("report.md", result.report);
    console.log(result.report);
    console.log(`Wrote ${options.out}/{1-components,2-vms,3-docker}.json and report.md`);
    const reportFile = shown(path.join(options.out, "report.md"));
    if (result.blocking.length === 0) return { adoption: result, exitCode: 0, reportFile };
    // One line, last, on stderr: the report above is long and a non-zero exit alone says nothing.
    console.error(
        `adopt: ${result.blocking.length} blocking item${result.blocking.length === 1 ? "" : "s"} before \`pulumi up\`: see "Blocking before \`pulumi up\`" in ${reportFile}`,
    );
    return { adoption: result, exitCode: 1, reportFile };
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    if (argv.includes("--help") || argv.includes("-h")) {
        console.log(usage);
    } else {
        main(argv).then(
            (run) => {
                process.exitCode = run.exitCode;
            },
            (error: unknown) => {
                console.error(error instanceof Error ? error.message : String(error));
                process.exitCode = 1;
            },
        );
    }
}
