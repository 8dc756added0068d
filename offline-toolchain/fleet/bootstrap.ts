/**
 * What fleet.sh runs on each host, rendered by the program itself: each host's bootstrap script
 * (`baseScript`, the script production's VMs run), from the fleet stack's settings for this work
 * dir, and the fleet's layout (data paths, the NAS's exports), one fact a line for bash.
 *   ts-node offline-toolchain/fleet/bootstrap.ts WORK
 * writes WORK/hosts/<host>/bootstrap-base.sh and WORK/layout.txt:
 *   identity <uid> <gid>
 *   stacks <path>                                            (one for every host)
 *   data <host> <path>
 *   export <key> <source on the NAS> <target on the VMs>      (parents first)
 *   sentinel <file name>                                     (the NAS's sentinel at each export's root)
 */
import * as fs from "node:fs";
import { nasSentinel } from "../../components/offline";
import { baseScript } from "../../hosts/bootstrap-scripts";
import { hostNames } from "../../topology";
import { fleetLayout, fleetSettings } from "./layout";

const [work] = process.argv.slice(2);
if (work === undefined) throw new Error("usage: bootstrap.ts WORK");
const layout = fleetLayout(work);
const settings = fleetSettings(layout);

for (const name of hostNames) {
    const host = settings.hosts[name];
    if (host?.deployUser === undefined) throw new Error(`Pulumi.fleet.yaml: homelab:hosts.${name} has no deployUser`);
    const dir = `${work}/hosts/${name}`;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${dir}/bootstrap-base.sh`, baseScript(name, host.deployUser, settings), { mode: 0o755 });
}
const lines = [
    `identity ${settings.identity.uid} ${settings.identity.gid}`,
    `stacks ${settings.storage.stacks}`,
    ...hostNames.map((name) => `data ${name} ${layout.hosts[name].data}`),
    ...layout.exports.map((exported) => `export ${exported.key} ${exported.source} ${exported.target}`),
    `sentinel ${nasSentinel}`,
];
fs.writeFileSync(`${work}/layout.txt`, `${lines.join("\n")}\n`);
