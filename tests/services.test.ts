import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { catalog } from "../catalog";
import type { HostName } from "../topology";
import { loadProgram, repoRoot, type Program, type RecordedResource, type StackName } from "./helpers/program";
import {
    containerNamed,
    containerType,
    envOf,
    expectService,
    labelsOf,
    secretVariables,
    stackFacts,
} from "./helpers/services";

const enabled = catalog.filter((entry) => entry.enabled !== false);
const stacks: StackName[] = ["prod", "lab"];

/** Where each enabled entry runs: its host, or once per Docker engine for an every-host entry. */
function placementsOf(stack: StackName) {
    return enabled.flatMap((entry) =>
        (entry.host === "every-host" ? stackFacts[stack].engines : [entry.host]).map(
            (host) => [entry.name, host, entry] as const,
        ),
    );
}

const programs: Partial<Record<StackName, Program>> = {};
beforeAll(async () => {
    programs.prod = await loadProgram("prod");
    programs.lab = await loadProgram("lab");
});
function programOf(stack: StackName): Program {
    const loaded = programs[stack];
    if (loaded === undefined) throw new Error(`${stack} not loaded`);
    return loaded;
}

describe.each(stacks)("every catalog service in the %s stack", (stack) => {
    const placements = placementsOf(stack);

    test.each(placements)("%s on %s", (_name, host, entry) => {
        expectService(programOf(stack), stack, entry, host);
    });

    test("no container outside the catalog", () => {
        const placed = (container: RecordedResource): string =>
            `${String(container.inputs.name)} on ${/::hosts-([^:]+)::/.exec(container.provider)?.[1] ?? "?"}`;
        expect(programOf(stack).ofType(containerType).map(placed).sort()).toEqual(
            placements.map(([name, host]) => `${name} on ${host}`).sort(),
        );
    });

    test("the secret table names only services of the stack", () => {
        const names = placements.map(([name]) => name);
        for (const service of Object.keys(secretVariables[stack])) expect(names).toContain(service);
    });
});

describe("the stack facts the expectations use are the stack files' own values", () => {
    interface HostYaml {
        dockerHost?: string;
        address: string;
        storage?: { appdata?: string; data?: string };
        scratch?: string;
        hostNetwork?: boolean;
        healthcheckStartInterval?: boolean;
    }
    interface StackYaml {
        "homelab:domain": string;
        "homelab:timezone": string;
        "homelab:identity": { uid: number; gid: number };
        "homelab:protectStateful": boolean;
        "homelab:storage": { appdata: string; stacks: string; data: string };
        "homelab:hosts": Record<HostName, HostYaml>;
    }
    test.each(stacks)("%s", (stack) => {
        const file = fs.readFileSync(path.join(repoRoot, `Pulumi.${stack}.yaml`), "utf8");
        const config = (parse(file) as { config: StackYaml }).config;
        const facts = stackFacts[stack];
        expect(config["homelab:domain"]).toBe(facts.domain);
        expect(config["homelab:timezone"]).toBe(facts.timezone);
        const { uid, gid } = config["homelab:identity"];
        expect(`${uid}:${gid}`).toBe(facts.identity);
        expect(config["homelab:protectStateful"]).toBe(facts.protectStateful);
        const storage = config["homelab:storage"];
        expect(storage.stacks).toBe(facts.stacks);
        const hosts = config["homelab:hosts"];
        expect(Object.keys(hosts).sort()).toEqual(Object.keys(facts.roots).sort());
        const engines = new Map<string, HostName>();
        for (const [name, host] of Object.entries(hosts) as [HostName, HostYaml][]) {
            // A host's own storage replaces the stack-wide path; the other fields default in the schema.
            expect({ name, ...facts.roots[name] }).toEqual({
                name,
                appdata: host.storage?.appdata ?? storage.appdata,
                data: host.storage?.data ?? storage.data,
            });
            expect(host.scratch ?? "/tmp/homelab").toBe(facts.scratch);
            expect(host.hostNetwork ?? true).toBe(facts.hostNetwork);
            expect(host.healthcheckStartInterval ?? true).toBe(facts.healthcheckStartInterval);
            const engine = host.dockerHost ?? `ssh to ${host.address}`;
            if (!engines.has(engine)) engines.set(engine, name);
        }
        expect([...engines.values()]).toEqual(facts.engines);
    });
});

