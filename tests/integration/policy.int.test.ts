import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectCopy, suiteWorkDir, TestEngine } from "./engine";

/**
 * The policy pack through the real CLI, as the README and all three workflows run it
 * (`--policy-pack policy`): the jest tests of the rules cannot see a pack that fails to start
 * (ts-node once refused the root tsconfig's SWC transpiler in the policy runner, and every
 * preview, up and drift check would have failed). The README's own command, on a lab stack whose
 * hosts are an engine this test starts.
 */

const work = suiteWorkDir(path.join(os.tmpdir(), "homelab-policy-it-"));
let engine: TestEngine;
let project: string;

beforeAll(() => {
    engine = new TestEngine(path.join(work, "engine"));
    project = projectCopy();
});

afterAll(() => {
    engine.stop();
    fs.rmSync(project, { recursive: true, force: true });
});

/** `bash scripts/lab.sh preview --policy-pack policy` in the project copy, every service from `standIn`. */
function previewWithPolicies(standIn: string): { status: number | null; output: string } {
    const result = spawnSync("bash", ["scripts/lab.sh", "preview", "--policy-pack", "policy"], {
        cwd: project,
        encoding: "utf8",
        env: {
            ...process.env,
            DOCKER_HOST: engine.dockerHost,
            HOMELAB_LAB_DIR: path.join(work, `lab-${standIn.replace(/\W/g, "-")}`),
            HOMELAB_OFFLINE_IMAGE: standIn,
            PULUMI_SKIP_UPDATE_CHECK: "true",
        },
    });
    return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

test("the README's preview with the policy pack starts the pack and passes on the lab", () => {
    const { status, output } = previewWithPolicies("homelab-standin:v1");
    expect(output).not.toMatch(/failed to start|Custom transpiler/);
    expect(output).toMatch(/Policy Packs run:\s*\n\s*Name\s+Version\s*\n\s*homelab\|local\|policy\s+0\.1\.0/);
    expect(status).toBe(0);
});

test("the same preview fails on a violation and names the rule", () => {
    // A stand-in tagged latest: every container's image breaks the pinned-images rule.
    const { status, output } = previewWithPolicies("homelab-standin:latest");
    expect(status).not.toBe(0);
    expect(output).toContain("images-pinned");
    expect(output).toMatch(/image "homelab-standin:latest" .*pin a version tag/);
});
