/**
 * In the labs every service runs the stand-in: it declares the VOLUMEs of the entry's real image
 * (catalog storage.declaredVolumes), so a declared volume no mount covers gets an anonymous volume
 * there as on a real host. runtimeImage picks the variant; build.sh builds one per set.
 * The hashes below are `printf '<the sorted set, one a line>' | sha256sum | cut -c1-12`.
 */
import { catalog } from "../catalog";
import type { ServiceEntry } from "../catalog/types";
import { runtimeImage, standInVariants, standInWithVolumes } from "../components/offline";
import { stackSettings } from "./helpers/program";

const lab = stackSettings("lab");
const offline = { ...lab, offline: { standInImage: "homelab-standin:v1", keep: ["traefik"], images: {} } };
const entry = (name: string): ServiceEntry => {
    const found = catalog.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no catalog entry ${name}`);
    return found;
};

describe("the stand-in declares the real image's volumes", () => {
    test("runtimeImage picks the variant of the entry's declared volumes", () => {
        expect(runtimeImage(entry("sonarr"), offline).image).toBe("homelab-standin:v1-vol-01d0ea696869");
        expect(runtimeImage(entry("calibre-web-automated"), offline).image).toBe("homelab-standin:v1-vol-a2febf7aa4c6");
    });

    test("an entry whose image declares no volume runs the stand-in itself; a kept one its catalog image", () => {
        expect(entry("audiobookshelf").storage.declaredVolumes).toEqual([]);
        expect(runtimeImage(entry("audiobookshelf"), offline).image).toBe("homelab-standin:v1");
        expect(runtimeImage(entry("traefik"), offline).image).toBe(
            `${entry("traefik").image.repository}:${entry("traefik").image.tag}`,
        );
    });

    test("a per-service stand-in gets its own variant", () => {
        const changed = { ...offline, offline: { ...offline.offline, images: { sonarr: "homelab-standin:v2" } } };
        expect(runtimeImage(entry("sonarr"), changed).image).toBe("homelab-standin:v2-vol-01d0ea696869");
        expect(runtimeImage(entry("radarr"), changed).image).toBe("homelab-standin:v1-vol-01d0ea696869");
    });

    test("the tag depends on the set, not its order or repeats; an untagged or registry stand-in keeps its name", () => {
        expect(standInWithVolumes("s:t", ["/config", "/calibre-library", "/cwa-book-ingest", "/config"])).toBe(
            "s:t-vol-a2febf7aa4c6",
        );
        expect(standInWithVolumes("localhost:5000/standin", ["/config"])).toBe(
            "localhost:5000/standin:latest-vol-01d0ea696869",
        );
        expect(standInWithVolumes("s:t", [])).toBe("s:t");
    });

    test("one variant per distinct set in the catalog, each with its volumes (what build.sh builds)", () => {
        const variants = standInVariants("homelab-standin:v1", [
            entry("sonarr"),
            entry("radarr"),
            entry("calibre-web-automated"),
        ]);
        expect(variants).toEqual([
            { image: "homelab-standin:v1-vol-01d0ea696869", volumes: ["/config"] },
            {
                image: "homelab-standin:v1-vol-a2febf7aa4c6",
                volumes: ["/calibre-library", "/config", "/cwa-book-ingest"],
            },
        ]);
    });
});

describe("the stand-in checks that every data mount is the NAS's share", () => {
    test("one sentinel path per data mount, at the mount's container path", () => {
        expect(runtimeImage(entry("sonarr"), offline).env.STANDIN_SENTINEL).toBe("/data/.homelab-nas");
        expect(runtimeImage(entry("calibre-web-automated"), offline).env.STANDIN_SENTINEL).toBe(
            "/cwa-book-ingest/.homelab-nas /calibre-library/.homelab-nas",
        );
        expect(runtimeImage(entry("prowlarr"), offline).env).not.toHaveProperty("STANDIN_SENTINEL");
    });
});
