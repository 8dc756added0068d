import { catalog } from "../catalog";
import { assertCatalog, catalogProblems } from "../catalog/validate";
import type { ServiceEntry } from "../catalog/types";
import { settingsOfStackFile } from "../config/load";
import { dockerTlsArgs } from "../hosts/endpoint";
import { loadProgram, ProgramLoadError, stackConfig, stackSettings, type StackName } from "./helpers/program";

/** Loads prod with one config key replaced, expecting the load to fail before any resource exists. */
async function failure(
    config: Record<string, string>,
    withoutSecrets: string[] = [],
    stack: StackName = "prod",
): Promise<ProgramLoadError> {
    try {
        await loadProgram(stack, { config, withoutSecrets });
    } catch (error) {
        if (error instanceof ProgramLoadError) return error;
        throw error;
    }
    throw new Error("the program loaded, but the config is bad");
}

function prodHosts(stack: StackName = "prod"): Record<string, Record<string, unknown>> {
    return JSON.parse(stackConfig(stack)["homelab:hosts"] ?? "{}") as Record<string, Record<string, unknown>>;
}

/** The lab's homelab:hosts with docker-prod-01's fields replaced, as the engine hands it. */
function labHostsWith(fields: Record<string, unknown>): Record<string, string> {
    const hosts = prodHosts("lab");
    hosts["docker-prod-01"] = { ...hosts["docker-prod-01"], ...fields };
    return { "homelab:hosts": JSON.stringify(hosts) };
}

describe("bad config fails before any resource is registered, naming key, value and what is allowed", () => {
    test("a malformed IP address", async () => {
        const hosts = prodHosts();
        hosts["docker-prod-01"] = { ...hosts["docker-prod-01"], address: "192.168.30.300" };
        const error = await failure({ "homelab:hosts": JSON.stringify(hosts) });
        expect(error.message).toContain(
            'homelab:hosts.docker-prod-01.address: "192.168.30.300" is not allowed; expected an IPv4 address such as 192.168.30.11',
        );
        expect(error.registered).toBe(0);
    });

    test("a catalog entry naming a host the stack does not define", async () => {
        const hosts = prodHosts();
        delete hosts["nas-prod-01"];
        const error = await failure({ "homelab:hosts": JSON.stringify(hosts) });
        expect(error.message).toContain(
            'catalog: plex.host: "nas-prod-01" is not a host in homelab:hosts; allowed: docker-prod-01, auth-prod-01, immich-prod-01, every-host',
        );
        expect(error.registered).toBe(0);
    });

    test("a missing required secret", async () => {
        const error = await failure({}, ["authentikSecretKey"]);
        expect(error.message).toContain(
            "homelab:authentikSecretKey: (missing) is not allowed; expected a secret (used by authentik-server, authentik-worker): " +
                "pulumi config set --secret homelab:authentikSecretKey <value>",
        );
        expect(error.registered).toBe(0);
    });

    test.each([["https://giohosted.com"], ["giohosted.com/apps"], ["giohosted.com:443"]])(
        "a domain given with a scheme, path or port: %s",
        async (domain) => {
            const error = await failure({ "homelab:domain": domain });
            expect(error.message).toContain(
                `homelab:domain: "${domain}" is not allowed; expected a bare lower-case domain name such as "giohosted.com": no scheme, no path, no port`,
            );
            expect(error.registered).toBe(0);
        },
    );

    test.each([[0], [70000], [20.5]])("a UID out of range: %s", async (uid) => {
        const error = await failure({ "homelab:identity": JSON.stringify({ uid, gid: 2000 }) });
        expect(error.message).toContain(
            `homelab:identity.uid: ${uid} is not allowed; expected an integer from 1 to 65533 (root and nobody are not allowed)`,
        );
        expect(error.registered).toBe(0);
    });

    test("a GID out of range", async () => {
        const error = await failure({ "homelab:identity": JSON.stringify({ uid: 2000, gid: -1 }) });
        expect(error.message).toContain("homelab:identity.gid: -1 is not allowed");
    });

    test("a missing required key names it", async () => {
        const error = await failure({ "homelab:domain": "" });
        expect(error.message).toContain('homelab:domain: "" is not allowed');
    });

    test("every problem is reported at once", async () => {
        const error = await failure({ "homelab:domain": "https://x", "homelab:lanSubnet": "10.0.0.0/99" });
        expect(error.message).toMatch(
            /homelab:domain: .*\n.*homelab:lanSubnet: "10.0.0.0\/99" is not allowed; expected an IPv4 CIDR/,
        );
    });
});

