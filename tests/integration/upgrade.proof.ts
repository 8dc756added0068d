import type { EngineEvent } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { imageRef, type ServiceEntry } from "../../catalog/types";
import { repoRoot, stackSettings } from "../helpers/program";
import { labSecretKeys, labStack, projectCopy, TestEngine } from "./engine";

/**
 * Proof that upgrading the program replaces nothing: the lab stack is brought up by an older
 * revision of the program on a Docker engine this test starts, then the working tree previews
 * against that state and must plan no create, replace or delete (only `same`, or updates named in
 * HOMELAB_UPGRADE_ALLOW_UPDATE; with HOMELAB_UPGRADE_ALLOW_PROVIDERS=1 provider resources may come
 * and go, as when the in-process providers were merged into one). Needs the git history, so it is run by hand for a refactor that
 * renames resources, not in CI:
 *   HOMELAB_UPGRADE_FROM=<rev> npx jest -c jest.integration.config.js --testMatch '**' tests/integration/upgrade.proof.ts
 */

const from = process.env.HOMELAB_UPGRADE_FROM ?? "";
const services = catalog.filter((entry) => entry.enabled !== false);
const traefik = services.find((entry) => entry.name === "traefik") as ServiceEntry;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-upgrade-"));
const standIn = "homelab-standin:v1";

function revisionCopy(rev: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-rev-"));
    execFileSync("bash", ["-c", `git -C "${repoRoot}" archive "${rev}" | tar -x -C "${dir}"`]);
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

test("the working tree plans no create, replace or delete against a state made by HOMELAB_UPGRADE_FROM", async () => {
    if (from === "") throw new Error("set HOMELAB_UPGRADE_FROM to the revision to upgrade from");
    const engine = new TestEngine(path.join(work, "engine"));
    try {
        engine.buildStandIn(standIn, "v1");
        engine.buildTraefik(imageRef(traefik.image));
        const hosts = Object.fromEntries(
            Object.entries(stackSettings("lab").hosts).map(([name, host]) => [
                name,
                { ...host, dockerHost: engine.dockerHost, hostNetwork: false },
            ]),
        );
        const config = {
            "homelab:hosts": { value: JSON.stringify(hosts) },
            "homelab:storage": {
                value: JSON.stringify({ appdata: `${work}/appdata`, stacks: `${work}/stacks`, data: `${work}/data` }),
            },
            "homelab:offline": { value: JSON.stringify({ standInImage: standIn, keep: ["traefik"] }) },
        };
        const configure = async (stack: Awaited<ReturnType<typeof labStack>>): Promise<void> => {
            await stack.setAllConfig(config);
            for (const key of labSecretKeys())
                await stack.setConfig(`homelab:${key}`, { value: `it-${key}`, secret: true });
        };

        const before = await labStack(revisionCopy(from), work);
        await configure(before);
        expect((await before.up({ onOutput: () => undefined })).summary.result).toBe("succeeded");

        const after = await labStack(projectCopy(), work);
        await configure(after);
        const events: EngineEvent[] = [];
        await after.preview({ onEvent: (event) => events.push(event) });
        const steps = events.flatMap((event) => {
            const metadata = event.resourcePreEvent?.metadata;
            return metadata === undefined ? [] : [{ op: metadata.op, urn: metadata.urn }];
        });
        const ops: Record<string, number> = {};
        for (const step of steps) ops[step.op] = (ops[step.op] ?? 0) + 1;
        console.log(`upgrade from ${from}: ${steps.length} steps ${JSON.stringify(ops)}`);
        const allowedUpdates = (process.env.HOMELAB_UPGRADE_ALLOW_UPDATE ?? "").split(",").filter(Boolean);
        const providersMayChange = process.env.HOMELAB_UPGRADE_ALLOW_PROVIDERS === "1";
        const unexpected = steps.filter(
            (step) =>
                step.op !== "same" &&
                !(step.op === "update" && allowedUpdates.some((name) => step.urn.endsWith(`::${name}`))) &&
                !(providersMayChange && /[:$]pulumi:providers:/.test(step.urn)),
        );
        expect(unexpected).toEqual([]);
        expect(ops.same).toBeGreaterThan(services.length);
        await after.destroy({ onOutput: () => undefined });
    } finally {
        engine.stop();
    }
});
