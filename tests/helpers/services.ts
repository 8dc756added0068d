import type { Mount, ServiceEntry } from "../../catalog/types";
import type { HostName } from "../../topology";
import {
    dummyGenerated,
    dummySecret,
    isSecretValue,
    unwrapSecrets,
    type Program,
    type RecordedResource,
    type StackName,
} from "./program";

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
 * What Pulumi.prod.yaml and Pulumi.lab.yaml say (and the schema's defaults they leave alone),
 * written out. Every expected value below is built from these constants and the catalog entries'
 * own data, never by the program's functions (components/spec.ts and the like): a bug there
 * fails these tests. tests/services.test.ts checks the constants against the stack files.
 */
export interface StackFacts {
    domain: string;
    timezone: string;
    /** UID:GID every service runs as, unless its entry records an exception. */
    identity: string;
    protectStateful: boolean;
    /** Where each host keeps appdata and the shared data tree. */
    roots: Record<HostName, { appdata: string; data: string }>;
    /** The compose stacks directory, at the same path inside the container. */
    stacks: string;
    /** Per-host scratch space (the schema's default in both stacks). */
    scratch: string;
    /** Whether the hosts allow host networking. */
    hostNetwork: boolean;
    /** Whether the engines take a healthcheck start interval. */
    healthcheckStartInterval: boolean;
    /** One host per Docker engine: an every-host service runs once on each. */
    engines: HostName[];
}

const vmRoots = { appdata: "/opt/appdata", data: "/data" };
const labRoots = { appdata: "/var/tmp/homelab-lab/appdata", data: "/var/tmp/homelab-lab/data" };

export const stackFacts: Record<StackName, StackFacts> = {
    prod: {
        domain: "giohosted.com",
        timezone: "America/New_York",
        identity: "2000:2000",
        protectStateful: true,
        roots: {
            "docker-prod-01": vmRoots,
            "auth-prod-01": vmRoots,
            "immich-prod-01": vmRoots,
            "nas-prod-01": { appdata: "/mnt/user/appdata", data: "/mnt/user/data" },
        },
        stacks: "/opt/stacks",
        scratch: "/tmp/homelab",
        hostNetwork: true,
        healthcheckStartInterval: true,
        engines: ["docker-prod-01", "auth-prod-01", "immich-prod-01", "nas-prod-01"],
    },
    lab: {
        domain: "giohosted.localhost",
        timezone: "UTC",
        identity: "2000:2000",
        protectStateful: false,
        roots: {
            "docker-prod-01": labRoots,
            "auth-prod-01": labRoots,
            "immich-prod-01": labRoots,
            "nas-prod-01": labRoots,
        },
        stacks: "/var/tmp/homelab-lab/stacks",
        scratch: "/tmp/homelab",
        hostNetwork: false,
        healthcheckStartInterval: false,
        // Every host maps to the one local engine.
        engines: ["docker-prod-01"],
    },
};

/** The host Traefik runs on: services there are routed by Docker labels, the others by the route file. */
const traefikHost: HostName = "docker-prod-01";

/**
 * Every variable that carries a secret, with the value the mocks give it: `secret(key)` for a
 * secret config key, `generated(name)` for a secret the program generates. A variable fed by a
 * secret and missing here fails the test, and so does one listed here and missing.
 */
const secret = dummySecret;
const generated = dummyGenerated;
const authentikSecrets = {
    AUTHENTIK_SECRET_KEY: secret("authentikSecretKey"),
    AUTHENTIK_POSTGRESQL__PASSWORD: secret("authentikDbPassword"),
};
const sharedSecrets: Record<string, Record<string, unknown>> = {
    "adguardhome-sync": {
        ORIGIN_USERNAME: secret("adguardUsername"),
        ORIGIN_PASSWORD: secret("adguardPassword"),
        REPLICA1_USERNAME: secret("adguardUsername"),
        REPLICA1_PASSWORD: secret("adguardPassword"),
    },
    "authentik-postgresql": { POSTGRES_PASSWORD: secret("authentikDbPassword") },
    "authentik-server": authentikSecrets,
    "authentik-worker": {
        ...authentikSecrets,
        HOMELAB_OIDC_HOMARR_CLIENT_SECRET: generated("sso-homarr-client-secret"),
        HOMELAB_OIDC_IMMICH_CLIENT_SECRET: generated("sso-immich-client-secret"),
    },
    autokuma: { AUTOKUMA__KUMA__PASSWORD: secret("uptimeKumaPassword") },
    "beszel-agent": { KEY: secret("beszelHubKey") },
    dockman: { DOCKMAN_AUTH_PASSWORD: secret("dockmanPassword") },
    gluetun: { WIREGUARD_PRIVATE_KEY: secret("vpnWireguardPrivateKey") },
    homarr: {
        SECRET_ENCRYPTION_KEY: secret("homarrEncryptionKey"),
        AUTH_OIDC_CLIENT_SECRET: generated("sso-homarr-client-secret"),
    },
    "immich-postgres": { POSTGRES_PASSWORD: secret("immichDbPassword") },
    "immich-server": {
        DB_PASSWORD: secret("immichDbPassword"),
        // Immich's whole settings document, with the OIDC client secret inside.
        HOMELAB_SECRET_IMMICH_CONFIG: expect.stringContaining(
            `"clientSecret":"${generated("sso-immich-client-secret")}"`,
        ) as unknown,
    },
};
export const secretVariables: Record<StackName, Record<string, Record<string, unknown>>> = {
    prod: {
        ...sharedSecrets,
        // The token of the tunnel the program creates (the mocks answer the token lookup).
        cloudflared: { TUNNEL_TOKEN: "dummy-tunnel-token-edge-tunnel-id" },
        traefik: { CF_DNS_API_TOKEN: secret("cloudflareDnsApiToken") },
    },
    // The lab has no tunnel (its token comes from config) and no ACME DNS challenge.
    lab: { ...sharedSecrets, cloudflared: { TUNNEL_TOKEN: secret("tunnelToken") } },
};

/** A value the mocks give a secret: none may reach a container outside the table above. */
const dummyValue = /dummy-(secret|generated|tunnel-token)-/;

export function expectedImage(entry: ServiceEntry): string {
    const { repository, tag, digest } = entry.image;
    return digest === undefined ? `${repository}:${tag}` : `${repository}:${tag}@${digest}`;
}

/** `<appdata>/<service>[/<sub>]`, `<data>[/<sub>]`, the stacks directory, the socket, `<scratch>/<sub>`. */
export function expectedVolume(mount: Mount, entry: ServiceEntry, stack: StackName, host: HostName): unknown {
    const facts = stackFacts[stack];
    const { appdata, data } = facts.roots[host];
    switch (mount.from) {
        case "appdata":
            return {
                hostPath:
                    mount.sub === undefined
                        ? `${appdata}/${mount.of ?? entry.name}`
                        : `${appdata}/${mount.of ?? entry.name}/${mount.sub}`,
                containerPath: mount.target,
                readOnly: false,
            };
        case "data":
            return {
                hostPath: mount.sub === "" ? data : `${data}/${mount.sub}`,
                containerPath: mount.target,
                readOnly: mount.readOnly === true,
            };
        case "stacks":
            return { hostPath: facts.stacks, containerPath: facts.stacks, readOnly: false };
        case "docker-socket":
            // Both stacks use the engine's default socket.
            return {
                hostPath: "/var/run/docker.sock",
                containerPath: "/var/run/docker.sock",
                readOnly: mount.readOnly,
            };
        case "scratch":
            return { hostPath: `${facts.scratch}/${mount.sub}`, containerPath: mount.target, readOnly: false };
    }
}

/** Who the container is, where it comes from and, on Traefik's host, how Traefik routes it. */
export function expectedLabels(entry: ServiceEntry, stack: StackName, host: HostName): Record<string, string> {
    const ownership = {
        "homelab.service": entry.name,
        "homelab.stack": entry.stack,
        "homelab.host": host,
        // Dockman groups by these and its updater leaves the container alone (README "Who owns which container").
        "com.docker.compose.project": entry.stack,
        "com.docker.compose.service": entry.name,
        "dockman.update.disable": "true",
    };
    const route = entry.route;
    if (route === undefined || host !== traefikHost) return ownership;
    const router = `traefik.http.routers.${entry.name}`;
    const labels: Record<string, string> = {
        ...ownership,
        "traefik.enable": "true",
        "traefik.docker.network": "proxy",
        [`${router}.rule`]: `Host(\`${route.subdomain}.${stackFacts[stack].domain}\`)`,
        [`${router}.entrypoints`]: "websecure",
        [`${router}.service`]: route.traefikService ?? entry.name,
    };
    if (route.forwardAuth) labels[`${router}.middlewares`] = "authentik@file";
    if (route.traefikService === undefined && entry.port !== undefined) {
        labels[`traefik.http.services.${entry.name}.loadbalancer.server.port`] = String(entry.port);
    }
    return labels;
}

/** The probe the container runs itself; none where the image has its own or there is none. */
export function expectedHealthcheck(entry: ServiceEntry, stack: StackName): unknown {
    const health = entry.health;
    let tests: string[];
    if (health.kind === "http") {
        const url = `http://localhost:${health.port}${health.path}`;
        tests =
            health.client === "curl"
                ? ["CMD", "curl", "-fsS", "-o", "/dev/null", url]
                : ["CMD", "wget", "-q", "--spider", url];
    } else if (health.kind === "command") {
        tests = ["CMD", ...health.test];
    } else {
        return undefined;
    }
    return {
        tests,
        // Go durations, as the engine reports them back.
        interval: "30s",
        timeout: "10s",
        retries: 3,
        startPeriod: "1m0s",
        ...(stackFacts[stack].healthcheckStartInterval ? { startInterval: "2s" } : {}),
    };
}

/**
 * The assertions every catalog service gets, whatever its stack: one container on the host's
 * provider, the pinned image through a RemoteImage, identity, mounts, networks, restart policy,
 * labels, healthcheck, log rotation, and secrets kept secret.
 */
export function expectService(program: Program, stack: StackName, entry: ServiceEntry, host: HostName): void {
    const facts = stackFacts[stack];
    const matches = containerNamed(program, entry.name, host);
    expect(matches).toHaveLength(1);
    const container = matches[0] as RecordedResource;

    // Image: pinned, pulled on the same provider, and the container runs that pull.
    const image = program.get(imageType, `${container.name}-image`);
    expect(image.inputs.name).toBe(expectedImage(entry));
    expect(entry.image.tag).not.toMatch(/^(latest|)$/);
    expect(image.provider).toBe(container.provider);
    expect(container.inputs.image).toBe(`sha256:${container.name}-image`);

    expect(container.inputs.restart).toBe("unless-stopped");
    expect(container.inputs.logDriver).toBe("json-file");
    expect(container.inputs.logOpts).toEqual({ "max-size": "10m", "max-file": "3" });
    expect(container.deleteBeforeReplace).toBe(true);
    expect(container.parent).toContain("homelab:components:ServiceContainer");
    expect(container.protect).toBe(entry.stateful === true && facts.protectStateful);

    const env = envOf(container);
    expect(env.TZ).toBe(facts.timezone);
    switch (entry.user.kind) {
        case "puid":
            expect(`${env.PUID ?? ""}:${env.PGID ?? ""}`).toBe(facts.identity);
            expect(container.inputs.user).toBeUndefined();
            break;
        case "user":
            expect(container.inputs.user).toBe(facts.identity);
            expect(env.PUID).toBeUndefined();
            break;
        case "exception":
            expect(entry.user.reason.length).toBeGreaterThan(10);
            expect(container.inputs.user).toBeUndefined();
    }
    // An entry's own plain variables, where the catalog writes them as a literal.
    if (typeof entry.env === "object") expect(env).toMatchObject(entry.env);

    const volumes = (container.inputs.volumes ?? []) as unknown[];
    expect(volumes).toEqual(entry.mounts.map((mount) => expectedVolume(mount, entry, stack, host)));
    for (const mount of entry.mounts) {
        // The media/downloads tree sits at identical paths in the arr apps, the download client and
        // Plex (hardlinks, atomic moves, no remote path mappings).
        if (mount.from !== "data" || !["arr", "torrent", "plex"].includes(entry.stack)) continue;
        expect(mount.target).toBe(mount.sub === "" ? "/data" : `/data/${mount.sub}`);
    }

    const networks = ((container.inputs.networksAdvanced ?? []) as { name: string }[]).map((n) => n.name);
    const networking = entry.networking;
    if (networking.mode === "host" && facts.hostNetwork) {
        expect(container.inputs.networkMode).toBe("host");
        expect(networks).toEqual([]);
    } else if (networking.mode === "host") {
        // Host networking the host does not allow falls back to the proxy network.
        expect(container.inputs.networkMode).toBe("proxy");
        expect(networks).toEqual(["proxy"]);
    } else if (networking.mode === "namespace") {
        expect(container.inputs.networkMode).toBe(`container:${networking.of}-id`);
        expect(networks).toEqual([]);
    } else {
        const expected = [
            ...(networking.proxy ? ["proxy"] : []),
            ...(networking.internal ? [`${entry.stack}-internal`] : []),
            ...(networking.tunnel === undefined ? [] : ["tunnel"]),
        ];
        expect(networks).toEqual(expected);
        expect(container.inputs.networkMode).toBe(expected[0]);
    }

    expect(labelsOf(container)).toEqual(expectedLabels(entry, stack, host));
    expect(container.inputs.healthcheck).toEqual(expectedHealthcheck(entry, stack));

    const secrets = secretVariables[stack][entry.name] ?? {};
    const keptSecret = secretEnvNames(container);
    for (const [variable, value] of Object.entries(secrets)) {
        expect({ variable, value: env[variable] }).toEqual({ variable, value });
        expect(keptSecret).toContain(variable);
    }
    const fedBySecrets = Object.keys(env).filter((variable) => dummyValue.test(env[variable] ?? ""));
    expect(fedBySecrets.sort()).toEqual(Object.keys(secrets).sort());
}

/** A routed service that is not in the catalog (traefik/whoami), for tests that add one entry. */
export function whoamiEntry(overrides: Partial<ServiceEntry> = {}): ServiceEntry {
    return {
        name: "whoami",
        title: "whoami",
        stack: "infra",
        storage: { declaredVolumes: [], statePaths: [], source: "traefik/whoami Dockerfile (FROM scratch, no VOLUME)" },
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
