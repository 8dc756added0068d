import type { Settings } from "../../config/schema";
import { imageRef, resolve, type ServiceEntry } from "../../catalog/types";
import { type HostName } from "../../topology";
import { healthcheckFor, ownershipLabels, storageFor, traefikLabels, volumesFor } from "../../components/spec";
import { isSecretValue, unwrapSecrets, type Program, type RecordedResource } from "./program";

export const containerType = "docker:index/container:Container";
export const imageType = "docker:index/remoteImage:RemoteImage";

interface Label {
    label: string;
    value: string;
}

export function containerNamed(program: Program, containerName: string, host?: HostName): RecordedResource[] {
    return program
        .ofType(containerType)
        .filter(
            (c) => c.inputs.name === containerName && (host === undefined || c.provider.includes(`::hosts-${host}::`)),
        );
}

export function envOf(container: RecordedResource): Record<string, string> {
    const envs = (container.inputs.envs ?? []) as string[];
    return Object.fromEntries(
        envs.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
}

export function labelsOf(container: RecordedResource): Record<string, string> {
    return Object.fromEntries(((container.inputs.labels ?? []) as Label[]).map((l) => [l.label, l.value]));
}

/** Env lines that reached the engine only inside a secret marker. */
export function secretEnvNames(container: RecordedResource): string[] {
    const raw = container.rawInputs.envs;
    const lines: unknown[] = isSecretValue(raw) ? (unwrapSecrets(raw) as unknown[]) : ((raw ?? []) as unknown[]);
    const wholeSecret = isSecretValue(raw);
    return lines
        .filter((line) => wholeSecret || isSecretValue(line))
        .map((line) => String(unwrapSecrets(line)).split("=")[0] ?? "");
}

/**
 * The assertions every catalog service gets, whatever its stack: one container on the host's
 * provider, the pinned image through a RemoteImage, identity, mounts, networks, restart policy,
 * labels, healthcheck, log rotation, and secrets kept secret.
 */
export function expectService(program: Program, settings: Settings, entry: ServiceEntry, host: HostName): void {
    const matches = containerNamed(program, entry.name, host);
    expect(matches).toHaveLength(1);
    const container = matches[0] as RecordedResource;
    const hostSettings = settings.hosts[host];
    if (hostSettings === undefined) throw new Error(`no host ${host}`);

    // Image: pinned, pulled on the same provider, and the container runs that pull.
    const image = program.get(imageType, `${container.name}-image`);
    expect(image.inputs.name).toBe(imageRef(entry.image));
    expect(entry.image.tag).not.toMatch(/^(latest|)$/);
    expect(image.provider).toBe(container.provider);
    expect(container.inputs.image).toBe(`sha256:${container.name}-image`);

    expect(container.inputs.restart).toBe("unless-stopped");
    expect(container.inputs.logDriver).toBe("json-file");
    expect(container.inputs.logOpts).toEqual({ "max-size": "10m", "max-file": "3" });
    expect(container.deleteBeforeReplace).toBe(true);
    expect(container.parent).toContain("homelab:components:ServiceContainer");
    expect(container.protect).toBe(entry.stateful === true && settings.protectStateful);

    const env = envOf(container);
    const identity = `${settings.identity.uid}:${settings.identity.gid}`;
    expect(env.TZ).toBe(settings.timezone);
    switch (entry.user.kind) {
        case "puid":
            expect(`${env.PUID ?? ""}:${env.PGID ?? ""}`).toBe(identity);
            expect(container.inputs.user).toBeUndefined();
            break;
        case "user":
            expect(container.inputs.user).toBe(identity);
            break;
        case "exception":
            expect(entry.user.reason.length).toBeGreaterThan(10);
            expect(container.inputs.user).toBeUndefined();
    }

    const volumes = (container.inputs.volumes ?? []) as unknown[];
    expect(volumes).toEqual(volumesFor(entry, settings, hostSettings));
    for (const mount of entry.mounts) {
        // The media/downloads tree sits at identical paths in the arr apps, the download client and
        // Plex (hardlinks, atomic moves, no remote path mappings).
        if (mount.from !== "data" || !["arr", "torrent", "plex"].includes(entry.stack)) continue;
        const suffix = mount.sub === "" ? "" : `/${mount.sub}`;
        expect(mount.target).toBe(`/data${suffix}`);
        expect(volumes).toContainEqual(
            expect.objectContaining({
                hostPath: `${storageFor(settings, hostSettings).data}${suffix}`,
                containerPath: `/data${suffix}`,
            }),
        );
    }

    const networks = ((container.inputs.networksAdvanced ?? []) as { name: string }[]).map((n) => n.name);
    const mode = entry.networking.mode;
    if (mode === "host" && hostSettings.hostNetwork) {
        expect(container.inputs.networkMode).toBe("host");
        expect(networks).toEqual([]);
    } else if (mode === "namespace") {
        expect(container.inputs.networkMode).toMatch(/^container:.+-id$/);
        expect(networks).toEqual([]);
    } else if (mode === "host") {
        // Host networking the host does not allow falls back to the proxy network.
        expect(container.inputs.networkMode).toBe("proxy");
        expect(networks).toEqual(["proxy"]);
    } else {
        expect(networks.length).toBeGreaterThan(0);
        expect(container.inputs.networkMode).toBe(networks[0]);
        if (entry.networking.proxy) expect(networks).toContain("proxy");
        if (entry.networking.internal) expect(networks).toContain(`${entry.stack}-internal`);
    }

    const labels = labelsOf(container);
    expect(labels).toMatchObject(ownershipLabels(entry, host));
    expect(labels).toMatchObject(traefikLabels(entry, settings, host));

    const health = healthcheckFor(entry, hostSettings);
    if (health === undefined) {
        expect(container.inputs.healthcheck).toBeUndefined();
    } else {
        expect((container.inputs.healthcheck as { tests: string[] }).tests).toEqual(health.tests);
    }

    const secretVars = Object.keys(resolve(entry.secretEnv, settings, {}));
    const keptSecret = secretEnvNames(container);
    for (const variable of secretVars) {
        expect(env[variable]).toBeDefined();
        expect(keptSecret).toContain(variable);
    }
}

/** A routed service that is not in the catalog (traefik/whoami), for tests that add one entry. */
export function whoamiEntry(overrides: Partial<ServiceEntry> = {}): ServiceEntry {
    return {
        name: "whoami",
        title: "whoami",
        stack: "infra",
        host: "docker-prod-01",
        image: { repository: "docker.io/traefik/whoami", tag: "v1.10" },
        port: 80,
        route: { subdomain: "whoami", exposure: "internal", forwardAuth: false },
        user: { kind: "user" },
        mounts: [],
        health: { kind: "http", port: 80, path: "/health", client: "wget" },
        networking: { mode: "bridge", proxy: true, internal: false },
        ...overrides,
    };
}
