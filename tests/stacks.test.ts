import { catalog } from "../catalog";
import { authentikNeedsRedis } from "../catalog/stacks/auth";
import { loadProgram, type Program } from "./helpers/program";
import { containerNamed, containerType, envOf, labelsOf } from "./helpers/services";

const routed = catalog.filter((entry) => entry.enabled !== false && entry.route !== undefined);

function only<T>(items: T[]): T {
    expect(items).toHaveLength(1);
    return items[0] as T;
}

describe("prod", () => {
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("prod");
    });
    const container = (name: string): ReturnType<typeof only<Program["resources"][number]>> =>
        only(containerNamed(program, name));

    test("one Docker provider per host, over SSH as the deploy user", () => {
        const providers = program.ofType("pulumi:providers:docker");
        expect(Object.fromEntries(providers.map((p) => [p.name, p.inputs.host]))).toEqual({
            "hosts-docker-prod-01": "ssh://deploy@192.168.30.11",
            "hosts-auth-prod-01": "ssh://deploy@192.168.30.13",
            "hosts-immich-prod-01": "ssh://deploy@192.168.30.14",
            "hosts-nas-prod-01": "ssh://root@192.168.30.12",
        });
    });

    test("a proxy network on every host", () => {
        const networks = program.ofType("docker:index/network:Network").filter((n) => n.inputs.name === "proxy");
        expect(networks.map((n) => n.name).sort()).toEqual([
            "hosts-auth-prod-01-proxy",
            "hosts-docker-prod-01-proxy",
            "hosts-immich-prod-01-proxy",
            "hosts-nas-prod-01-proxy",
        ]);
    });

    test("Sonarr is routed by labels, behind forward-auth, with the whole /data tree", () => {
        const sonarr = container("sonarr");
        expect(sonarr.provider).toContain("::hosts-docker-prod-01::");
        expect(labelsOf(sonarr)).toMatchObject({
            "traefik.enable": "true",
            "traefik.docker.network": "proxy",
            "traefik.http.routers.sonarr.rule": "Host(`sonarr.giohosted.com`)",
            "traefik.http.routers.sonarr.entrypoints": "websecure",
            "traefik.http.routers.sonarr.middlewares": "authentik@file",
            "traefik.http.services.sonarr.loadbalancer.server.port": "8989",
        });
        expect(sonarr.inputs.volumes).toEqual([
            { hostPath: "/opt/appdata/sonarr", containerPath: "/config", readOnly: false },
            { hostPath: "/data", containerPath: "/data", readOnly: false },
        ]);
        expect(envOf(sonarr)).toMatchObject({ PUID: "2000", PGID: "2000", TZ: "America/New_York" });
    });

    test("four Sonarr/Radarr instances with their own appdata and subdomains", () => {
        for (const name of ["sonarr", "sonarr-anime", "radarr", "radarr-4k"]) {
            const arr = container(name);
            expect(arr.inputs.volumes).toContainEqual({
                hostPath: `/opt/appdata/${name}`,
                containerPath: "/config",
                readOnly: false,
            });
            expect(labelsOf(arr)[`traefik.http.routers.${name}.rule`]).toBe(`Host(\`${name}.giohosted.com\`)`);
        }
    });

    test("qBittorrent and qBitrr live in Gluetun's network namespace and follow it", () => {
        const gluetun = container("gluetun");
        for (const name of ["qbittorrent", "qbitrr"]) {
            const tenant = container(name);
            expect(tenant.inputs.networkMode).toBe("container:gluetun-id");
            expect(tenant.inputs.ports).toEqual([]);
            expect(tenant.dependencies).toContain(gluetun.urn);
        }
        expect(gluetun.inputs.ports).toEqual([
            { internal: 6881, external: 6881, protocol: "tcp", ip: "192.168.30.11" },
            { internal: 6881, external: 6881, protocol: "udp", ip: "192.168.30.11" },
        ]);
        expect(gluetun.inputs.capabilities).toEqual({ adds: ["CAP_NET_ADMIN"] });
        expect(gluetun.inputs.devices).toEqual([{ hostPath: "/dev/net/tun", containerPath: "/dev/net/tun" }]);
        expect(envOf(gluetun)).toMatchObject({ FIREWALL_OUTBOUND_SUBNETS: "192.168.30.0/24", VPN_TYPE: "wireguard" });
        // Traefik reaches qBittorrent through Gluetun, which sits on the proxy network.
        expect(gluetun.inputs.networkMode).toBe("proxy");
        expect(labelsOf(container("qbittorrent"))["traefik.http.services.qbittorrent.loadbalancer.server.port"]).toBe(
            "8080",
        );
    });

    test("the download client and the arr apps see downloads at the same path", () => {
        const downloads = { hostPath: "/data/downloads", containerPath: "/data/downloads", readOnly: false };
        expect(container("qbittorrent").inputs.volumes).toContainEqual(downloads);
        expect(container("qbitrr").inputs.volumes).toContainEqual(downloads);
        expect(container("radarr").inputs.volumes).toContainEqual({
            hostPath: "/data",
            containerPath: "/data",
            readOnly: false,
        });
    });

    test("Authentik starts only after its database is healthy; the database is protected", () => {
        const database = container("authentik-postgresql");
        expect(database.inputs.wait).toBe(true);
        expect(database.protect).toBe(true);
        expect(database.inputs.networkMode).toBe("auth-internal");
        for (const name of ["authentik-server", "authentik-worker"]) {
            expect(container(name).dependencies).toContain(database.urn);
        }
        const internal = only(
            program.ofType("docker:index/network:Network").filter((n) => n.inputs.name === "auth-internal"),
        );
        expect(internal.inputs.internal).toBe(true);
    });

    test("Redis runs only for an Authentik pin that still needs it", () => {
        expect(authentikNeedsRedis("2025.8.4")).toBe(true);
        expect(authentikNeedsRedis("2025.10.0")).toBe(false);
        expect(authentikNeedsRedis("2026.8.3")).toBe(false);
        expect(containerNamed(program, "authentik-redis")).toEqual([]);
        expect(Object.keys(envOf(container("authentik-server")))).not.toContain("AUTHENTIK_REDIS__HOST");
    });

    test("services routed from another host publish their port on that host's address", () => {
        expect(container("authentik-server").inputs.ports).toEqual([
            { internal: 9000, external: 9000, protocol: "tcp", ip: "192.168.30.13" },
        ]);
        expect(container("immich-server").inputs.ports).toEqual([
            { internal: 2283, external: 2283, protocol: "tcp", ip: "192.168.30.14" },
        ]);
        expect(container("plex").inputs.networkMode).toBe("host");
        expect(container("traefik").inputs.ports).toEqual([
            { internal: 80, external: 80, protocol: "tcp", ip: "192.168.30.11" },
            { internal: 443, external: 443, protocol: "tcp", ip: "192.168.30.11" },
        ]);
    });

    test("Plex: host network, /dev/dri, media read-only, transcodes off the appdata disk", () => {
        const plex = container("plex");
        expect(plex.provider).toContain("::hosts-nas-prod-01::");
        expect(plex.inputs.devices).toEqual([{ hostPath: "/dev/dri", containerPath: "/dev/dri" }]);
        expect(plex.inputs.volumes).toEqual([
            { hostPath: "/mnt/user/appdata/plex", containerPath: "/config", readOnly: false },
            { hostPath: "/mnt/user/data/media", containerPath: "/data/media", readOnly: true },
            { hostPath: "/tmp/homelab/plex-transcode", containerPath: "/transcode", readOnly: false },
        ]);
    });

    test("a Beszel agent on every Docker host", () => {
        const agents = containerNamed(program, "beszel-agent");
        expect(agents.map((a) => /::hosts-([^:]+)::/.exec(a.provider)?.[1]).sort()).toEqual([
            "auth-prod-01",
            "docker-prod-01",
            "immich-prod-01",
            "nas-prod-01",
        ]);
        for (const agent of agents) {
            expect(agent.inputs.networkMode).toBe("host");
            expect(agent.inputs.volumes).toContainEqual({
                hostPath: "/var/run/docker.sock",
                containerPath: "/var/run/docker.sock",
                readOnly: true,
            });
        }
    });

    test("forward-auth guards exactly the catalog's forward-auth services", () => {
        const guardedByLabel = program
            .ofType(containerType)
            .filter((c) =>
                Object.entries(labelsOf(c)).some(([k, v]) => k.endsWith(".middlewares") && v === "authentik@file"),
            )
            .map((c) => String(c.inputs.name));
        const routeFile = routeDocumentOf(program);
        const guardedByFile = Object.entries(routeFile.http.routers)
            .filter(([, router]) => router.middlewares?.includes("authentik"))
            .map(([name]) => name);
        const expected = routed.filter((entry) => entry.route?.forwardAuth).map((entry) => entry.name);
        expect([...guardedByLabel, ...guardedByFile].sort()).toEqual([...expected].sort());
        // Homarr and Immich sign in with Authentik themselves (OIDC), without forward-auth.
        for (const open of [
            "plex",
            "homarr",
            "immich-server",
            "audiobookshelf",
            "seerr",
            "calibre-web-automated",
            "authentik-server",
        ]) {
            expect(expected).not.toContain(open);
        }
        for (const admin of ["sonarr", "radarr", "qbittorrent", "dockman", "beszel", "traefik"]) {
            expect(expected).toContain(admin);
        }
    });

    test("the route document routes exactly the services that are not on docker-prod-01", () => {
        const doc = routeDocumentOf(program);
        const crossHost = routed.filter((entry) => entry.host !== "docker-prod-01").map((entry) => entry.name);
        expect(crossHost.sort()).toEqual(["authentik-server", "immich-server", "plex"]);
        const appRouters = Object.keys(doc.http.routers).filter((name) => name !== "authentik-outpost");
        expect(appRouters.sort()).toEqual(crossHost);
        expect(doc.http.services["authentik-server"]?.loadBalancer.servers).toEqual([
            { url: "http://192.168.30.13:9000" },
        ]);
        expect(doc.http.services["immich-server"]?.loadBalancer.servers).toEqual([
            { url: "http://192.168.30.14:2283" },
        ]);
        expect(doc.http.services.plex?.loadBalancer.servers).toEqual([{ url: "http://192.168.30.12:32400" }]);
        expect(doc.http.middlewares.authentik?.forwardAuth.address).toBe(
            "http://192.168.30.13:9000/outpost.goauthentik.io/auth/traefik",
        );
        const outpost = doc.http.routers["authentik-outpost"];
        expect(outpost?.rule).toContain("Host(`sonarr.giohosted.com`)");
        expect(outpost?.rule).toMatch(/PathPrefix\(`\/outpost.goauthentik.io\/`\)$/);
    });

    test("the route document is written over SSH to Traefik's watched directory, re-run on change", () => {
        const write = program.get("command:remote:Command", "traefik-routes-write");
        expect(write.inputs.create).toContain("/opt/appdata/traefik/dynamic/homelab.yml");
        expect(write.inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
        expect(write.inputs.connection).toMatchObject({ host: "192.168.30.11", user: "deploy" });
        expect(write.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
    });

    test("Traefik: web redirects to websecure, wildcard certificate via Cloudflare DNS-01, file provider, no default exposure", () => {
        const traefik = container("traefik");
        expect(traefik.inputs.command).toEqual([
            "--entrypoints.web.address=:80",
            "--entrypoints.web.http.redirections.entrypoint.to=websecure",
            "--entrypoints.web.http.redirections.entrypoint.scheme=https",
            "--entrypoints.web.http.redirections.entrypoint.permanent=true",
            "--entrypoints.websecure.address=:443",
            "--entrypoints.websecure.http.tls=true",
            "--entrypoints.websecure.forwardedheaders.trustedips=198.18.0.2/32",
            "--providers.docker=true",
            "--providers.docker.exposedbydefault=false",
            "--providers.docker.network=proxy",
            "--providers.file.directory=/etc/traefik/dynamic",
            "--providers.file.watch=true",
            "--api.dashboard=true",
            "--ping=true",
            "--log.level=INFO",
            "--entrypoints.websecure.http.tls.certresolver=cloudflare",
            "--entrypoints.websecure.http.tls.domains[0].main=giohosted.com",
            "--entrypoints.websecure.http.tls.domains[0].sans=*.giohosted.com",
            "--certificatesresolvers.cloudflare.acme.email=admin@giohosted.com",
            "--certificatesresolvers.cloudflare.acme.storage=/letsencrypt/acme.json",
            "--certificatesresolvers.cloudflare.acme.caserver=https://acme-v02.api.letsencrypt.org/directory",
            "--certificatesresolvers.cloudflare.acme.dnschallenge.provider=cloudflare",
            "--certificatesresolvers.cloudflare.acme.dnschallenge.resolvers=1.1.1.1:53,1.0.0.1:53",
        ]);
        expect(labelsOf(traefik)).toMatchObject({
            "traefik.http.routers.traefik.service": "api@internal",
            "traefik.http.routers.traefik.middlewares": "authentik@file",
        });
    });

    test("outputs: a URL for every routed service, and the hosts with their stacks", () => {
        expect(program.outputs.urls).toEqual(
            Object.fromEntries(
                routed.map((entry) => [entry.name, `https://${entry.route?.subdomain ?? ""}.giohosted.com`]),
            ),
        );
        expect(program.outputs.urls).toMatchObject({
            sonarr: "https://sonarr.giohosted.com",
            seerr: "https://request.giohosted.com",
            "authentik-server": "https://auth.giohosted.com",
        });
        expect(program.outputs.hosts).toEqual({
            "docker-prod-01": {
                address: "192.168.30.11",
                stacks: ["infra", "cloudflared", "dns-sync", "arr", "torrent", "books", "monitoring"],
                portForwards: [],
            },
            "auth-prod-01": { address: "192.168.30.13", stacks: ["auth", "monitoring"], portForwards: [] },
            "immich-prod-01": { address: "192.168.30.14", stacks: ["photos", "monitoring"], portForwards: [] },
            "nas-prod-01": {
                address: "192.168.30.12",
                stacks: ["monitoring", "plex"],
                portForwards: [{ port: 32400, service: "plex" }],
            },
        });
    });
});

