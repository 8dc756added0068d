/**
 * The NAS's share carries `.homelab-nas` in every data directory a container mounts, made on the
 * NAS side only (hosts/nas-sentinel.ts): prod's NAS at the export paths the VMs mount, the lab's
 * one data tree, never a VM's own disk. Both executors (the hosts' script, the lab's provider) make it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../../catalog";
import type { Settings } from "../../config/schema";
import { containerSpecs } from "../../components/container-spec";
import { directoriesScript } from "../../hosts/directories";
import { localDirectoriesProvider } from "../../hosts/local-directories";
import { nasLocation, nasShareFilesByHost, type NasShareFiles } from "../../hosts/nas-sentinel";
import { hostNames } from "../../topology";
import { stackSettings } from "../helpers/program";

const services = catalog.filter((entry) => entry.enabled !== false);
const placements = (settings: Settings) =>
    containerSpecs(services, settings).filter((spec) => spec.target === "docker");

describe("where the sentinels go", () => {
    test("prod: only the NAS makes them, at the NAS's paths of the exports the VMs mount", () => {
        const prod = stackSettings("prod");
        const shares = nasShareFilesByHost(placements(prod), prod, [...hostNames]);
        expect(Object.keys(shares)).toEqual(["nas-prod-01"]);
        const sentinels = (shares["nas-prod-01"] as NasShareFiles).sentinels.map((file) => file.path);
        expect(sentinels).toEqual(
            expect.arrayContaining([
                "/mnt/user/data/.homelab-nas", // the *arr apps' /data
                "/mnt/user/data/media/books/.homelab-nas", // CWA's /calibre-library
                "/mnt/user/photos/.homelab-nas", // Immich's /data: the photos export, not data/photos
            ]),
        );
        expect(sentinels.filter((file) => !file.startsWith("/mnt/user/"))).toEqual([]);
        expect(sentinels).not.toContain("/mnt/user/data/photos/.homelab-nas");
        expect(nasLocation("immich-prod-01", "photos", prod)).toEqual({
            root: "/mnt/user/photos",
            path: "/mnt/user/photos",
        });
        expect(nasLocation("docker-prod-01", "media/books", prod)).toEqual({
            root: "/mnt/user/data",
            path: "/mnt/user/data/media/books",
        });
        // A real NAS keeps the owner of a directory it has; the sentinel is the service identity's.
        const share = shares["nas-prod-01"] as NasShareFiles;
        expect(share.directories.find((directory) => directory.path === "/mnt/user/data/media")).toEqual({
            path: "/mnt/user/data/media",
            uid: 2000,
            gid: 2000,
            mode: "0775",
            enforceOwner: false,
        });
        expect(share.sentinels.find((file) => file.path === "/mnt/user/photos/.homelab-nas")).toEqual({
            path: "/mnt/user/photos/.homelab-nas",
            uid: 2000,
            gid: 2000,
        });
    });

    test("the lab: the NAS host makes them in the one local data tree", () => {
        const lab = stackSettings("lab");
        const shares = nasShareFilesByHost(placements(lab), lab, [...hostNames]);
        expect(Object.keys(shares)).toEqual(["nas-prod-01"]);
        expect((shares["nas-prod-01"] as NasShareFiles).sentinels.map((file) => file.path)).toEqual(
            expect.arrayContaining([
                "/var/tmp/homelab-lab/data/.homelab-nas",
                "/var/tmp/homelab-lab/data/photos/.homelab-nas",
                "/var/tmp/homelab-lab/data/media/books/.homelab-nas",
            ]),
        );
    });

    test("without a NAS host: a host that holds the data tree makes its own; a VM never does", () => {
        const lab = stackSettings("lab");
        const vms = hostNames.filter((name) => name !== "nas-prod-01");
        const shares = nasShareFilesByHost(placements(lab), lab, vms);
        expect(Object.keys(shares).sort()).toEqual(["docker-prod-01", "immich-prod-01"]);
        const withoutTree: Settings = {
            ...lab,
            hosts: Object.fromEntries(
                Object.entries(lab.hosts).map(([name, host]) => [name, { ...host, createDataDirectories: false }]),
            ),
        };
        expect(nasShareFilesByHost(placements(withoutTree), withoutTree, vms)).toEqual({});
    });
});

const isRoot = process.getuid?.() === 0;
(isRoot ? describe : describe.skip)("both executors make the sentinel once, owned by the service identity", () => {
    const made: string[] = [];
    afterAll(() => {
        for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    });
    const plan = (root: string): NasShareFiles => ({
        directories: [root, `${root}/media`, `${root}/media/books`].map((dir) => ({
            path: dir,
            uid: 2000,
            gid: 2000,
            mode: "0775",
            enforceOwner: false,
        })),
        sentinels: [root, `${root}/media/books`].map((dir) => ({ path: `${dir}/.homelab-nas`, uid: 2000, gid: 2000 })),
    });
    const prepare = (): string => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-sentinel-"));
        made.push(root);
        // One the NAS had already: left as it is.
        fs.writeFileSync(`${root}/.homelab-nas`, "kept\n", { mode: 0o600 });
        return root;
    };
    const found = (root: string): Record<string, string> =>
        Object.fromEntries(
            [`${root}/.homelab-nas`, `${root}/media/books/.homelab-nas`].map((file) => {
                const stat = fs.statSync(file);
                return [
                    path.relative(root, file),
                    `${stat.uid}:${stat.gid} ${(stat.mode & 0o777).toString(8)} ${fs.readFileSync(file, "utf8").split("\n")[0] ?? ""}`,
                ];
            }),
        );
    const expected = {
        ".homelab-nas": "0:0 600 kept",
        "media/books/.homelab-nas":
            "2000:2000 644 homelab: this directory is on the NAS's share. Containers whose data mount lacks this file refuse to start",
    };

    test("the hosts' script (shellcheck-clean, idempotent)", () => {
        const root = prepare();
        const { directories, sentinels } = plan(root);
        const script = `${root}.sh`;
        made.push(script);
        fs.writeFileSync(script, directoriesScript("nas-prod-01", directories, sentinels));
        execFileSync("shellcheck", [script]);
        execFileSync("bash", [script]);
        execFileSync("bash", [script]);
        expect(found(root)).toEqual(expected);
        expect(fs.readdirSync(`${root}/media/books`)).toEqual([".homelab-nas"]);
    });

    test("the lab's provider", async () => {
        const root = prepare();
        await localDirectoriesProvider.create(plan(root));
        await localDirectoriesProvider.create(plan(root));
        expect(found(root)).toEqual(expected);
        expect(fs.readdirSync(`${root}/media/books`)).toEqual([".homelab-nas"]);
    });
});
