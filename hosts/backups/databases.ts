import type { DatabaseDump } from "../../catalog/types";
import { shellQuote } from "../remote";

/**
 * The database dumps of the Tier 1 backup and their restore, as the commands that run inside the
 * database's container. The backup script wraps them in `docker exec <container>`; the restore test
 * runs the very same words against a local PostgreSQL, so what is tested is what runs.
 */

/** A word as the shell needs it: bare when it is plainly safe, quoted otherwise. */
export function shellWord(word: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : shellQuote(word);
}

/**
 * Plain SQL on stdout, connecting over the container's own socket as the database's own user
 * (the images trust local connections, so no password is involved). `--clean --if-exists` lets a
 * restore replace what the app re-created on an empty start.
 */
export function dumpArgs(dump: DatabaseDump): string[] {
    switch (dump.tool) {
        case "pg_dumpall":
            return ["pg_dumpall", "--clean", "--if-exists", `--username=${dump.user}`];
        case "pg_dump":
            // --create: the dump re-creates its database, so it restores from the maintenance database.
            return [
                "pg_dump",
                "--clean",
                "--if-exists",
                "--create",
                `--username=${dump.user}`,
                `--dbname=${dump.database}`,
            ];
    }
}

/** psql reading the dump, connected to the maintenance database (the dump re-creates the others). */
export function restoreArgs(dump: DatabaseDump): string[] {
    return ["psql", "--quiet", `--username=${dump.user}`, "--dbname=postgres"];
}

/**
 * Immich's documented restore rewrites the dump's empty search_path: its vector extensions'
 * functions are looked up through it while the indexes are rebuilt. Harmless for plain tables.
 */
const searchPathFix =
    "s/SELECT pg_catalog.set_config('search_path', '', false);/" +
    "SELECT pg_catalog.set_config('search_path', 'public, pg_catalog', true);/g";

/**
 * The restore pipeline for one dump file, as the README documents it. `runIn` turns the
 * in-container command into one that reaches the database: `docker exec -i <container> ...` by
 * default.
 */
export function restoreCommand(
    database: { service: string; dump: DatabaseDump; file: string },
    runIn: (args: string[]) => string = (args) => dockerExec(database.service, args, true),
): string {
    const stages = [`gunzip --stdout ${shellWord(database.file)}`];
    // Double quotes as in Immich's documentation: the expression holds single quotes and nothing the shell expands.
    if (database.dump.tool === "pg_dumpall") stages.push(`sed "${searchPathFix}"`);
    stages.push(runIn(restoreArgs(database.dump)));
    return stages.join(" | ");
}

/** `docker exec` into the database's container; `-i` when the command reads stdin. */
export function dockerExec(container: string, args: string[], stdin = false): string {
    return ["docker", "exec", ...(stdin ? ["-i"] : []), container, ...args].map(shellWord).join(" ");
}
