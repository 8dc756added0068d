import { catalog } from "../../catalog";
import type { ServiceEntry } from "../../catalog/types";
import { catalogProblems } from "../../catalog/validate";
import { stackSettings } from "../helpers/program";
import { entryNamed } from "./fixtures/cluster";

const prod = stackSettings("prod");

/** The catalog with `name`'s entry replaced by `change` of it. */
const withEntry = (name: string, change: (entry: ServiceEntry) => ServiceEntry): ServiceEntry[] =>
    catalog.map((entry) => (entry.name === name ? change(entry) : entry));

describe("catalog replicas (pods on k3s)", () => {
    test("Authentik's server is the one replicated service of the catalog", () => {
        expect(
            catalog.filter((entry) => entry.replicas !== undefined).map((entry) => [entry.name, entry.replicas]),
        ).toEqual([["authentik-server", 2]]);
        expect(catalogProblems(catalog, prod)).toEqual([]);
    });

    test.each([0, -1, 1.5])("%p pods is refused with one message naming the key and what is allowed", (replicas) => {
        expect(
            catalogProblems(
                withEntry("beszel", (entry) => ({ ...entry, replicas })),
                prod,
            ),
        ).toEqual([
            `catalog: beszel.replicas: ${JSON.stringify(replicas)} is not allowed; expected a whole number of pods, 1 or more`,
        ]);
    });

    test("a database runs once: more than one pod is refused, one is fine", () => {
        expect(entryNamed("immich-postgres").dump).toBeDefined();
        expect(
            catalogProblems(
                withEntry("immich-postgres", (entry) => ({ ...entry, replicas: 2 })),
                prod,
            ),
        ).toEqual([
            "catalog: immich-postgres.replicas: 2 is not allowed on a database (stateful or dumped); expected 1: one writer of its data directory",
        ]);
        expect(
            catalogProblems(
                withEntry("immich-postgres", (entry) => ({ ...entry, replicas: 1 })),
                prod,
            ),
        ).toEqual([]);
    });
});