describe("a port out of range is refused in the program's words, not zod's", () => {
    test.each([[70000], [0], [443.5]])("homelab:traefik.httpsPort: %s", async (httpsPort) => {
        const error = await failure({
            "homelab:traefik": JSON.stringify({ certificates: "letsencrypt", acmeEmail: "a@b.example", httpsPort }),
        });
        expect(error.message).toContain(
            `homelab:traefik.httpsPort: ${String(httpsPort)} is not allowed; expected a TCP port: an integer from 1 to 65535`,
        );
        expect(error.message).not.toMatch(/Too big|Too small|Invalid input|expected number/);
        expect(error.registered).toBe(0);
    });

    test("a port of the wrong type", async () => {
        const error = await failure({
            "homelab:traefik": JSON.stringify({ certificates: "self-signed", httpPort: "80" }),
        });
        expect(error.message).toContain(
            'homelab:traefik.httpPort: "80" is not allowed; expected a TCP port: an integer from 1 to 65535',
        );
    });

    test("a boolean, an enum and a list of the wrong kind", () => {
        const config = {
            ...stackConfig("prod"),
            "homelab:protectStateful": "yes",
            "homelab:vpn": JSON.stringify({ provider: "protonvpn", type: "ipsec", serverCountries: "NL" }),
        };
        expect(() => settingsOfStackFile({ config })).toThrow(
            [
                'homelab:vpn.type: "ipsec" is not allowed; expected wireguard or openvpn',
                'homelab:vpn.serverCountries: "NL" is not allowed; expected a list of country names such as [Netherlands]',
                'homelab:protectStateful: "yes" is not allowed; expected true or false',
            ]
                .map((line) => `  - ${line}`)
                .join("\n"),
        );
    });
});

