/**
 * Where a `pulumi preview` spends its time, read from the engine's own log (`--logtostderr -v=7`:
 * one JSON object per line with a nanosecond timestamp). The engine walks the program's
 * registrations one at a time (provider plugin starts, then each resource's Check and Diff), so
 * the intervals below do not overlap and add up to the run.
 *
 * `pulumi preview --tracing file:<path>` works with the offline engine too, but writes an appdash
 * file that only `pulumi view-trace` (a web UI) reads; the log carries the same events.
 */

export interface LogLine {
    /** Milliseconds since the epoch, with the log's sub-millisecond part. */
    at: number;
    msg: string;
}

/** The engine's JSON log lines out of its stderr (anything else on stderr is skipped). */
export function parseEngineLog(stderr: string): LogLine[] {
    const lines: LogLine[] = [];
    for (const raw of stderr.split("\n")) {
        if (!raw.startsWith("{")) continue;
        let entry: unknown;
        try {
            entry = JSON.parse(raw);
        } catch {
            continue;
        }
        if (typeof entry !== "object" || entry === null) continue;
        const { time, msg } = entry as { time?: unknown; msg?: unknown };
        if (typeof time !== "string" || typeof msg !== "string") continue;
        const at = timestamp(time);
        if (at !== undefined) lines.push({ at, msg });
    }
    return lines;
}

/** "2026-11-30T13:31:15.647519405Z" → ms since the epoch, keeping the fraction Date.parse drops. */
function timestamp(time: string): number | undefined {
    const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
    if (match === null) return undefined;
    const [, seconds = "", fraction = "", zone = ""] = match;
    const whole = Date.parse(`${seconds}${zone}`);
    if (Number.isNaN(whole)) return undefined;
    return whole + (fraction === "" ? 0 : Number(`0.${fraction}`) * 1000);
}

/** Calls of one kind: how many, their sum and their mean, in ms. */
export interface Calls {
    count: number;
    totalMs: number;
}

export interface Breakdown {
    /** The whole run as timed from outside (process start to exit), ms. */
    wallMs: number;
    /** Process start → the language host is asked to run the program (and the log's first line before it). */
    engineStartMs: number;
    /** → the stack resource registers: Node.js, ts-node and the SDK start. */
    runtimeStartMs: number;
    /** → the first resource after the stack: the program's modules load (ts-node transpiles them) and its top level runs. */
    programLoadMs: number;
    /** First resource → the last step: the engine's walk. */
    walkMs: number;
    /** Provider plugins started during the walk, by package (docker, pulumi-nodejs). */
    providerStarts: Record<string, Calls>;
    /** Check and Diff during the walk, by resource type: resources and the time of both calls. */
    checkDiff: Record<string, Calls>;
    /** Resources registered. */
    resources: number;
    /**
     * The program run requested → its last registration received. The program waits for the
     * engine's answers (a container for its image's id), so this overlaps the walk.
     */
    registeringMs: number;
    /** Last step → process exit: plugins stopped, snapshot closed. */
    tailMs: number;
}

const runRe = /^langhost\[nodejs\]\.Run\(/;
const registeredRe = /^ResourceMonitor\.RegisterResource received: t=([^,]+),/;
const finishedRe = /^ResourceMonitor\.RegisterResource operation finished/;
const providerCheckRe = /^ProviderRegistry\.Check\((urn:[^)]+)\) executing/;
const providerLoadedRe = /^loaded provider (urn:.+)::[^:]+$/;
const callRe = /^Provider\[(0x[0-9a-f]+)\]\.(Check|Diff)\((urn:[^,)]+)[^)]*\)(:? executing| success)/;

/** The resource type a URN names (the last segment of its qualified type). */
function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.split("$").pop() ?? qualified;
}

function add(calls: Record<string, Calls>, key: string, ms: number): void {
    const entry = (calls[key] ??= { count: 0, totalMs: 0 });
    entry.count += 1;
    entry.totalMs += ms;
}

