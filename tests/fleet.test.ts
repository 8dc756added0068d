import { loadProgram, type Program } from "./helpers/program";

/**
 * The fleet lab's stack under mocks: production's transport (ssh://deploy@<address> per host) on
 * the lab's own addresses, and every host file written in-process (no command plugin offline).
 */

let fleet: Program;
beforeAll(async () => {
    fleet = await loadProgram("fleet");
});

test("each host's engine is reached over SSH as the deploy user at its fleet address", () => {
    const providers = fleet.ofType("pulumi:providers:docker");
    expect(Object.fromEntries(providers.map((provider) => [provider.name, provider.inputs.host]))).toEqual({
        "hosts-docker-prod-01": "ssh://deploy@10.77.0.11",
        "hosts-nas-prod-01": "ssh://deploy@10.77.0.12",
        "hosts-auth-prod-01": "ssh://deploy@10.77.0.13",
        "hosts-immich-prod-01": "ssh://deploy@10.77.0.14",
    });
});

test("nothing names a production address", () => {
    expect(JSON.stringify(fleet.resources.map((resource) => resource.inputs))).not.toMatch(/192\.168\./);
    expect(JSON.stringify(fleet.outputs)).not.toMatch(/192\.168\./);
});

test("no remote command: directories, routes, blueprint and monitors are written in-process", () => {
    expect(fleet.resources.filter((resource) => resource.type.startsWith("command:"))).toEqual([]);
    const local = fleet.resources.filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic/"));
    expect(local.map((resource) => resource.name).sort()).toEqual([
        "directories-auth-prod-01-create",
        "directories-docker-prod-01-create",
        "directories-immich-prod-01-create",
        "directories-nas-prod-01-create",
        "sso-blueprint-write",
        "sso-homarr-client-secret",
        "sso-immich-client-secret",
        "traefik-routes-write",
        "uptime-monitors-write",
    ]);
});

test("services on other hosts are routed at their fleet addresses, Plex on the NAS's", () => {
    const routes = fleet.get("pulumi-nodejs:dynamic/homelab:LocalFile", "traefik-routes-write");
    const document = JSON.parse(String(routes.inputs.content)) as {
        http: { services: Record<string, { loadBalancer: { servers: { url: string }[] } }> };
    };
    const upstream = (service: string): string | undefined =>
        document.http.services[service]?.loadBalancer.servers[0]?.url;
    expect(upstream("authentik-server")).toBe("http://10.77.0.13:9000");
    expect(upstream("immich-server")).toBe("http://10.77.0.14:2283");
    expect(upstream("plex")).toBe("http://10.77.0.12:32400");
    expect(routes.inputs.path).toBe("/var/tmp/homelab-fleet/hosts/docker-prod-01/appdata/traefik/dynamic/homelab.yml");
});

test("the containers that read the engine mount their own host's socket", () => {
    const traefik = fleet.get("docker:index/container:Container", "traefik");
    expect(traefik.inputs.volumes).toContainEqual({
        hostPath: "/var/tmp/homelab-fleet/hosts/docker-prod-01/docker.sock",
        containerPath: "/var/run/docker.sock",
        readOnly: true,
    });
});