describe("the Docker API is reached over SSH, a unix socket, or TCP with TLS: never plain TCP", () => {
    const tcpRefused =
        'homelab:hosts.docker-prod-01.dockerHost: "tcp://10.9.9.9:2375" is not allowed; expected ' +
        "ssh://user@host or unix:///path/to/docker.sock, or tcp://host:port only with " +
        "dockerTls: { certPath: <a directory holding ca.pem, cert.pem and key.pem> } " +
        "(a Docker API over plain TCP is root on the host for anyone who can reach the port)";

    test("tcp:// without TLS settings is refused before any resource, naming key, value and what is allowed", async () => {
        const error = await failure(labHostsWith({ dockerHost: "tcp://10.9.9.9:2375" }), [], "lab");
        expect(error.message).toBe(`Invalid homelab configuration:\n  - ${tcpRefused}`);
        expect(error.registered).toBe(0);
    });

    test("tcp:// in prod too (where a VM's explicit endpoint is a second problem, reported after this one)", async () => {
        const hosts = prodHosts();
        hosts["docker-prod-01"] = { ...hosts["docker-prod-01"], dockerHost: "tcp://10.9.9.9:2375" };
        const error = await failure({ "homelab:hosts": JSON.stringify(hosts) });
        expect(error.message).toContain(tcpRefused);
        expect(error.registered).toBe(0);
    });

    test("TLS settings beside an ssh:// or unix:// endpoint mean nothing and are refused", async () => {
        const error = await failure(labHostsWith({ dockerTls: { certPath: "/etc/homelab/docker-tls" } }), [], "lab");
        expect(error.message).toBe(
            "Invalid homelab configuration:\n  - " +
                'homelab:hosts.docker-prod-01.dockerTls: {"certPath":"/etc/homelab/docker-tls"} is not allowed; ' +
                'expected no dockerTls: it applies to a tcp:// dockerHost only, and this host is reached at "unix:///var/run/docker.sock"',
        );
        expect(error.registered).toBe(0);
    });

    test("TLS settings beside the deploy user's ssh:// endpoint name the endpoint", () => {
        const hosts = prodHosts();
        hosts["nas-prod-01"] = { ...hosts["nas-prod-01"], dockerTls: { certPath: "/etc/homelab/docker-tls" } };
        const config = { ...stackConfig("prod"), "homelab:hosts": JSON.stringify(hosts) };
        expect(() => settingsOfStackFile({ config })).toThrow(
            'homelab:hosts.nas-prod-01.dockerTls: {"certPath":"/etc/homelab/docker-tls"} is not allowed; ' +
                'expected no dockerTls: it applies to a tcp:// dockerHost only, and this host is reached at "ssh://root@192.168.30.12"',
        );
    });

    test.each([["certs"], ["/etc/docker/"]])("a certPath that is not an absolute directory: %s", (certPath) => {
        const config = {
            ...stackConfig("lab"),
            ...labHostsWith({ dockerHost: "tcp://10.9.9.9:2376", dockerTls: { certPath } }),
        };
        expect(() => settingsOfStackFile({ config })).toThrow(
            `homelab:hosts.docker-prod-01.dockerTls.certPath: "${certPath}" is not allowed; expected the absolute ` +
                "path of a directory holding ca.pem, cert.pem and key.pem (as DOCKER_CERT_PATH), such as /etc/homelab/docker-tls",
        );
    });

    test.each([["http://10.9.9.9:2375"], ["10.9.9.9:2375"], ["ssh://10.9.9.9"], ["unix://docker.sock"]])(
        "an endpoint of no known kind: %s",
        (dockerHost) => {
            const config = { ...stackConfig("lab"), ...labHostsWith({ dockerHost }) };
            expect(() => settingsOfStackFile({ config })).toThrow(
                `homelab:hosts.docker-prod-01.dockerHost: "${dockerHost}" is not allowed; expected a Docker endpoint: ` +
                    "ssh://user@host, unix:///path/to/docker.sock or tcp://host:port (with dockerTls)",
            );
        },
    );

    test("tcp:// with TLS settings loads, and the host's Docker provider gets their directory", async () => {
        const config = labHostsWith({
            dockerHost: "tcp://10.9.9.9:2376",
            dockerTls: { certPath: "/etc/homelab/docker-tls" },
        });
        const settings = settingsOfStackFile({ config: { ...stackConfig("lab"), ...config } });
        const host = settings.hosts["docker-prod-01"];
        if (host === undefined) throw new Error("the lab has docker-prod-01");
        expect(dockerTlsArgs(host)).toEqual({ certPath: "/etc/homelab/docker-tls" });
        expect((await loadProgram("lab", { config })).resources.length).toBeGreaterThan(0);
    });

    test("a host without TLS settings gives its provider no TLS arguments", () => {
        const host = stackSettings("lab").hosts["docker-prod-01"];
        if (host === undefined) throw new Error("the lab has docker-prod-01");
        expect(dockerTlsArgs(host)).toEqual({});
    });
});

