import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { restoreCommand, shellWord } from "../../hosts/backups/databases";
import { appdataBackupPlan, appdataBackupScript, type AppdataBackupPlan } from "../../hosts/backups/scripts";
import { stackSettings } from "../helpers/program";

/**
 * The Tier 1 database dumps, proven on a real PostgreSQL (Debian's `postgresql`): the generated
 * backup script dumps a live cluster through `docker exec`, the cluster is thrown away and
 * re-created empty (what a fresh database container does), the documented restore command reads
 * the dump back, and everything is compared with what was there before. `docker` is a stand-in
 * that runs the in-container command against the local cluster, so the script's and the README's
 * exact command text is what runs.
 */

const settings = stackSettings("prod");
const onCalendar = settings.backups?.appdata?.onCalendar ?? "daily";

/** The newest installed PostgreSQL's bin directory (Debian keeps them in /usr/lib/postgresql/<major>/bin). */
function postgresBin(): string | undefined {
    const root = "/usr/lib/postgresql";
    if (!fs.existsSync(root)) return undefined;
    return fs
        .readdirSync(root)
        .filter((major) => /^\d+$/.test(major))
        .sort((a, b) => Number(b) - Number(a))
        .map((major) => path.join(root, major, "bin"))
        .find((bin) =>
            ["initdb", "pg_ctl", "pg_dump", "pg_dumpall", "psql"].every((t) => fs.existsSync(`${bin}/${t}`)),
        );
}

const isRoot = process.getuid?.() === 0;
const hasRunuser = spawnSync("runuser", ["--help"]).status === 0;

/** PostgreSQL refuses to run as root: as root, the clusters belong to Debian's postgres user (or one made for this). */
function clusterUser(): { name: string; uid: number; gid: number } | undefined {
    const lookup = (name: string): { name: string; uid: number; gid: number } | undefined => {
        const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
        const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
        if (uid.status !== 0 || gid.status !== 0) return undefined;
        return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    };
    const existing = lookup("postgres") ?? lookup("homelab-pgtest");
    if (existing !== undefined) return existing;
    spawnSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "homelab-pgtest"]);
    return lookup("homelab-pgtest");
}

const bin = postgresBin();
const user = bin !== undefined && isRoot && hasRunuser ? clusterUser() : undefined;
const skipReason =
    bin === undefined
        ? "PostgreSQL is not installed (Debian: apt-get install postgresql; CI installs it)"
        : isRoot && user === undefined
          ? "running as root without runuser or a user for the cluster (PostgreSQL refuses to run as root)"
          : undefined;

/** A command line run as the cluster's owner, with the PostgreSQL tools on PATH and the cluster's socket as PGHOST. */
function asOwner(socketDir: string, args: string[]): string[] {
    const env = ["env", `PATH=${bin ?? ""}:/usr/bin:/bin`, `PGHOST=${socketDir}`, ...args];
    return isRoot && user !== undefined ? ["runuser", "-u", user.name, "--", ...env] : env;
}

class Cluster {
    readonly data: string;
    readonly socket: string;
    constructor(
        private readonly dir: string,
        /** The container's superuser: POSTGRES_USER. */
        private readonly superuser: string,
    ) {
        this.data = path.join(dir, "cluster");
        this.socket = path.join(dir, "socket");
        fs.mkdirSync(this.socket, { recursive: true });
        if (user !== undefined) fs.chownSync(this.socket, user.uid, user.gid);
    }

    private run(args: string[], input?: string): SpawnSyncReturns<string> {
        const [command = "", ...rest] = asOwner(this.socket, args);
        const result = spawnSync(command, rest, { encoding: "utf8", input, cwd: this.dir });
        if (result.status !== 0) {
            throw new Error(`${args.join(" ")} failed (${String(result.status)}):\n${result.stdout}${result.stderr}`);
        }
        return result;
    }

