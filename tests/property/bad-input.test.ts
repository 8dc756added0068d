import fc from "fast-check";
import { ConfigError } from "../../config/errors";
import { settingsOfStackFile } from "../../config/load";
import { checkInput } from "../../input";
import { loadProgram, ProgramLoadError, type LoadOptions } from "../helpers/program";
import { catalogClasses, configClasses, everyWrongType, type MutationClass } from "./classes";
import { configOverrides, editedCatalog, editedConfig, wrongRejection, type Case } from "./input";

/**
 * Bad input at scale (issue #14): Pulumi.prod.yaml and the catalog mutated class by class, with a
 * fixed seed and a fixed number of cases. Every case either loads or is rejected with a
 * ConfigError naming the mutated key; none ends in another exception, a stack trace in the
 * message or resources registered before the failure. Two tiers: many cases through the checks
 * index.ts runs before registering anything (settingsOfStackFile, then checkInput), and a few
 * through the whole program under Pulumi mocks.
 */

/** Fixed: every run checks the same cases. */
const seed = 14;

const classes: readonly MutationClass[] = [...configClasses, ...catalogClasses];

/** Cases per class in the pure tier: more for the classes that pick from every key. */
const pureRuns: Readonly<Record<string, number>> = { "wrong type": 200, "missing key": 100, "extra key": 150 };
const pureRunsOf = (klass: MutationClass): number => pureRuns[klass.name] ?? 20;

/**
 * Program loads per class: a rejected load takes under a second, a whole program several. The
 * examples a class gives count among them.
 */
const programRuns: Readonly<Record<string, number>> = { "wrong type": 2, "missing key": 2, "extra key": 2 };
const programRunsOf = (klass: MutationClass): number => programRuns[klass.name] ?? 1;

type Outcome = "loaded" | "rejected";
const tally = new Map<string, Record<Outcome, number>>();
function count(tier: string, input: Case, outcome: Outcome): void {
    const key = `${tier} | ${input.class}`;
    const counts = tally.get(key) ?? { loaded: 0, rejected: 0 };
    counts[outcome] += 1;
    tally.set(key, counts);
}

/** The program's own checks, in index.ts's order, without Pulumi. */
function checkPure(input: Case): Outcome {
    const config = editedConfig(input.config);
    const catalog = editedCatalog(input.catalog);
    try {
        checkInput(settingsOfStackFile({ config }), catalog);
    } catch (error) {
        if (!(error instanceof ConfigError)) {
            throw new Error(`threw something other than a ConfigError`, { cause: error });
        }
        const wrong = wrongRejection(error, input);
        if (wrong !== undefined) throw new Error(wrong);
        return "rejected";
    }
    if (input.mustReject) throw new Error("loaded, though the input breaks a rule");
    return "loaded";
}

/** The whole program under mocks: it loads, or fails with nothing registered. */
async function checkProgram(input: Case): Promise<Outcome> {
    const options: LoadOptions = {};
    if (input.config.length > 0) options.config = configOverrides(input.config);
    if (input.catalog.length > 0) {
        const catalog = editedCatalog(input.catalog);
        options.modules = { "../../catalog": () => ({ ...jest.requireActual<object>("../../catalog"), catalog }) };
    }
    try {
        await loadProgram("prod", options);
    } catch (error) {
        if (!(error instanceof ProgramLoadError))
            throw new Error("the load failed outside the program", { cause: error });
        if (error.registered !== 0) {
            throw new Error(`${String(error.registered)} resources were registered before it failed: ${error.message}`);
        }
        const wrong = wrongRejection(error.cause, input);
        if (wrong !== undefined) throw new Error(wrong);
        return "rejected";
    }
    if (input.mustReject) throw new Error("loaded, though the input breaks a rule");
    return "loaded";
}

describe("bad input is rejected before anything is registered, naming the key (pure checks)", () => {
    test.each(classes)("$name", (klass) => {
        fc.assert(
            fc.property(klass.cases, (input) => {
                count("pure", input, checkPure(input));
            }),
            { seed, numRuns: pureRunsOf(klass) },
        );
    });
});

test("every key of Pulumi.prod.yaml given a value of another kind is refused in the program's words", () => {
    const wrong = everyWrongType.flatMap((input) => {
        try {
            checkPure(input);
            return [];
        } catch (error) {
            return [`${JSON.stringify(input.config)}: ${error instanceof Error ? error.message : String(error)}`];
        }
    });
    expect(wrong).toEqual([]);
    expect(everyWrongType.length).toBeGreaterThan(100);
});

describe("bad input is rejected before anything is registered, naming the key (the program under mocks)", () => {
    test.each(classes)("$name", async (klass) => {
        await fc.assert(
            fc.asyncProperty(klass.programCases ?? klass.cases, async (input) => {
                count("program", input, await checkProgram(input));
            }),
            { seed, numRuns: programRunsOf(klass), examples: (klass.programExamples ?? []).map((input) => [input]) },
        );
    });
});

afterAll(() => {
    // A class whose cases never fail would test nothing.
    for (const klass of classes)
        expect([klass.name, tally.get(`pure | ${klass.name}`)?.rejected ?? 0]).not.toEqual([klass.name, 0]);
    if (process.env.HOMELAB_PROPERTY_SUMMARY !== undefined) {
        console.log(
            [...tally]
                .map(([key, { loaded, rejected }]) => `${key}: ${String(rejected)} rejected, ${String(loaded)} loaded`)
                .join("\n"),
        );
    }
});