describe("a plain homelab: key the program does not read is an error, not silently ignored", () => {
    const settingsList =
        "domain, timezone, identity, hosts, storage, lanSubnet, traefik, vpn, adguard, offline, hostFiles, " +
        "protectStateful, edge, cloudflare, unifi, proxmox, backups, targets, cluster";

    test("a misspelt setting names the key, the setting it probably meant and the settings", async () => {
        const error = await failure({ "homelab:protectStatefull": "true" });
        expect(error.message).toContain(
            "homelab:protectStatefull is set, but protectStatefull is not a setting; " +
                `did you mean homelab:protectStateful? the settings are ${settingsList} (a secret is set with --secret)`,
        );
        expect(error.registered).toBe(0);
    });

    test("a key like no setting gets no guess", async () => {
        const error = await failure({ "homelab:wireguardPort": "51820" });
        expect(error.message).toContain(
            `homelab:wireguardPort is set, but wireguardPort is not a setting; the settings are ${settingsList}`,
        );
    });

    test("a secret set without --secret is reported, and its value never shown", async () => {
        const error = await failure({ "homelab:authentikSecretKey": "plain-text-secret-value" }, [
            "authentikSecretKey",
        ]);
        expect(error.message).toContain(
            "homelab:authentikSecretKey is set, but authentikSecretKey is not a setting; the settings are",
        );
        expect(error.message).toContain("(a secret is set with --secret)");
        expect(error.message).not.toContain("plain-text-secret-value");
    });

    test("it is reported with the other problems, at once", async () => {
        const error = await failure({ "homelab:domian": "giohosted.com", "homelab:lanSubnet": "10.0.0.0/99" });
        expect(error.message).toMatch(
            /homelab:domian is set, .*did you mean homelab:domain\?[^\n]*\n.*homelab:lanSubnet: "10.0.0.0\/99"/,
        );
    });

    test("secret keys are not settings and are never reported (the lab is loaded with every secret key, most unread)", async () => {
        await expect(loadProgram("lab")).resolves.toBeDefined();
    });

    test("a stack file read outside a run (policy pack, adoption) gets the same check; its secure values are not settings", () => {
        const config = { ...stackConfig("lab"), "homelab:protectStatefull": "true" };
        expect(() => settingsOfStackFile({ config })).toThrow(
            "homelab:protectStatefull is set, but protectStatefull is not a setting; did you mean homelab:protectStateful?",
        );
        const withSecret = { ...stackConfig("lab"), "homelab:someToken": { secure: "v1:AAAA" } };
        expect(settingsOfStackFile({ config: withSecret }).domain).toBe(stackSettings("lab").domain);
    });
});

describe("catalog validation", () => {
    const settings = stackSettings("prod");
    const sonarr = catalog.find((entry) => entry.name === "sonarr") as ServiceEntry;

    test("the real catalog has no problems", () => {
        expect(catalogProblems(catalog, settings)).toEqual([]);
    });

    test("a duplicate service name", () => {
        const copy: ServiceEntry = {
            ...sonarr,
            route: { ...sonarr.route, subdomain: "sonarr-copy", exposure: "internal", forwardAuth: true },
        };
        expect(() => {
            assertCatalog([...catalog, copy], settings);
        }).toThrow('catalog: service name "sonarr" is declared twice; allowed: one entry per service name');
    });

    test("a duplicate hostname", () => {
        const other: ServiceEntry = { ...sonarr, name: "sonarr-copy" };
        expect(() => {
            assertCatalog([...catalog, other], settings);
        }).toThrow(
            'catalog: hostname "sonarr.giohosted.com" is routed to sonarr and sonarr-copy; allowed: one service per hostname',
        );
    });

    test("an unknown host", () => {
        const stray = { ...sonarr, name: "stray", route: undefined, host: "pi-prod-01" } as unknown as ServiceEntry;
        expect(catalogProblems([...catalog, stray], settings)).toContain(
            'catalog: stray.host: "pi-prod-01" is not a host in homelab:hosts; allowed: docker-prod-01, auth-prod-01, immich-prod-01, nas-prod-01, every-host',
        );
    });

    test("a subdomain that is not a DNS label", () => {
        const bad: ServiceEntry = {
            ...sonarr,
            name: "bad",
            route: { subdomain: "Bad_Name", exposure: "internal", forwardAuth: true },
        };
        expect(catalogProblems([...catalog, bad], settings)).toContain(
            'catalog: bad.route.subdomain: "Bad_Name" is not allowed; expected one lower-case DNS label such as "sonarr"',
        );
    });

    test("a required device missing on its host", () => {
        const hosts = { ...settings.hosts };
        const docker = hosts["docker-prod-01"];
        if (docker === undefined) throw new Error("prod has docker-prod-01");
        hosts["docker-prod-01"] = { ...docker, devices: [] };
        expect(catalogProblems(catalog, { ...settings, hosts })).toContain(
            'homelab:hosts.docker-prod-01.devices: [] lacks "/dev/net/tun", which gluetun needs (the VPN tunnel interface)',
        );
    });

    test("a namespace owner on another host", () => {
        const stray: ServiceEntry = {
            ...sonarr,
            name: "stray",
            route: undefined,
            host: "auth-prod-01",
            networking: { mode: "namespace", of: "gluetun" },
        };
        expect(catalogProblems([...catalog, stray], settings)).toContain(
            'catalog: stray.networking.of: "gluetun" is not allowed; expected a service of the same stack and host',
        );
    });
});
