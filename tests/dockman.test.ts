import { catalog } from "../catalog";
import { dockmanLabels } from "../components/spec";
import { loadProgram, type Program, type RecordedResource } from "./helpers/program";
import { containerNamed, containerType, labelsOf } from "./helpers/services";

/**
 * One owner per container: the program's containers carry the labels Dockman groups by (compose
 * project and service) and the one that turns its updater off, but none of the labels compose
 * needs before it adopts, recreates or removes a container (config-hash, oneoff). The real-engine
 * proof with docker-compose is tests/integration/dockman.int.test.ts.
 */

let prod: Program;
beforeAll(async () => {
    prod = await loadProgram("prod");
});

const one = (name: string): RecordedResource => {
    const found = containerNamed(prod, name);
    expect(found).toHaveLength(1);
    return found[0] as RecordedResource;
};

test("dockmanLabels: the stack as compose project, the service, Dockman's updater off", () => {
    const sonarr = catalog.find((entry) => entry.name === "sonarr");
    if (sonarr === undefined) throw new Error("no sonarr in the catalog");
    expect(dockmanLabels(sonarr)).toEqual({
        "com.docker.compose.project": "arr",
        "com.docker.compose.service": "sonarr",
        "dockman.update.disable": "true",
    });
});

test("Sonarr's container: grouped by Dockman under arr/sonarr, not updated by it", () => {
    expect(labelsOf(one("sonarr"))).toMatchObject({
        "com.docker.compose.project": "arr",
        "com.docker.compose.service": "sonarr",
        "dockman.update.disable": "true",
        "homelab.stack": "arr",
    });
});

test("Immich's database and Plex: their own stacks, Dockman itself too", () => {
    expect(labelsOf(one("immich-postgres"))).toMatchObject({
        "com.docker.compose.project": "photos",
        "com.docker.compose.service": "immich-postgres",
        "dockman.update.disable": "true",
    });
    expect(labelsOf(one("plex"))).toMatchObject({
        "com.docker.compose.project": "plex",
        "com.docker.compose.service": "plex",
    });
    expect(labelsOf(one("dockman"))).toMatchObject({
        "com.docker.compose.project": "infra",
        "com.docker.compose.service": "dockman",
        "dockman.update.disable": "true",
    });
});

test("no container carries a label compose adopts by: no config-hash, no oneoff, nothing else of compose's", () => {
    const containers = prod.ofType(containerType);
    expect(containers.length).toBeGreaterThan(30);
    const composeLabels = new Set(
        containers.flatMap((container) =>
            Object.keys(labelsOf(container)).filter((label) => label.startsWith("com.docker.compose.")),
        ),
    );
    expect([...composeLabels].sort()).toEqual(["com.docker.compose.project", "com.docker.compose.service"]);
    // Every-host entries (the Beszel agent) are one service per engine, each in the entry's stack.
    for (const agent of containerNamed(prod, "beszel-agent")) {
        expect(labelsOf(agent)).toMatchObject({
            "com.docker.compose.project": "monitoring",
            "com.docker.compose.service": "beszel-agent",
        });
    }
});

test("nothing the program declares is a path under the stacks directory (Dockman's compose root)", () => {
    const stacks = "/opt/stacks";
    const dockman = one("dockman");
    expect(dockman.inputs.envs).toContain(`DOCKMAN_COMPOSE_ROOT=${stacks}`);
    // The directory itself is mounted (Dockman) and copied by the Tier 1 backup ('/opt/stacks/'); nothing inside it is named.
    const inside = /\/opt\/stacks\/[\w.-]/;
    const named = prod.resources.filter((resource) => inside.test(JSON.stringify(resource.inputs)));
    expect(named.map((resource) => `${resource.type} ${resource.name}`)).toEqual([]);
    expect(prod.resources.filter((resource) => JSON.stringify(resource.inputs).includes("'/opt/stacks/'")).length).toBe(
        3,
    );
});
