/**
 * Writes the fleet stack's working config for scripts/fleet.sh: the committed Pulumi.fleet.yaml
 * with every service on the local stand-in image (Traefik on its own build), plus the throwaway
 * secrets kept from the previous run. Prints the secret keys the fleet still lacks, one per line.
 *   ts-node scripts/fleet-config.ts <output file> <stand-in image>
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { catalog } from "../catalog";
import { settingsOfStackFile } from "../config/load";
import { readStackFile, stackFilePath, workingCopy } from "../config/stack-file";
import { checkInput } from "../input";
import { roles } from "../topology";

const [output, standInImage] = process.argv.slice(2);
if (output === undefined || standInImage === undefined) {
    throw new Error("usage: fleet-config.ts <output file> <stand-in image>");
}
const committed = readStackFile(stackFilePath(path.join(__dirname, ".."), "fleet"));
const previous = fs.existsSync(output) ? readStackFile(output) : undefined;
const file = workingCopy(committed, previous, {
    "homelab:offline": { standInImage, keep: [roles.ingress] },
});
fs.mkdirSync(path.dirname(output), { recursive: true });
fs.writeFileSync(output, stringify(file));

const { secretRequests } = checkInput(settingsOfStackFile(file), catalog);
for (const key of new Set(secretRequests.map((request) => request.key))) {
    if (!(`homelab:${key}` in file.config)) console.log(key);
}
