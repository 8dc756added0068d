/**
 * Writes the lab stack's config file for scripts/lab.sh: the committed Pulumi.lab.yaml, plus the
 * throwaway lab secrets kept from the previous run (never in the repository), plus the local
 * overrides of this machine (DOCKER_HOST, an offline stand-in image). Prints the secret keys the
 * lab still lacks, one per line.
 *   ts-node scripts/lab-config.ts <output file>
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { catalog } from "../catalog";
import { catalogSecretRequests } from "../catalog/secrets";
import { settingsOfStackFile } from "../config/load";
import { readStackFile, stackFilePath, workingCopy } from "../config/stack-file";
import { checkEngine, checkImages, labSockets, PreflightError } from "./lab-preflight";

const output = process.argv[2];
const action = process.argv[3];
if (output === undefined) throw new Error("usage: lab-config.ts <output file> [action]");
const committed = readStackFile(stackFilePath(path.join(__dirname, ".."), "lab"));
const previous = fs.existsSync(output) ? readStackFile(output) : undefined;

const overrides: Record<string, unknown> = {};
const dockerHost = process.env.DOCKER_HOST;
if (dockerHost?.startsWith("unix://")) {
    const hosts = structuredClone(committed.config["homelab:hosts"]) as Record<string, Record<string, unknown>>;
    for (const host of Object.values(hosts)) host.dockerHost = dockerHost;
    overrides["homelab:hosts"] = hosts;
}
const standIn = process.env.HOMELAB_OFFLINE_IMAGE;
if (standIn) {
    const keep = (process.env.HOMELAB_OFFLINE_KEEP ?? "").split(",").filter(Boolean);
    overrides["homelab:offline"] = { standInImage: standIn, keep };
}
const file = workingCopy(committed, previous, overrides);
const config = file.config;
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.writeFileSync(output, stringify(file));

const settings = settingsOfStackFile(file);
const services = catalog.filter((entry) => entry.enabled !== false);

async function preflight(): Promise<void> {
    if (action === undefined || action === "output") return;
    for (const socket of labSockets(settings)) {
        await checkEngine(socket);
        if (action === "up")
            await checkImages(socket, services, settings, (line) => {
                console.error(line);
            });
    }
}

preflight().then(
    () => {
        for (const request of catalogSecretRequests(services, settings)) {
            if (!(`homelab:${request.key}` in config)) console.log(request.key);
        }
    },
    (error: unknown) => {
        if (!(error instanceof PreflightError)) throw error;
        console.error(`homelab lab: ${error.message}`);
        process.exitCode = 1;
    },
);
