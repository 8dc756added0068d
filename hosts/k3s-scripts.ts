import { apiPort, k3sPaths } from "./k3s-config";
import { shellQuote, sudoFor, writeSecretFileCommand } from "./remote";

/**
 * The commands the program runs on a k3s server node over SSH, as text: pure, so the tests read
 * exactly what a node runs. The cluster token never appears in them: it arrives on stdin.
 */

/** k3s's installer; INSTALL_K3S_VERSION pins the release it installs. */
export const installerUrl = "https://get.k3s.io";

export interface ServerInstall {
    /** INSTALL_K3S_VERSION, e.g. v1.33.5+k3s1. */
    version: string;
    /** This node's address: its API server certificate names it (--tls-san). */
    address: string;
    /** How this server joins: it starts the embedded etcd (the first of several), joins the first, or runs alone. */
    role: { kind: "single" } | { kind: "cluster-init" } | { kind: "join"; server: string };
    user: string;
    /** Traefik's CRD bundle for the pinned Traefik (`traefikCrdsUrl`), put where k3s applies manifests. */
    traefikCrds: string;
}

/** k3s applies every manifest in this directory at start and whenever one changes. */
export const manifestsDir = "/var/lib/rancher/k3s/server/manifests";

/**
 * Traefik's CRDs (IngressRoute, Middleware, ...) of the catalog's Traefik tag: the cluster's
 * Traefik and every IngressRoute need them, and with the bundled Traefik disabled k3s has none.
 */
export function traefikCrdsUrl(traefikTag: string): string {
    return `https://raw.githubusercontent.com/traefik/traefik/${traefikTag}/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml`;
}

/** The `k3s server` flags of one node, in the order the installer passes them on. */
export function serverFlags(install: ServerInstall): string[] {
    const role =
        install.role.kind === "cluster-init"
            ? ["--cluster-init"]
            : install.role.kind === "join"
              ? ["--server", `https://${install.role.server}:${apiPort}`]
              : [];
    return [
        "server",
        "--token-file",
        k3sPaths.token,
        "--tls-san",
        install.address,
        // The program manages Traefik (from its catalog entry), so the bundled one stays off.
        "--disable",
        "traefik",
        "--write-kubeconfig-mode",
        "0600",
        ...role,
    ];
}

/**
 * Writes the token arriving on stdin to a root-only file, installs the NFS client (Immich's photos
 * come from the NAS over NFS), puts Traefik's CRDs where k3s applies manifests, then runs the
 * pinned installer. Re-running it with the same version
 * changes nothing; with another version it upgrades k3s in place.
 */
export function installCommand(install: ServerInstall): string {
    const sudo = sudoFor(install.user);
    const flags = serverFlags(install).map(shellQuote).join(" ");
    return [
        writeSecretFileCommand(install.user, k3sPaths.token),
        `{ ! command -v apt-get >/dev/null || ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-common; }`,
        `${sudo}mkdir -p ${manifestsDir}`,
        `curl -sfL ${shellQuote(install.traefikCrds)} | ${sudo}tee ${manifestsDir}/traefik-crds.yaml >/dev/null`,
        `curl -sfL ${installerUrl} | ${sudo}env INSTALL_K3S_VERSION=${shellQuote(install.version)} sh -s - ${flags}`,
    ].join(" && ");
}

/** Prints the kubeconfig k3s wrote (root-only); its stdout is a secret and never logged. */
export function readKubeconfigCommand(user: string): string {
    return `${sudoFor(user)}cat ${k3sPaths.kubeconfig}`;
}

/** The kubeconfig as k3s writes it points at 127.0.0.1; the program reaches the node at its address. */
export function kubeconfigForNode(kubeconfig: string, address: string): string {
    return kubeconfig.replace(/https:\/\/(127\.0\.0\.1|localhost|\[::1\]):/g, `https://${address}:`);
}
