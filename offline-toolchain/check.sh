#!/usr/bin/env bash
# `go vet` and `go build` of the offline toolchain's own Go code: the Node.js language host
# (engine/nodejs-langhost) and the Docker provider's bridge code (engine/docker: info, shim and
# the two commands). Each is checked in the module engine/build.sh builds it in (sourced here for
# its pinned versions and module set-up: same go.mod, same patched upstream copies, same tags), so
# what passes here is what the engine build compiles. Fails on any vet finding or compile error.
#
#   bash offline-toolchain/check.sh
#
# Uses Go's module cache and build cache (the engine build's: same flags, so each fills the other):
# 15-30 s warm on 2 cores, most of it linking the provider's two commands; several minutes with an
# empty build cache. It reaches the module proxy only for a module not in the module cache yet.
# The provider's schema.json and bridge-metadata.json, which tfgen generates during the engine
# build and the provider embeds, are empty placeholders here. Nothing is written to the repository
# or to the engine's cache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=engine/build.sh
source "$here/engine/build.sh"

t0=$SECONDS
ensure_go
mkdir -p "$CACHE" # mod_field runs `go mod download` from there (outside any module)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"

step() { printf '[check] %s\n' "$*" >&2; }

step "nodejs-langhost: go vet, go build"
langhost_module "$work/langhost"
(cd "$work/langhost" && "$GO" vet -trimpath . && gobuild -ldflags "-s -w" -o "$work/bin/" .)

step "docker (info, shim, cmd/pulumi-tfgen-docker, cmd/pulumi-resource-docker): go vet, go build"
docker_module "$work/docker"
printf '{}\n' >"$work/docker/cmd/pulumi-resource-docker/schema.json"
printf '{}\n' >"$work/docker/cmd/pulumi-resource-docker/bridge-metadata.json"
(cd "$work/docker" &&
  "$GO" vet -trimpath -tags "$DOCKER_BUILD_TAGS" ./... "$DOCKER_UPSTREAM_PATH/shim" &&
  gobuild -tags "$DOCKER_BUILD_TAGS" -ldflags "-s -w" -o "$work/bin/" ./...)

step "ok in $((SECONDS - t0))s"
