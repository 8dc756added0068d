import { catalog } from "../catalog";
import type { ServiceEntry } from "../catalog/types";
import { catalogProblems } from "../catalog/validate";
import { runtimeImage } from "../components/offline";
import { stackSettings } from "./helpers/program";

const settings = stackSettings("prod");
const entry = (name: string): ServiceEntry => {
    const found = catalog.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no catalog entry ${name}`);
    return found;
};

describe("imports hardlink from downloads into the library through one mount", () => {
    test("the arr apps that import declare it and mount the whole /data tree", () => {
        const importers = catalog.filter((candidate) => candidate.hardlinks !== undefined).map((c) => c.name);
        expect(importers.sort()).toEqual(["radarr", "radarr-4k", "sonarr", "sonarr-anime"]);
        for (const name of importers) {
            expect(entry(name).mounts).toContainEqual({ from: "data", sub: "", target: "/data", readOnly: false });
        }
    });

    test("a catalog change that mounts downloads and media separately is rejected, naming the entry", () => {
        const split: ServiceEntry = {
            ...entry("sonarr"),
            mounts: [
                { from: "appdata", target: "/config" },
                { from: "data", sub: "downloads", target: "/data/downloads" },
                { from: "data", sub: "media", target: "/data/media" },
            ],
        };
        const others = catalog.filter((candidate) => candidate.name !== "sonarr");
        expect(catalogProblems([...others, split], settings)).toEqual([
            'catalog: sonarr.mounts: data mounts ["downloads","media"] do not put "downloads" and "media" behind one mount; ' +
                "its imports hardlink and move between them, which fails across mounts (EXDEV); " +
                'expected one data mount that covers both, such as data("")',
        ]);
    });

    test("one mount of a common parent is enough", () => {
        const parent: ServiceEntry = {
            ...entry("sonarr"),
            hardlinks: { from: "downloads/tv", to: "media/tv" },
            mounts: [
                { from: "appdata", target: "/config" },
                { from: "data", sub: "", target: "/srv" },
            ],
        };
        const others = catalog.filter((candidate) => candidate.name !== "sonarr");
        expect(catalogProblems([...others, parent], settings)).toEqual([]);
    });
});

describe("the stand-in is told what to prove at start", () => {
    const offline = { ...settings, offline: { standInImage: "standin:test", keep: [], images: {} } };

    test("an importer: its writable mounts, the user it writes as, and the hardlink", () => {
        expect(runtimeImage(entry("sonarr"), offline).env).toEqual({
            STANDIN_PORT: "8989",
            STANDIN_PATH: "/ping",
            STANDIN_SERVICE: "sonarr",
            STANDIN_WRITE_AS: "2000:2000",
            STANDIN_WRITABLE: "/config /data",
            STANDIN_HARDLINK: "/data/downloads /data/media",
            STANDIN_SENTINEL: "/data/.homelab-nas",
        });
    });

    test("a service that runs with user: writes as the container's user; read-only and socket mounts are skipped", () => {
        expect(runtimeImage(entry("authentik-worker"), offline).env).toMatchObject({
            STANDIN_WRITABLE: "/data /templates /certs /blueprints/homelab",
        });
        expect(runtimeImage(entry("authentik-worker"), offline).env).not.toHaveProperty("STANDIN_WRITE_AS");
        expect(runtimeImage(entry("traefik"), offline).env).toMatchObject({
            STANDIN_WRITABLE: "/letsencrypt /etc/traefik/dynamic",
        });
    });
});