/** The breakdown of one logged run; `wallMs` is that run's time from outside. */
export function breakdown(lines: readonly LogLine[], wallMs: number): Breakdown {
    const first = lines[0];
    const last = lines[lines.length - 1];
    if (first === undefined || last === undefined) throw new Error("the engine log is empty (was -v=7 given?)");
    const run = lines.find((line) => runRe.test(line.msg));
    const registrations = lines.filter((line) => registeredRe.test(line.msg));
    const stack = registrations[0];
    const firstResource = registrations[1];
    const lastFinished = [...lines].reverse().find((line) => finishedRe.test(line.msg));
    if (run === undefined || stack === undefined) throw new Error("the engine log has no program run");

    const open = new Map<string, number>();
    const providerStarts: Record<string, Calls> = {};
    const checkDiff: Record<string, Calls> = {};
    const called = new Set<string>();
    for (const line of lines) {
        const check = providerCheckRe.exec(line.msg);
        if (check?.[1] !== undefined) {
            open.set(`load ${check[1]}`, line.at);
            continue;
        }
        const loaded = providerLoadedRe.exec(line.msg);
        if (loaded?.[1] !== undefined) {
            const started = open.get(`load ${loaded[1]}`);
            if (started !== undefined)
                add(providerStarts, typeOfUrn(loaded[1]).replace(/^pulumi:providers:/, ""), line.at - started);
            continue;
        }
        const call = callRe.exec(line.msg);
        if (call !== null) {
            const [, provider = "", kind = "", urn = "", phase = ""] = call;
            const key = `${provider} ${kind} ${urn}`;
            if (phase.includes("executing")) open.set(key, line.at);
            else {
                const started = open.get(key);
                if (started === undefined) continue;
                // One entry per resource: its Check and its Diff together.
                add(checkDiff, typeOfUrn(urn), line.at - started);
                const entry = checkDiff[typeOfUrn(urn)];
                if (entry !== undefined && called.has(urn)) entry.count -= 1;
                called.add(urn);
            }
        }
    }

    // The log starts a little after the process and ends a little before it exits: that time goes
    // to the start and the tail, half each.
    const outside = Math.max(0, wallMs - (last.at - first.at)) / 2;
    const walkStart = firstResource?.at ?? stack.at;
    const walkEnd = lastFinished?.at ?? walkStart;
    return {
        wallMs,
        engineStartMs: outside + (run.at - first.at),
        runtimeStartMs: stack.at - run.at,
        programLoadMs: walkStart - stack.at,
        walkMs: walkEnd - walkStart,
        providerStarts,
        checkDiff,
        resources: registrations.length,
        registeringMs: (registrations[registrations.length - 1]?.at ?? stack.at) - run.at,
        tailMs: last.at - walkEnd + outside,
    };
}

const sumOf = (calls: Record<string, Calls>): Calls =>
    Object.values(calls).reduce(
        (sum, entry) => ({ count: sum.count + entry.count, totalMs: sum.totalMs + entry.totalMs }),
        {
            count: 0,
            totalMs: 0,
        },
    );

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mean = (calls: Calls): string => `${calls.count} × ${(calls.totalMs / Math.max(1, calls.count)).toFixed(0)} ms`;

/** The package of a resource type: docker, pulumi-nodejs (dynamic resources), … */
const packageOf = (type: string): string => type.split(":")[0] ?? type;

/** Lines for the report: each part of the run, the floor's figure beside it where it has one. */
export function formatBreakdown(lab: Breakdown, floor?: Breakdown): string[] {
    const row = (label: string, ms: number, note = ""): string =>
        `${label.padEnd(56)}${seconds(ms).padStart(8)}${note === "" ? "" : `   ${note}`}`;
    const beside = (value: number | undefined): string => (value === undefined ? "" : `floor ${seconds(value)}`);
    const starts = sumOf(lab.providerStarts);
    const startsDetail = Object.entries(lab.providerStarts)
        .map(([name, calls]) => `${name} ${mean(calls)}`)
        .join(", ");
    const byPackage: Record<string, Record<string, Calls>> = {};
    for (const [type, calls] of Object.entries(lab.checkDiff)) (byPackage[packageOf(type)] ??= {})[type] = calls;
    const lines = [
        row("  engine start (CLI → program run requested)", lab.engineStartMs, beside(floor?.engineStartMs)),
        row("  Node.js + ts-node + SDK start (→ stack registered)", lab.runtimeStartMs, beside(floor?.runtimeStartMs)),
        row("  program load + top level (→ first resource)", lab.programLoadMs, beside(floor?.programLoadMs)),
        row(`  walk of ${lab.resources} resources, one at a time`, lab.walkMs, beside(floor?.walkMs)),
        row("    provider plugins started", starts.totalMs, startsDetail),
    ];
    let attributed = starts.totalMs;
    for (const [pkg, types] of Object.entries(byPackage).sort(([a], [b]) => a.localeCompare(b))) {
        const total = sumOf(types);
        attributed += total.totalMs;
        const detail = Object.entries(types)
            .sort(([, a], [, b]) => b.totalMs - a.totalMs)
            .map(([type, calls]) => `${type.split(":").pop() ?? type} ${mean(calls)}`)
            .join(", ");
        lines.push(row(`    Check + Diff, ${pkg}`, total.totalMs, detail));
    }
    lines.push(row("    the rest (RPCs, steps, waits on the program)", Math.max(0, lab.walkMs - attributed)));
    lines.push(
        row(
            "  (program run requested → its last registration received",
            lab.registeringMs,
            "overlaps the walk: the program waits on the engine's answers)",
        ),
    );
    lines.push(row("  tail (last step → exit)", lab.tailMs, beside(floor?.tailMs)));
    lines.push(row("  total (this logged run)", lab.wallMs, beside(floor?.wallMs)));
    return lines;
}
