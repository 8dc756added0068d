import { baseScript } from "../hosts/bootstrap-scripts";
import { fleetLayout, fleetSettings, fleetStackConfig, prodSplit } from "../offline-toolchain/fleet/layout";
import { loadProgram, stackConfig, stackSettings, type Program } from "./helpers/program";

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

describe("the fleet's layout (offline-toolchain/fleet/layout.ts)", () => {
    const layout = fleetLayout("/w");

    test("Pulumi.fleet.yaml holds the layout's paths for /var/tmp/homelab-fleet, scripts/fleet.sh's work dir", () => {
        const committed = stackConfig("fleet");
        const derived = fleetStackConfig(fleetLayout("/var/tmp/homelab-fleet"));
        expect(JSON.parse(committed["homelab:hosts"] ?? "")).toEqual(derived["homelab:hosts"]);
        expect(JSON.parse(committed["homelab:storage"] ?? "")).toEqual(derived["homelab:storage"]);
    });

    test("the NAS's exports split as prod's: each its own mount from the NAS directory at its export path", () => {
        expect(layout.exports).toEqual([
            { key: "data", source: "/w/nas/mnt/user/data", target: "/w/data" },
            { key: "backups", source: "/w/nas/mnt/user/backups", target: "/w/data/backups" },
            { key: "photos", source: "/w/nas/mnt/user/photos", target: "/w/data/photos" },
        ]);
        // The VMs see the data export's mount; the NAS sees the share itself, as Unraid does.
        expect(Object.fromEntries(Object.entries(layout.hosts).map(([name, host]) => [name, host.data]))).toEqual({
            "docker-prod-01": "/w/data",
            "auth-prod-01": "/w/data",
            "immich-prod-01": "/w/data",
            "nas-prod-01": "/w/nas/mnt/user/data",
        });
    });

    test("VMs that mount different exports are refused: the fleet has one set of mounts for all of them", () => {
        const prod = stackSettings("prod");
        const nfs = prod.proxmox?.nfs;
        if (prod.proxmox === undefined || nfs === undefined) throw new Error("prod has no NFS exports");
        const moved = { ...prod, storage: { ...prod.storage, data: "/srv/data" } };
        expect(() => prodSplit(moved)).not.toThrow();
        const vm = prod.hosts["auth-prod-01"];
        if (vm === undefined) throw new Error("prod has no auth-prod-01");
        const split = {
            ...prod,
            hosts: {
                ...prod.hosts,
                "auth-prod-01": { ...vm, vm: vm.vm === undefined ? undefined : { ...vm.vm, mounts: ["data"] } },
            },
        };
        expect(() => prodSplit(split)).toThrow(
            "the production VMs mount different NAS exports; the fleet mounts one set for all of them",
        );
    });

    test("each host's bootstrap is the program's script with the fleet's paths and deploy user", () => {
        const settings = fleetSettings(layout);
        expect(baseScript("auth-prod-01", "deploy", settings)).toContain(
            "    install -d -o 2000 -g 2000 -m 0755 '/w/stacks' '/w/hosts/auth-prod-01/appdata'\n",
        );
        expect(baseScript("nas-prod-01", "deploy", settings)).toContain(
            "    usermod --append --groups docker 'deploy'\n",
        );
    });
});
