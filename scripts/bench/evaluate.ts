/**
 * Program evaluation under Pulumi mocks for synthetic catalogs: how long registering N services
 * takes, without any engine. Prints one line per size.
 */
import * as pulumi from "@pulumi/pulumi";
import { catalog } from "../../catalog";
import type { ServiceEntry } from "../../catalog/types";
import { containerSpecs } from "../../components/container-spec";
import { ServiceStack } from "../../components/stack";
import { DockerHosts } from "../../hosts/docker";
import { stackSettings } from "../../tests/helpers/program";

function syntheticCatalog(size: number): ServiceEntry[] {
    const template = catalog.find((entry) => entry.name === "sonarr");
    if (template === undefined) throw new Error("catalog has no sonarr");
    return Array.from({ length: size }, (_, i) => ({
        ...template,
        name: `svc-${i}`,
        route: { subdomain: `svc-${i}`, exposure: "internal", forwardAuth: true },
    }));
}

async function evaluate(size: number): Promise<{ ms: number; resources: number }> {
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
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, resources: registered };
}

async function main(): Promise<void> {
    // `evaluate.ts 1000 2000` measures only those sizes.
    const sizes = process.argv.slice(2).map(Number);
    for (const size of sizes.length > 0 ? sizes : [10, 100, 1000, 2000]) {
        const { ms, resources } = await evaluate(size);
        console.log(
            `mocks evaluation: ${String(size).padStart(4)} services → ${resources} resources in ${ms.toFixed(0)} ms`,
        );
    }
}

void main();