describe("lab", () => {
    let program: Program;
    beforeAll(async () => {
        program = await loadProgram("lab");
    });

    test("every host maps to the local Docker engine, with one proxy network", () => {
        const providers = program.ofType("pulumi:providers:docker");
        expect(providers).toHaveLength(4);
        for (const provider of providers) expect(provider.inputs.host).toBe("unix:///var/run/docker.sock");
        expect(program.ofType("docker:index/network:Network").filter((n) => n.inputs.name === "proxy")).toHaveLength(1);
    });

    test("no stateful resource is protected, so the lab can be destroyed", () => {
        expect(program.resources.filter((r) => r.protect)).toEqual([]);
    });

    test("Traefik uses its self-signed default certificate, never the production CA", () => {
        const traefik = only(containerNamed(program, "traefik"));
        const args = traefik.inputs.command as string[];
        expect(args.some((arg) => arg.includes("letsencrypt") || arg.includes("certresolver"))).toBe(false);
        expect(Object.keys(envOf(traefik))).not.toContain("CF_DNS_API_TOKEN");
        expect(traefik.inputs.ports).toEqual([
            { internal: 80, external: 8080, protocol: "tcp", ip: "127.0.0.1" },
            { internal: 443, external: 8443, protocol: "tcp", ip: "127.0.0.1" },
        ]);
    });

    test("cross-host services are reached by container name on the shared engine, and publish nothing", () => {
        const doc = routeDocumentOf(program);
        expect(doc.http.services["authentik-server"]?.loadBalancer.servers).toEqual([
            { url: "http://authentik-server:9000" },
        ]);
        expect(doc.http.services.plex?.loadBalancer.servers).toEqual([{ url: "http://plex:32400" }]);
        expect(only(containerNamed(program, "authentik-server")).inputs.ports).toEqual([]);
        // The lab host allows no host networking: Plex falls back to the proxy network.
        expect(only(containerNamed(program, "plex")).inputs.networkMode).toBe("proxy");
    });

    test("the route document is written locally, with no command plugin needed", () => {
        const write = only(program.resources.filter((r) => r.name === "traefik-routes-write"));
        expect(write.type).toBe("pulumi-nodejs:dynamic/homelab:LocalFile");
        expect(write.provider).toContain("pulumi:providers:pulumi-nodejs");
        expect(write.inputs.path).toBe("/var/tmp/homelab-lab/appdata/traefik/dynamic/homelab.yml");
        expect(
            program.resources.filter((r) => r.type.startsWith("command:") || r.type === "pulumi:providers:command"),
        ).toEqual([]);
    });

    test("URLs point at the local Traefik", () => {
        expect(program.outputs.urls).toMatchObject({ sonarr: "https://sonarr.giohosted.localhost:8443" });
    });
});

interface Doc {
    http: {
        routers: Record<string, { rule: string; middlewares?: string[] }>;
        services: Record<string, { loadBalancer: { servers: { url: string }[] } } | undefined>;
        middlewares: Record<string, { forwardAuth: { address: string } } | undefined>;
    };
}

function routeDocumentOf(program: Program): Doc {
    const write = only(program.resources.filter((r) => r.name === "traefik-routes-write"));
    // Over SSH the document is the command's stdin; locally it is the file's content.
    return JSON.parse(String(write.inputs.stdin ?? write.inputs.content)) as Doc;
}