describe("what the rules above produce, written out", () => {
    const one = (stack: StackName, name: string, host?: HostName): RecordedResource => {
        const found = containerNamed(programOf(stack), name, host);
        expect(found).toHaveLength(1);
        return found[0] as RecordedResource;
    };

    test("Sonarr in prod", () => {
        const sonarr = one("prod", "sonarr");
        expect(sonarr.inputs.volumes).toEqual([
            { hostPath: "/opt/appdata/sonarr", containerPath: "/config", readOnly: false },
            { hostPath: "/data", containerPath: "/data", readOnly: false },
        ]);
        expect(labelsOf(sonarr)).toEqual({
            "homelab.service": "sonarr",
            "homelab.stack": "arr",
            "homelab.host": "docker-prod-01",
            "com.docker.compose.project": "arr",
            "com.docker.compose.service": "sonarr",
            "dockman.update.disable": "true",
            "traefik.enable": "true",
            "traefik.docker.network": "proxy",
            "traefik.http.routers.sonarr.rule": "Host(`sonarr.giohosted.com`)",
            "traefik.http.routers.sonarr.entrypoints": "websecure",
            "traefik.http.routers.sonarr.service": "sonarr",
            "traefik.http.routers.sonarr.middlewares": "authentik@file",
            "traefik.http.services.sonarr.loadbalancer.server.port": "8989",
        });
        expect(envOf(sonarr)).toEqual({ PUID: "2000", PGID: "2000", TZ: "America/New_York" });
        expect(sonarr.inputs.user).toBeUndefined();
        expect(sonarr.inputs.healthcheck).toEqual({
            tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://localhost:8989/ping"],
            interval: "30s",
            timeout: "10s",
            retries: 3,
            startPeriod: "1m0s",
            startInterval: "2s",
        });
        expect(sonarr.inputs.networkMode).toBe("proxy");
        expect(sonarr.inputs.networksAdvanced).toEqual([{ name: "proxy" }]);
    });

    test("Sonarr in the lab: the lab's roots and time zone, no start interval", () => {
        const sonarr = one("lab", "sonarr");
        expect(sonarr.inputs.volumes).toEqual([
            { hostPath: "/var/tmp/homelab-lab/appdata/sonarr", containerPath: "/config", readOnly: false },
            { hostPath: "/var/tmp/homelab-lab/data", containerPath: "/data", readOnly: false },
        ]);
        expect(labelsOf(sonarr)["traefik.http.routers.sonarr.rule"]).toBe("Host(`sonarr.giohosted.localhost`)");
        expect(envOf(sonarr).TZ).toBe("UTC");
        expect(sonarr.inputs.healthcheck).toEqual({
            tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://localhost:8989/ping"],
            interval: "30s",
            timeout: "10s",
            retries: 3,
            startPeriod: "1m0s",
        });
    });

    test("Immich: the server relies on its image's healthcheck, its database is probed with pg_isready", () => {
        const server = one("prod", "immich-server");
        expect(server.inputs.healthcheck).toBeUndefined();
        expect(server.inputs.user).toBe("2000:2000");
        expect(server.inputs.volumes).toEqual([{ hostPath: "/data/photos", containerPath: "/data", readOnly: false }]);
        expect(server.inputs.networksAdvanced).toEqual([{ name: "proxy" }, { name: "photos-internal" }]);
        expect(labelsOf(server)).toEqual({
            "homelab.service": "immich-server",
            "homelab.stack": "photos",
            "homelab.host": "immich-prod-01",
            "com.docker.compose.project": "photos",
            "com.docker.compose.service": "immich-server",
            "dockman.update.disable": "true",
        });
        const database = one("prod", "immich-postgres");
        expect(database.inputs.healthcheck).toEqual({
            tests: ["CMD", "pg_isready", "-U", "postgres", "-d", "immich"],
            interval: "30s",
            timeout: "10s",
            retries: 3,
            startPeriod: "1m0s",
            startInterval: "2s",
        });
        expect(database.inputs.networkMode).toBe("photos-internal");
        expect(database.protect).toBe(true);
        expect(one("lab", "immich-postgres").protect).toBe(false);
        expect(one("prod", "immich-machine-learning").inputs.volumes).toEqual([
            {
                hostPath: "/opt/appdata/immich-machine-learning/model-cache",
                containerPath: "/cache",
                readOnly: false,
            },
        ]);
    });

    test("Plex: host networking and the NAS's own paths in prod, the proxy network in the lab", () => {
        const plex = one("prod", "plex");
        expect(plex.inputs.networkMode).toBe("host");
        expect(plex.inputs.networksAdvanced).toEqual([]);
        expect(plex.inputs.volumes).toEqual([
            { hostPath: "/mnt/user/appdata/plex", containerPath: "/config", readOnly: false },
            { hostPath: "/mnt/user/data/media", containerPath: "/data/media", readOnly: true },
            { hostPath: "/tmp/homelab/plex-transcode", containerPath: "/transcode", readOnly: false },
        ]);
        expect(labelsOf(plex)).toEqual({
            "homelab.service": "plex",
            "homelab.stack": "plex",
            "homelab.host": "nas-prod-01",
            "com.docker.compose.project": "plex",
            "com.docker.compose.service": "plex",
            "dockman.update.disable": "true",
        });
        const lab = one("lab", "plex");
        expect(lab.inputs.networkMode).toBe("proxy");
        expect(lab.inputs.networksAdvanced).toEqual([{ name: "proxy" }]);
    });

    test("Dockman sees the stacks directory and the engine's socket", () => {
        expect(one("prod", "dockman").inputs.volumes).toEqual([
            { hostPath: "/opt/appdata/dockman", containerPath: "/config", readOnly: false },
            { hostPath: "/opt/stacks", containerPath: "/opt/stacks", readOnly: false },
            { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: false },
        ]);
        expect(one("prod", "beszel-agent", "nas-prod-01").inputs.volumes).toEqual([
            { hostPath: "/mnt/user/appdata/beszel-agent", containerPath: "/var/lib/beszel-agent", readOnly: false },
            { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true },
        ]);
    });

    test("the Traefik dashboard routes to Traefik's own API, with no container port", () => {
        expect(labelsOf(one("prod", "traefik"))).toEqual({
            "homelab.service": "traefik",
            "homelab.stack": "infra",
            "homelab.host": "docker-prod-01",
            "com.docker.compose.project": "infra",
            "com.docker.compose.service": "traefik",
            "dockman.update.disable": "true",
            "traefik.enable": "true",
            "traefik.docker.network": "proxy",
            "traefik.http.routers.traefik.rule": "Host(`traefik.giohosted.com`)",
            "traefik.http.routers.traefik.entrypoints": "websecure",
            "traefik.http.routers.traefik.service": "api@internal",
            "traefik.http.routers.traefik.middlewares": "authentik@file",
        });
    });
});
