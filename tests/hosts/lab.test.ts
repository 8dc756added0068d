import { hostNames } from "../../topology";
import { loadProgram } from "../helpers/program";

const commandType = "command:remote:Command";

describe("lab", () => {
    test("no VMs, no Proxmox, no remote commands: Machines registers only itself", async () => {
        const program = await loadProgram("lab");
        const machines = program.get("homelab:hosts:Machines", "machines");
        expect(program.resources.filter((r) => r.parent === machines.urn || r.parent.includes("Machines$"))).toEqual(
            [],
        );
        expect(program.resources.filter((r) => r.type.startsWith("proxmoxve") || r.type.includes("proxmoxve"))).toEqual(
            [],
        );
        expect(program.ofType(commandType).filter((r) => r.name.startsWith("machines-"))).toEqual([]);
        for (const host of hostNames) {
            expect(program.get("pulumi:providers:docker", `hosts-${host}`).dependencies).toEqual([]);
        }
    });
});
