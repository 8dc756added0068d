// Validates Kubernetes objects against the API schemas of kubernetes-models (core, apps, rbac, …)
// and @kubernetes-models/traefik (traefik.io CRDs). ESM-only packages: jest (CommonJS) runs this
// in a child `node` process. Input on stdin: a JSON array of objects. Output on stdout: a JSON
// array with one entry per object, `{ apiVersion, kind, name, error }` (error null when valid).
// An apiVersion/kind it has no schema for is an error, never a pass.

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const objects = JSON.parse(Buffer.concat(chunks).toString("utf8"));

function modulePath(apiVersion, kind) {
    const slash = apiVersion.indexOf("/");
    const group = slash === -1 ? "" : apiVersion.slice(0, slash);
    const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
    if (group === "traefik.io") return `@kubernetes-models/traefik/traefik.io/${version}/${kind}`;
    // kubernetes-models keeps the core group at its root ("v1/Secret"), every other group by its name.
    return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

const results = [];
for (const object of objects) {
    const { apiVersion, kind } = object;
    const name = object?.metadata?.name ?? null;
    let error = null;
    try {
        const module = await import(modulePath(String(apiVersion), String(kind)));
        const Model = module[kind];
        if (typeof Model !== "function") throw new Error(`no model ${kind} for ${apiVersion}`);
        new Model(object).validate();
    } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
    }
    results.push({ apiVersion, kind, name, error });
}
process.stdout.write(JSON.stringify(results));
