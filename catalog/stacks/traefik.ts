import type { Settings } from "../../config/schema";
import { websecurePort } from "../../topology";
import type { PublishedPort } from "../types";

export const traefikDynamicDir = "/etc/traefik/dynamic";
export const certResolver = "cloudflare";

const caServers = {
    letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/**
 * Traefik's static configuration as CLI flags: no file to template onto the host, and a change
 * shows in the preview as a changed command.
 */
export function traefikStaticArgs(settings: Settings): string[] {
    const { domain, traefik } = settings;
    const args = [
        "--entrypoints.web.address=:80",
        "--entrypoints.web.http.redirections.entrypoint.to=websecure",
        "--entrypoints.web.http.redirections.entrypoint.scheme=https",
        "--entrypoints.web.http.redirections.entrypoint.permanent=true",
        `--entrypoints.websecure.address=:${websecurePort}`,
        "--entrypoints.websecure.http.tls=true",
        "--providers.docker=true",
        "--providers.docker.exposedbydefault=false",
        "--providers.docker.network=proxy",
        `--providers.file.directory=${traefikDynamicDir}`,
        "--providers.file.watch=true",
        "--api.dashboard=true",
        "--ping=true",
        "--log.level=INFO",
    ];
    if (traefik.certificates === "self-signed") return args;
    return [
        ...args,
        `--entrypoints.websecure.http.tls.certresolver=${certResolver}`,
        `--entrypoints.websecure.http.tls.domains[0].main=${domain}`,
        `--entrypoints.websecure.http.tls.domains[0].sans=*.${domain}`,
        `--certificatesresolvers.${certResolver}.acme.email=${traefik.acmeEmail ?? `admin@${domain}`}`,
        `--certificatesresolvers.${certResolver}.acme.storage=/letsencrypt/acme.json`,
        `--certificatesresolvers.${certResolver}.acme.caserver=${caServers[traefik.certificates]}`,
        `--certificatesresolvers.${certResolver}.acme.dnschallenge.provider=cloudflare`,
        `--certificatesresolvers.${certResolver}.acme.dnschallenge.resolvers=1.1.1.1:53,1.0.0.1:53`,
    ];
}

export function traefikPorts(settings: Settings): PublishedPort[] {
    return [
        { port: 80, hostPort: settings.traefik.httpPort, protocol: "tcp", reason: "HTTP, redirected to HTTPS" },
        { port: websecurePort, hostPort: settings.traefik.httpsPort, protocol: "tcp", reason: "the HTTPS entrypoint" },
    ];
}
