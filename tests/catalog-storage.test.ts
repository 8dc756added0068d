import { catalog } from "../catalog";
import type { ServiceEntry } from "../catalog/types";
import { catalogProblems } from "../catalog/validate";
import { stackSettings } from "./helpers/program";

/**
 * No data outside a backed-up host path: every path an image declares as VOLUME, and every path
 * its app keeps state in, is under a mount; the catalog records them with their upstream source.
 */

const settings = stackSettings("prod");
const entry = (name: string): ServiceEntry => {
    const found = catalog.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no catalog entry ${name}`);
    return found;
};
const problemsWith = (changed: ServiceEntry): string[] =>
    catalogProblems([...catalog.filter((candidate) => candidate.name !== changed.name), changed], settings);

describe("image volumes and state paths are under host mounts", () => {
    test("Calibre-Web-Automated keeps its library on the NAS's books tree at the path its image declares", () => {
        expect(entry("calibre-web-automated").mounts).toContainEqual({
            from: "data",
            sub: "media/books",
            target: "/calibre-library",
        });
    });

    test("CWA with its library at /data/media/books (the old mount) is refused, naming the path and the fix", () => {
        const cwa = entry("calibre-web-automated");
        const old: ServiceEntry = {
            ...cwa,
            mounts: [
                { from: "appdata", target: "/config" },
                { from: "data", sub: "downloads/books-ingest", target: "/cwa-book-ingest" },
                { from: "data", sub: "media/books", target: "/data/media/books", readOnly: false },
            ],
        };
        expect(problemsWith(old)).toEqual([
            'catalog: calibre-web-automated.storage.declaredVolumes: "/calibre-library" (a VOLUME of ' +
                "docker.io/crocodilestick/calibre-web-automated) is not covered by a mount; Docker would keep it in an " +
                "anonymous volume on the host's disk, outside the backups and lost when the container is replaced; " +
                'expected a mount at exactly "/calibre-library" in calibre-web-automated.mounts (appdata or data; a ' +
                "tmpfs if it holds nothing to keep)",
        ]);
    });

    test("a state path without a host mount is refused; a tmpfs covers a declared volume but keeps no state", () => {
        const shelfmark = entry("shelfmark");
        const inRam: ServiceEntry = {
            ...shelfmark,
            mounts: shelfmark.mounts.filter((mount) => mount.from !== "appdata"),
            tmpfs: [{ target: "/config", reason: "test" }],
            storage: { ...shelfmark.storage, declaredVolumes: ["/config"] },
        };
        expect(problemsWith(inRam)).toEqual([
            'catalog: shelfmark.storage.statePaths: "/config" is not covered by a host mount; shelfmark writes ' +
                "state there, which would be lost when the container is replaced; expected an appdata or data mount " +
                'at or above "/config" in shelfmark.mounts',
        ]);
    });

    test("a declared volume needs a mount at exactly its path: a bind of a parent still leaves it a volume", () => {
        const postgres = entry("authentik-postgresql");
        const parent: ServiceEntry = {
            ...postgres,
            mounts: [{ from: "appdata", target: "/var/lib/postgresql" }],
        };
        expect(problemsWith(parent)).toEqual([
            'catalog: authentik-postgresql.storage.declaredVolumes: "/var/lib/postgresql/data" (a VOLUME of ' +
                "docker.io/library/postgres) is not covered by a mount; Docker would keep it in an anonymous volume " +
                "on the host's disk, outside the backups and lost when the container is replaced; expected a mount " +
                'at exactly "/var/lib/postgresql/data" in authentik-postgresql.mounts (appdata or data; a tmpfs if it ' +
                "holds nothing to keep)",
        ]);
    });

    test("a relative path and an empty source are refused", () => {
        const shelfmark = entry("shelfmark");
        const bad: ServiceEntry = {
            ...shelfmark,
            storage: { declaredVolumes: [], statePaths: ["config"], source: " " },
        };
        expect(problemsWith(bad)).toEqual([
            "catalog: shelfmark.storage.source: (empty) is not allowed; expected the upstream files the paths were read from",
            'catalog: shelfmark.storage: "config" is not allowed; expected an absolute container path',
            'catalog: shelfmark.storage.statePaths: "config" is not covered by a host mount; shelfmark writes state ' +
                "there, which would be lost when the container is replaced; expected an appdata or data mount at or " +
                'above "config" in shelfmark.mounts',
        ]);
    });

    test("Authentik's server and worker share one /data and one /templates, as upstream's compose does", () => {
        const shared = (name: string) =>
            entry(name).mounts.flatMap((mount) =>
                mount.from === "appdata" && ["/data", "/templates"].includes(mount.target)
                    ? [`${mount.of ?? name}/${mount.sub ?? ""}`]
                    : [],
            );
        expect(shared("authentik-server")).toEqual(["authentik-server/data", "authentik-server/custom-templates"]);
        expect(shared("authentik-worker")).toEqual(["authentik-server/data", "authentik-server/custom-templates"]);
    });

    test("another service's appdata must be of an enabled service on the same host", () => {
        const worker = entry("authentik-worker");
        const elsewhere: ServiceEntry = {
            ...worker,
            mounts: [...worker.mounts, { from: "appdata", of: "sonarr", sub: "x", target: "/x" }],
        };
        expect(problemsWith(elsewhere)).toEqual([
            'catalog: authentik-worker.mounts: appdata of "sonarr" at "/x" is not allowed; expected another enabled service on the same host',
        ]);
    });

    test("every entry records where its facts come from", () => {
        const unsourced = catalog.filter((candidate) => !/\S+\/\S+ /.test(candidate.storage.source));
        expect(unsourced.map((candidate) => candidate.name)).toEqual([]);
    });
});
