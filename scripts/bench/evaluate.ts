/**
 * Program evaluation under Pulumi mocks for synthetic catalogs: how long registering N services
 * takes, without any engine. Prints one line per size (`evaluate.ts 1000 2000` measures only
 * those); with `--json`, one JSON line at the end as well.
 */
import * as pulumi from "@pulumi/pulumi";
import { catalog } from "../../catalog";
import type { ServiceEntry } from "../../catalog/types";
import { containerSpecs } from "../../components/container-spec";
import { ServiceStack } from "../../components/stack";
import { DockerHosts } from "../../hosts/docker";
import { stackSettings } from "../../tests/helpers/program";

export interface EvaluationFigures {
    size: number;
    resources: number;
    ms: number;
    /** CPU time of this process over the same span (user + system). */
    cpuMs: number;
}

function syntheticCatalog(size: number): ServiceEntry[] {
    const template = catalog.find((entry) => entry.name === "sonarr");
    if (template === undefined) throw new Error("catalog has no sonarr");
    return Array.from({ length: size }, (_, i) => ({
        ...template,
        name: `svc-${i}`,
        route: { subdomain: `svc-${i}`, exposure: "internal", forwardAuth: true },
    }));
}

async function evaluate(size: number): Promise<EvaluationFigures> {
    let registered = 0;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered += 1;
                return { id: `${args.name}-id`, state: { ...(args.inputs as object), imageId: `sha256:${args.name}` } };
            },
            call: () => ({}),
        },
        "homelab",
        "lab",
        false,
    );
    const settings = stackSettings("lab");
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const fleet = new DockerHosts(`hosts-${size}`, { settings });
    new ServiceStack(`bench-${size}`, {
        stack: "arr",
        containers: containerSpecs(syntheticCatalog(size), settings),
        hosts: fleet.hosts,
        protectStateful: false,
        secrets: {},
    });
    // 4 providers + 1 network + the two components, then an image, a component and a container per service.
    const expected = 4 + 1 + 2 + size * 3;
    while (registered < expected) await new Promise((resolve) => setImmediate(resolve));
    const used = process.cpuUsage(cpu);
    return {
        size,
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        cpuMs: (used.user + used.system) / 1000,
        resources: registered,
    };
}

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    const json = args.includes("--json");
    const sizes = args.filter((arg) => arg !== "--json").map(Number);
    const figures: EvaluationFigures[] = [];
    for (const size of sizes.length > 0 ? sizes : [10, 100, 1000, 2000]) {
        const result = await evaluate(size);
        figures.push(result);
        console.log(
            `mocks evaluation: ${String(size).padStart(4)} services → ${result.resources} resources in ${result.ms.toFixed(0)} ms (CPU ${result.cpuMs.toFixed(0)} ms)`,
        );
    }
    if (json) console.log(JSON.stringify(figures));
}

void main();