    /** An empty cluster with one database, as a database container's first start makes it. */
    create(database: string): void {
        fs.rmSync(this.data, { recursive: true, force: true });
        fs.mkdirSync(this.data);
        if (user !== undefined) fs.chownSync(this.data, user.uid, user.gid);
        fs.chmodSync(this.data, 0o700);
        this.run(["initdb", "-D", this.data, "-U", this.superuser, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
        this.run([
            "pg_ctl",
            "-D",
            this.data,
            "-l",
            path.join(this.data, "server.log"),
            "-o",
            `-k ${this.socket} -c listen_addresses='' -F`,
            "-w",
            "start",
        ]);
        if (database !== "postgres") this.sql("postgres", `CREATE DATABASE ${database}`);
    }

    stop(): void {
        if (fs.existsSync(path.join(this.data, "postmaster.pid"))) {
            this.run(["pg_ctl", "-D", this.data, "-m", "fast", "-w", "stop"]);
        }
    }

    /** Rows as `a|b` lines; fails on the first SQL error. */
    sql(database: string, statements: string): string {
        return this.run(
            ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", this.superuser, "-d", database],
            statements,
        ).stdout;
    }

    /** A plain dump to compare before and after (not the backup's own dump). */
    snapshot(tool: "pg_dumpall" | "pg_dump", database?: string): string {
        const args =
            tool === "pg_dumpall" ? [tool, "-U", this.superuser] : [tool, "-U", this.superuser, "-d", database ?? ""];
        // \restrict carries a random key per dump (psql meta-command protection since 17.6/16.10/15.14).
        return this.run(args)
            .stdout.split("\n")
            .filter((line) => !/^\\(un)?restrict /.test(line))
            .join("\n");
    }
}

/** Fake commands for the parts of the backup that are not the database: the NAS mount, rsync, Healthchecks. */
function fakeBin(dir: string, socketDir: string, container: string): string {
    const fake = path.join(dir, "bin");
    fs.mkdirSync(fake);
    const runner = asOwner(socketDir, []).map(shellWord).join(" ");
    const scripts: Record<string, string> = {
        mountpoint: "exit 0",
        rsync: "exit 0",
        curl: 'echo "$*" >>"$PINGS"',
        // `docker exec [-i] <container> cmd...` runs cmd against the local cluster.
        docker: `[ "$1" = exec ] || { echo "docker: only exec is faked" >&2; exit 90; }
shift
if [ "$1" = -i ]; then shift; fi
[ "$1" = ${shellWord(container)} ] || { echo "docker: no container $1" >&2; exit 91; }
shift
exec ${runner} "$@"`,
    };
    for (const [name, body] of Object.entries(scripts)) {
        fs.writeFileSync(path.join(fake, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    }
    return fake;
}

/** The host's plan with the NAS side in the scratch directory. */
function planIn(host: string, dir: string): AppdataBackupPlan {
    const plan = appdataBackupPlan(settings, host, onCalendar);
    const moved = (p: string): string => path.join(dir, "backups", p.slice(plan.mountPoint.length));
    return {
        ...plan,
        mountPoint: path.join(dir, "backups"),
        destination: moved(plan.destination),
        databases: plan.databases.map((database) => ({ ...database, file: moved(database.file) })),
    };
}

function runBash(script: string, dir: string, fake: string): SpawnSyncReturns<string> {
    const file = path.join(dir, `run-${Date.now()}.sh`);
    fs.writeFileSync(file, script);
    return spawnSync("bash", [file], {
        encoding: "utf8",
        // The scratch dir, as the cluster's own commands use: the commands run as the cluster's
        // user inherit it, and the checkout may be where that user cannot enter (a 0700 mktemp).
        cwd: dir,
        env: {
            PATH: `${fake}:/usr/sbin:/usr/bin:/sbin:/bin`,
            PING_URL: "https://hc.example/ping",
            PINGS: path.join(dir, "pings"),
        },
    });
}

/** psql's ERROR lines, which the restore tolerates (it does not stop on errors). */
const errors = (stderr: string): string[] => stderr.split("\n").filter((line) => line.includes("ERROR:"));

const describeOrSkip = skipReason === undefined ? describe : describe.skip;

describeOrSkip(
    skipReason === undefined
        ? "database dumps restore to identical data (real PostgreSQL)"
        : `database dumps restore to identical data (skipped: ${skipReason})`,
    () => {
        jest.setTimeout(120_000);
        let dir: string;
        let cluster: Cluster | undefined;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-restore-"));
            fs.chmodSync(dir, 0o755);
        });
        afterEach(() => {
            cluster?.stop();
            cluster = undefined;
            fs.rmSync(dir, { recursive: true, force: true });
        });

        test("Immich (pg_dumpall as postgres): every database and role comes back", () => {
            const plan = planIn("immich-prod-01", dir);
            const [database] = plan.databases;
            if (database === undefined) throw new Error("immich-prod-01 has no database to dump");
            cluster = new Cluster(dir, "postgres");
            cluster.create("immich");
            cluster.sql(
                "immich",
                `CREATE ROLE immich_reader LOGIN PASSWORD 'reader-pw';
                 CREATE TABLE assets (id serial PRIMARY KEY, path text NOT NULL, taken timestamptz,
                                      checksum bytea, tags text[]);
                 CREATE INDEX assets_taken ON assets (taken);
                 CREATE VIEW tagged AS SELECT id, path FROM assets WHERE cardinality(tags) > 0;
                 INSERT INTO assets (path, taken, checksum, tags) VALUES
                     ('/data/photos/2024/zoë ☃.jpg', '2024-12-24 18:00:00+00', '\\x00ff10', ARRAY['snow','family']),
                     ('/data/photos/it''s.heic', NULL, NULL, '{}');
                 GRANT SELECT ON tagged TO immich_reader;`,
            );
            const before = cluster.snapshot("pg_dumpall");

            const fake = fakeBin(dir, cluster.socket, "immich-postgres");
            const backup = runBash(appdataBackupScript(plan), dir, fake);
            expect(backup.stderr).toBe("");
            expect(backup.status).toBe(0);
            expect(fs.readFileSync(path.join(dir, "pings"), "utf8")).toContain("https://hc.example/ping/0");
            expect(fs.readdirSync(path.dirname(database.file))).toEqual(["immich-postgres.sql.gz"]);

            // The database container's data directory is gone; a fresh container starts empty.
            cluster.stop();
            cluster.create("immich");
            const restore = runBash(restoreCommand(database), dir, fake);
            expect(restore.status).toBe(0);
            // pg_dumpall replays the roles: the fresh cluster's own superuser already exists.
            expect(errors(restore.stderr)).toEqual([
                expect.stringContaining("ERROR:  current user cannot be dropped"),
                expect.stringContaining('ERROR:  role "postgres" already exists'),
            ]);

            // Schema, data, roles, grants and sequence positions, all of it.
            expect(cluster.snapshot("pg_dumpall")).toBe(before);
            expect(cluster.sql("immich", "SELECT id, path, taken, checksum, tags FROM assets ORDER BY id")).toBe(
                "1|/data/photos/2024/zoë ☃.jpg|2024-12-24 18:00:00+00|\\x00ff10|{snow,family}\n" +
                    "2|/data/photos/it's.heic|||{}\n",
            );
            expect(cluster.sql("immich", "SELECT nextval('assets_id_seq')")).toBe("3\n");
            expect(cluster.sql("immich", "SET ROLE immich_reader; SELECT path FROM tagged")).toBe(
                "/data/photos/2024/zoë ☃.jpg\n",
            );
        });

        test("Authentik (pg_dump -U authentik -d authentik): the database is re-created from postgres", () => {
            const plan = planIn("auth-prod-01", dir);
            const [database] = plan.databases;
            if (database === undefined) throw new Error("auth-prod-01 has no database to dump");
            cluster = new Cluster(dir, "authentik");
            cluster.create("authentik");
            cluster.sql(
                "authentik",
                `CREATE TABLE authentik_core_user (id serial PRIMARY KEY, username text UNIQUE NOT NULL,
                                                   attributes jsonb NOT NULL DEFAULT '{}');
                 CREATE FUNCTION lower_name() RETURNS trigger LANGUAGE plpgsql AS
                     $$ BEGIN NEW.username := lower(NEW.username); RETURN NEW; END $$;
                 CREATE TRIGGER lower_name BEFORE INSERT ON authentik_core_user
                     FOR EACH ROW EXECUTE FUNCTION lower_name();
                 INSERT INTO authentik_core_user (username, attributes) VALUES
                     ('AKAdmin', '{"goauthentik.io/user/override-ips": true}'), ('gio', '{}');`,
            );
            const before = cluster.snapshot("pg_dump", "authentik");

            const fake = fakeBin(dir, cluster.socket, "authentik-postgresql");
            const backup = runBash(appdataBackupScript(plan), dir, fake);
            expect(backup.stderr).toBe("");
            expect(backup.status).toBe(0);

            cluster.stop();
            cluster.create("authentik");
            // Something the app wrote on its empty start: the restore replaces it.
            cluster.sql("authentik", "CREATE TABLE django_migrations (id int)");
            const restore = runBash(restoreCommand(database), dir, fake);
            expect(restore.stderr).toBe("");
            expect(restore.status).toBe(0);

            // Schema, data, the trigger and the sequence position, all of it; the app's leftover is gone.
            expect(cluster.snapshot("pg_dump", "authentik")).toBe(before);
            expect(
                cluster.sql("authentik", "SELECT id, username, attributes FROM authentik_core_user ORDER BY id"),
            ).toBe('1|akadmin|{"goauthentik.io/user/override-ips": true}\n2|gio|{}\n');
            expect(
                cluster.sql(
                    "authentik",
                    "INSERT INTO authentik_core_user (username) VALUES ('NEW') RETURNING username, id",
                ),
            ).toBe("new|3\n");
            expect(
                cluster.sql("authentik", "SELECT count(*) FROM pg_tables WHERE tablename = 'django_migrations'"),
            ).toBe("0\n");
        });

        test("a database that does not answer fails the run and keeps the last good dump", () => {
            const plan = planIn("auth-prod-01", dir);
            const [database] = plan.databases;
            if (database === undefined) throw new Error("auth-prod-01 has no database to dump");
            cluster = new Cluster(dir, "authentik");
            cluster.create("authentik");
            cluster.stop();
            fs.mkdirSync(path.dirname(database.file), { recursive: true });
            fs.writeFileSync(database.file, "last good dump");

            const backup = runBash(
                appdataBackupScript(plan),
                dir,
                fakeBin(dir, cluster.socket, "authentik-postgresql"),
            );
            expect(backup.status).toBe(1);
            expect(backup.stderr).toContain("pg_dump: error: connection to server on socket");
            expect(fs.readFileSync(path.join(dir, "pings"), "utf8").trim().split("\n").at(-1)).toBe(
                "-fsS -m 10 --retry 5 -o /dev/null https://hc.example/ping/1",
            );
            expect(fs.readFileSync(database.file, "utf8")).toBe("last good dump");
            expect(fs.readdirSync(path.dirname(database.file))).toEqual(["authentik-postgresql.sql.gz"]);
        });
    },
);
