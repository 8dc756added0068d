/**
 * The adopted VMs checked against what Proxmox says they are. Adoption never contacts Proxmox: the
 * owner runs `qm config <vmid>` on the node and saves its output, and this module compares it with
 * the host's `vm` block. An adopted VM that differs from its `vm` block shows in `pulumi preview
 * --diff` only as an in-place update of an imported resource (a NIC re-tagged onto another VLAN, a
 * firewall switched off, cores taken away), which is easy to approve without noticing; here every
 * difference is a blocking item of the report instead.
 */
import type { HostName } from "../../topology";
import { readQmVm } from "./qm-config";
import { vmDifferences, type BlockingItem, type VmToCheck } from "./vm-differences";

export type { BlockingItem } from "./vm-differences";

/** One VM compared with its saved `qm config`, and the outcome. */
export interface VmCheck {
    host: HostName;
    /** `<node>/<vmid>`, the VM's import id. */
    vm: string;
    result: string;
}

/**
 * The blocking items of the VMs: each VM marked `adopt` needs its `qm config` (a VM without one is
 * itself a blocking item); a VM not marked adopt is compared when its file is there (one imported
 * earlier, after its `adopt` was set back to false) and otherwise skipped (the program creates it).
 */
export function vmChecks(
    vms: readonly (VmToCheck & { adopt: boolean })[],
    qm: { dir: string; texts: ReadonlyMap<number, string> },
): { blocking: BlockingItem[]; checked: VmCheck[] } {
    const blocking: BlockingItem[] = [];
    const checked: VmCheck[] = [];
    for (const check of vms) {
        const { host, vm } = check;
        const id = `${vm.node}/${vm.vmId}`;
        const file = `${qm.dir}/${vm.vmId}.conf`;
        const save = `run \`qm config ${vm.vmId}\` on ${vm.node} and save its output to ${file}, then run the adoption again`;
        const text = qm.texts.get(vm.vmId);
        if (text === undefined) {
            if (!check.adopt) continue;
            blocking.push({
                host,
                subject: id,
                what: "not checked",
                configured: "(the vm block)",
                real: "unknown",
                fix: save,
            });
            checked.push({ host, vm: id, result: `not checked: no ${file}` });
            continue;
        }
        const real = readQmVm(text);
        if (real === undefined) {
            blocking.push({
                host,
                subject: id,
                what: "not checked",
                configured: "(the vm block)",
                real: `${file} is not a \`qm config\` output`,
                fix: save,
            });
            checked.push({ host, vm: id, result: `not checked: ${file} is not a \`qm config\` output` });
            continue;
        }
        const differences = vmDifferences(check, real);
        blocking.push(...differences);
        checked.push({
            host,
            vm: id,
            result:
                differences.length === 0
                    ? `matches ${file}`
                    : `${differences.length} difference${differences.length === 1 ? "" : "s"} from ${file}`,
        });
    }
    return { blocking, checked };
}
