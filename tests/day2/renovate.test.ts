import * as fs from "node:fs";
import * as path from "node:path";
import { catalog } from "../../catalog";
import { authentikVersion } from "../../catalog/stacks/auth";
import { repoRoot } from "../helpers/program";

interface CustomManager {
    managerFilePatterns: string[];
    matchStrings: string[];
    depNameTemplate?: string;
    packageNameTemplate?: string;
}
interface PackageRule {
    matchManagers?: string[];
    matchDepTypes?: string[];
    matchPackageNames?: string[];
    matchDatasources?: string[];
    versioning?: string;
    groupName?: string;
}
interface RenovateConfig {
    customManagers: CustomManager[];
    packageRules: PackageRule[];
}

const config = JSON.parse(fs.readFileSync(path.join(repoRoot, "renovate.json"), "utf8")) as RenovateConfig;
const fromSlashes = (pattern: string): RegExp => new RegExp(pattern.replace(/^\/(.*)\/$/, "$1"));
/** Renovate's glob for package names: `**` any characters, `*` any but a slash. */
const glob = (pattern: string): RegExp =>
    new RegExp(
        `^${pattern
            .split("**")
            .map((part) =>
                part
                    .split("*")
                    .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                    .join("[^/]*"),
            )
            .join(".*")}$`,
    );

interface Pin {
    file: string;
    packageName: string;
    currentValue: string;
}

/** What Renovate's regex managers extract from the repository (templates: only {{{depName}}} is used). */
function extractedPins(): Pin[] {
    const files = fs.readdirSync(path.join(repoRoot, "catalog/stacks")).map((file) => `catalog/stacks/${file}`);
    return config.customManagers.flatMap((manager) =>
        files
            .filter((file) => manager.managerFilePatterns.some((pattern) => fromSlashes(pattern).test(file)))
            .flatMap((file) => {
                const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
                return manager.matchStrings.flatMap((matchString) =>
                    [...text.matchAll(new RegExp(matchString, "g"))].map((match) => {
                        const depName = match.groups?.depName ?? "";
                        const template = manager.packageNameTemplate ?? manager.depNameTemplate ?? "{{{depName}}}";
                        return {
                            file,
                            packageName: template.replace("{{{depName}}}", depName),
                            currentValue: match.groups?.currentValue ?? "",
                        };
                    }),
                );
            }),
    );
}

/** Images whose version is the same constant as another image's (one update moves both). */
const sharesVersionWith: Record<string, string> = {
    "ghcr.io/immich-app/immich-machine-learning": "ghcr.io/immich-app/immich-server",
    "docker.io/henrygd/beszel-agent": "docker.io/henrygd/beszel",
};

describe("renovate.json", () => {
    const pins = extractedPins();

    test("finds every image pin in the catalog, each where it is written, and nothing else", () => {
        // 21 `repository: "…", tag: "…"` literals, 4 lsio("app", "tag") calls and 5 constants
        // (sonarrTag, radarrTag, authentikVersion, immichVersion, beszelVersion) shared by 10 entries.
        expect(pins).toHaveLength(30);
        for (const entry of catalog) {
            const repository = sharesVersionWith[entry.image.repository] ?? entry.image.repository;
            const found = pins.filter((pin) => pin.packageName === repository && pin.currentValue === entry.image.tag);
            expect([entry.name, found.length]).toEqual([entry.name, 1]);
        }
        const pinned = new Set(catalog.map((entry) => `${entry.image.repository}:${entry.image.tag}`));
        expect(pins.filter((pin) => !pinned.has(`${pin.packageName}:${pin.currentValue}`))).toEqual([]);
    });

    test("linuxserver.io tags parse with the versioning the config gives them (<version>-ls<build>)", () => {
        const rule = config.packageRules.find((r) => r.matchPackageNames?.includes("lscr.io/linuxserver/**"));
        const versioning = new RegExp((rule?.versioning ?? "").replace(/^regex:/, ""));
        const tags = catalog
            .filter((e) => e.image.repository.startsWith("lscr.io/linuxserver/"))
            .map((e) => e.image.tag);
        expect(tags.length).toBeGreaterThan(5);
        for (const tag of tags)
            expect([tag, versioning.exec(tag)?.groups?.build]).toEqual([tag, expect.stringMatching(/^\d+$/)]);
    });

    test("npm dependencies: the Pulumi packages in one group, the other dev tooling in another", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
            dependencies: Record<string, string>;
            devDependencies: Record<string, string>;
        };
        const groupOf = (name: string, depType: string): string | undefined =>
            config.packageRules
                .filter(
                    (rule) =>
                        rule.groupName !== undefined &&
                        (rule.matchManagers ?? ["npm"]).includes("npm") &&
                        (rule.matchDepTypes ?? [depType]).includes(depType) &&
                        (rule.matchPackageNames ?? ["**"]).some((pattern) => glob(pattern).test(name)),
                )
                .pop()?.groupName;
        const groups: Record<string, string[]> = {};
        for (const [depType, deps] of Object.entries({
            dependencies: pkg.dependencies,
            devDependencies: pkg.devDependencies,
        })) {
            for (const name of Object.keys(deps))
                (groups[groupOf(name, depType) ?? "(own pull request)"] ??= []).push(name);
        }
        expect(groups.Pulumi?.sort()).toEqual([
            "@muhlba91/pulumi-proxmoxve",
            "@pulumi/cloudflare",
            "@pulumi/command",
            "@pulumi/docker",
            "@pulumi/eslint-plugin",
            "@pulumi/kubernetes",
            "@pulumi/policy",
            "@pulumi/pulumi",
            "@pulumi/random",
        ]);
        expect(groups["dev tooling"]).toEqual(expect.arrayContaining(["typescript", "jest", "eslint", "prettier"]));
        expect(groups["(own pull request)"]).toEqual(["zod"]);
        expect(groups.Authentik).toEqual(["@goauthentik/api"]);
    });

    test("Authentik's image and @goauthentik/api: one group, one version", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
            devDependencies: Record<string, string>;
        };
        const image = pins.find((pin) => pin.packageName === "ghcr.io/goauthentik/server");
        expect(image?.currentValue).toBe(authentikVersion);
        expect(pkg.devDependencies["@goauthentik/api"]).toBe(authentikVersion);
        // The last rule that matches a package names its group (Renovate applies rules in order).
        const groupOf = (name: string): string | undefined =>
            config.packageRules
                .filter((rule) => (rule.matchPackageNames ?? []).some((pattern) => glob(pattern).test(name)))
                .pop()?.groupName;
        expect(groupOf("ghcr.io/goauthentik/server")).toBe("Authentik");
        expect(groupOf("@goauthentik/api")).toBe("Authentik");
    });
});
