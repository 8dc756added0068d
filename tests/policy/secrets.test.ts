import { allSecretKeys, dummySecret, isSecretValue, loadProgram, type StackName } from "../helpers/program";

/** Where a string sits: plain, or inside a secret marker. */
interface Found {
    path: string;
    value: string;
    secret: boolean;
}

function strings(value: unknown, path: string, secret = false, found: Found[] = []): Found[] {
    if (isSecretValue(value)) return strings((value as { value: unknown }).value, path, true, found);
    if (typeof value === "string") found.push({ path, value, secret });
    else if (Array.isArray(value)) value.forEach((item, i) => strings(item, `${path}[${i}]`, secret, found));
    else if (typeof value === "object" && value !== null) {
        for (const [key, inner] of Object.entries(value)) strings(inner, `${path}.${key}`, secret, found);
    }
    return found;
}

const dummies = allSecretKeys.map((key) => ({ key, value: dummySecret(key) }));
const leaked = (found: Found[]) =>
    found.flatMap(({ path, value }) =>
        dummies.filter((d) => value.includes(d.value)).map((d) => `${d.key} at ${path}`),
    );

describe.each<StackName>(["lab", "prod"])("secrets of the %s stack", (stack) => {
    it("appear in no plain input, name or stack output, only inside secret markers", async () => {
        const program = await loadProgram(stack);
        const found = program.resources.flatMap((resource) => [
            { path: `${resource.urn} (name)`, value: resource.name, secret: false },
            { path: `${resource.urn} (urn)`, value: resource.urn, secret: false },
            ...strings(resource.rawInputs, resource.urn),
        ]);
        const plain = found.filter((item) => !item.secret);
        const outputs = strings(program.outputs, "outputs");

        expect(leaked(plain)).toEqual([]);
        expect(leaked(outputs)).toEqual([]);
        // The walk sees the dummies where they belong, so an empty leak list means something.
        const carried = new Set(leaked(found.filter((item) => item.secret)).map((line) => line.split(" ")[0]));
        expect(carried).toContain("dockmanPassword");
        expect(carried).toContain("adguardPassword");
    });
});
