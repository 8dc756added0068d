/**
 * The homelab's machines and the parts some services play in it: what catalog/ (where each service
 * runs), hosts/ (what each machine gets) and components/ (who routes, who signs in) all build on.
 * Nothing here knows a service's image or settings.
 */

export const hostNames = ["docker-prod-01", "auth-prod-01", "immich-prod-01", "nas-prod-01"] as const;
export type HostName = (typeof hostNames)[number];

/** The host Traefik and the tunnel connector run on; services elsewhere are routed through the file provider. */
export const edgeHost: HostName = "docker-prod-01";

/** The Unraid NAS: its exports are the VMs' /data, and Plex runs on it. */
export const nasHost: HostName = "nas-prod-01";

/** Placement of a service that runs once on every Docker engine (the Beszel agent). */
export const everyHost = "every-host";

/**
 * The services the program builds other things around, by the part they play. Components take
 * these as arguments (from `roles`), never by a service name of their own.
 */
export interface Roles {
    /** Every route enters through it: Traefik. */
    ingress: string;
    /** Answers every sign-in and hosts the forward-auth outpost: authentik-server. */
    identityProvider: string;
    /** Applies the generated blueprint from its blueprint directory: authentik-worker. */
    blueprintReader: string;
    /** Turns the generated monitor files into uptime monitors: AutoKuma. */
    monitorAgent: string;
}

export const roles: Roles = {
    ingress: "traefik",
    identityProvider: "authentik-server",
    blueprintReader: "authentik-worker",
    monitorAgent: "autokuma",
};

/** Traefik's TLS entrypoint port, where the tunnel connector and LAN requests both enter. */
export const websecurePort = 443;
