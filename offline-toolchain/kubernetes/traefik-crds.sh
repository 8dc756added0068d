#!/usr/bin/env bash
# Prints the path of Traefik's CRD definitions (IngressRoute, Middleware, TraefikService, ...) of
# one Traefik release, taken from its Go module (the module proxy; Go's module cache afterwards):
#
#   bash offline-toolchain/kubernetes/traefik-crds.sh v3.7.9
#
# It is docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml, the very
# file the program's k3s install applies from GitHub for the catalog's Traefik tag
# (hosts/k3s-scripts.ts, traefikCrdsUrl). The Kubernetes real-engine test creates these CRDs on its
# API server before the program's IngressRoutes and Middlewares (no GitHub here).
set -euo pipefail

log() { printf '[traefik-crds] %s\n' "$*" >&2; }
die() {
  printf '[traefik-crds] error: %s\n' "$*" >&2
  exit 1
}

version="${1:?usage: traefik-crds.sh <Traefik tag, e.g. v3.7.9>}"
[[ "$version" =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]] || die "'$version' is not a Traefik release tag such as v3.7.9"
module=github.com/traefik/traefik
((BASH_REMATCH[1] >= 2)) && module+="/v${BASH_REMATCH[1]}"

CACHE="${HOMELAB_ENGINE_CACHE:-$HOME/.cache/homelab-engine}"
mkdir -p "$CACHE" # mod_field runs `go mod download` from there (outside any module)
# shellcheck source=offline-toolchain/lib/go.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/go.sh"
ensure_go
dir="$(mod_field Dir "$module@$version")"
file="$dir/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"
[[ -s "$file" ]] || die "no CRD definitions in $module@$version ($file)"
printf '%s\n' "$file"
