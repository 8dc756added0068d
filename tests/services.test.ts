import { catalog } from "../catalog";
import { everyHost, hostNames, type HostName } from "../topology";
import { loadProgram, stackSettings, type Program, type StackName } from "./helpers/program";
import { containerType, expectService } from "./helpers/services";

const enabled = catalog.filter((entry) => entry.enabled !== false);

describe.each<StackName>(["prod", "lab"])("every catalog service in the %s stack", (stack) => {
    let program: Program;
    const settings = stackSettings(stack);
    beforeAll(async () => {
        program = await loadProgram(stack);
    });

    const placements = enabled.flatMap((entry) => {
        if (entry.host !== everyHost) return [[entry.name, entry.host, entry] as const];
        // One per Docker engine: four in prod, one in the lab where every host shares the engine.
        const engines = new Map<string, HostName>();
        for (const host of hostNames) {
            const hostSettings = settings.hosts[host];
            const endpoint =
                hostSettings?.dockerHost ?? `ssh://${hostSettings?.deployUser ?? ""}@${hostSettings?.address ?? ""}`;
            if (!engines.has(endpoint)) engines.set(endpoint, host);
        }
        return [...engines.values()].map((host) => [entry.name, host, entry] as const);
    });

    test.each(placements)("%s on %s", (_name, host, entry) => {
        expectService(program, settings, entry, host);
    });

    test("no container outside the catalog", () => {
        expect(program.ofType(containerType)).toHaveLength(placements.length);
    });
});
