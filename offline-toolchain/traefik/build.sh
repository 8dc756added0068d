#!/usr/bin/env bash
# Builds the real Traefik binary from the Go module proxy (no GitHub, no registry image) and
# packages it as a local Docker image with `docker import`:
#
#   bash offline-toolchain/traefik/build.sh <image tag>      # DOCKER_HOST selects the engine
#
# The image's root filesystem holds only /traefik (static, CGO_ENABLED=0), the CA bundle
# /etc/ssl/certs/ca-certificates.crt (from the host's Debian ca-certificates, when installed) and
# /tmp; ENTRYPOINT ["/traefik"], so `docker run <tag> --ping=true ...` works like the upstream image.
# Prints the tag on stdout, last; progress and timings go to stderr.
#
# Version: TRAEFIK_VERSION (default v3.7.9). If the proxy refuses it, the newest v3.x listed by
# `go list -m -versions github.com/traefik/traefik/v3` is used instead (with a warning). Note that
# the proxy's list can omit versions it serves (v3.7.9 is served but not listed), so the wanted
# version is probed with `go mod download` first.
#
# Cache: ${HOMELAB_CACHE:-$HOME/.cache/homelab}/traefik-<version>/traefik, reused when present
# (delete the directory to rebuild). GOCACHE/GOMODCACHE are Go's defaults (outside the repository).
#
# Workarounds (applied to a throwaway copy of the module under the cache, never to the module cache):
#  * go.mod has `replace github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext`, a
#    nested module that the module zip leaves out (nested modules are never in a zip) and that the
#    proxy refuses (403). It only declares empty extension structs (ext.HTTP, ext.Router, ...), so
#    it is recreated here as upstream has it. Building inside the copy (not from a wrapper module)
#    keeps traefik's own go.sum, replaces (containous forks) and exclude in force.
#  * webui/static (go:embed) is the dashboard's built JS bundle; the zip holds only a README there.
#    That compiles, but with api.dashboard enabled traefik logs "parsing index template" errors and
#    /dashboard/ is empty. A placeholder index.html (a template, like the real one) is added, which
#    says the dashboard is not built. The API (/api/...) is unaffected.
set -euo pipefail

WANT_VERSION="${TRAEFIK_VERSION:-v3.7.9}"
MODULE=github.com/traefik/traefik/v3
PATCH_LEVEL=1 # bump when the workarounds below change (part of the cache directory name)

tag="${1:?usage: build.sh <image tag>}"
CACHE="${HOMELAB_CACHE:-$HOME/.cache/homelab}"

log() { printf '[traefik] %s\n' "$*" >&2; }
die() { printf '[traefik] error: %s\n' "$*" >&2; exit 1; }

ensure_go() {
  if command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    die "Go is required (none on PATH or in /usr/local/go/bin)"
  fi
  export GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOOS=linux
  GOARCH="$("$GO" env GOARCH)"
  export GOARCH
}

# go mod download -json MODULE@VERSION → the value of one field (Dir, Info, Version).
mod_field() {
  local field="$1" out="$2"
  printf '%s\n' "$out" | sed -n "s/^[[:space:]]*\"$field\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n1
}

# Sets VERSION and MOD_JSON: the wanted version if served, else the newest listed v3.x.
resolve_version() {
  local err
  if MOD_JSON="$(cd "$CACHE" && "$GO" mod download -json "$MODULE@$WANT_VERSION" 2>/dev/null)" &&
    [[ -n "$(mod_field Dir "$MOD_JSON")" ]]; then
    VERSION="$WANT_VERSION"
    return 0
  fi
  err="$(printf '%s\n' "$MOD_JSON" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  log "warning: $MODULE@$WANT_VERSION is not served (${err:-unknown error}); using the newest v3.x the proxy lists"
  VERSION="$(cd "$CACHE" && "$GO" list -m -versions "$MODULE" | tr ' ' '\n' | grep -E '^v3\.[0-9]+\.[0-9]+$' |
    sort -V | tail -n1)" || true
  [[ -n "$VERSION" ]] || die "the proxy lists no v3.x release of $MODULE"
  MOD_JSON="$(cd "$CACHE" && "$GO" mod download -json "$MODULE@$VERSION")" || die "cannot download $MODULE@$VERSION"
}

build_binary() {
  local out="$1" src="$2" info="$3"
  local work="$CACHE/work/traefik-$VERSION"
  rm -rf "$work" && mkdir -p "$(dirname "$work")"
  cp -r "$src" "$work" && chmod -R u+w "$work"

  # Workaround 1: the nested module github.com/traefik/traefik/dynamic/ext (see header).
  local ext="$work/pkg/config/dynamic/ext"
  if [[ ! -f "$ext/go.mod" ]]; then
    grep -q 'github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext' "$work/go.mod" ||
      log "note: go.mod no longer replaces dynamic/ext with ./pkg/config/dynamic/ext"
    mkdir -p "$ext"
    printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' >"$ext/go.mod"
    cat >"$ext/ext.go" <<'EOF'
package ext

// HTTP is a dynamic.HTTP extension.
type HTTP struct{}

// Router is a dynamic.Router extension.
type Router struct{}

// RouterIng is a RouterIng extension for ingress provider annotations.
type RouterIng struct{}

// ToRouter converts RouterIng to a Router.
func (r RouterIng) ToRouter() Router {
	return Router{}
}
EOF
    log "workaround: recreated the nested module pkg/config/dynamic/ext (not in the module zip, not served)"
  fi

  # Workaround 2: the dashboard bundle is not in the module zip (see header).
  if [[ ! -f "$work/webui/static/index.html" ]]; then
    mkdir -p "$work/webui/static"
    cat >"$work/webui/static/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en">
  <head>
    {{if .APIUrl}}<script>window.APIUrl = "{{.APIUrl}}"</script>{{end}}
    <meta charset="utf-8" />
    <title>Traefik Proxy</title>
  </head>
  <body>
    <p>The Traefik dashboard is not included in this build (built from the Go module, without the
    web UI bundle). The API is available under {{if .APIUrl}}{{.APIUrl}}{{else}}/api/{{end}}.</p>
  </body>
</html>
EOF
    log "workaround: webui/static has no dashboard bundle; added a placeholder index.html"
  fi

  local date
  date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info" | head -n1)"
  log "building traefik $VERSION ($("$GO" version | cut -d' ' -f3), $GOOS/$GOARCH, CGO_ENABLED=0)..."
  (cd "$work" && nice -n 10 "$GO" build -trimpath -ldflags "-s -w \
    -X github.com/traefik/traefik/v3/pkg/version.Version=${VERSION#v} \
    -X github.com/traefik/traefik/v3/pkg/version.BuildDate=${date:-unknown}" \
    -o "$out/traefik" ./cmd/traefik)
  rm -rf "$work"
  rmdir "$CACHE/work" 2>/dev/null || true
}

main() {
  command -v docker >/dev/null 2>&1 || die "the docker CLI is required"
  mkdir -p "$CACHE"
  CACHE="$(cd "$CACHE" && pwd -P)"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.traefik.lock"
    flock 9
  fi
  local t0=$SECONDS bin

  # Reuse a cached binary without touching Go or the proxy when the wanted version is there.
  local dir="$CACHE/traefik-$WANT_VERSION"
  if [[ -x "$dir/traefik" ]]; then
    VERSION="$WANT_VERSION"
    log "cached: $dir/traefik"
  else
    ensure_go
    resolve_version
    dir="$CACHE/traefik-$VERSION"
    if [[ -x "$dir/traefik" ]]; then
      log "cached: $dir/traefik"
    else
      local src info
      src="$(mod_field Dir "$MOD_JSON")"
      info="$(mod_field Info "$MOD_JSON")"
      [[ -d "$src" ]] || die "no source directory for $MODULE@$VERSION"
      rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
      build_binary "$dir.tmp" "$src" "$info"
      [[ -x "$dir.tmp/traefik" ]] || die "the build produced no binary"
      printf 'module %s@%s\npatch-level %s\n%s\n' "$MODULE" "$VERSION" "$PATCH_LEVEL" "$("$GO" version)" \
        >"$dir.tmp/BUILDINFO"
      rm -rf "$dir" && mv -T "$dir.tmp" "$dir"
      log "built $dir/traefik in $((SECONDS - t0))s ($(du -h "$dir/traefik" | cut -f1))"
    fi
  fi
  bin="$dir/traefik"
  if command -v file >/dev/null 2>&1 && ! file -L "$bin" | grep -q 'statically linked'; then
    die "$bin is not statically linked"
  fi

  # Nothing to do if the tag already holds this binary (and CA bundle) in the selected engine.
  local key
  key="$( (sha256sum "$bin" "${BASH_SOURCE[0]}"; [[ -f /etc/ssl/certs/ca-certificates.crt ]] && sha256sum /etc/ssl/certs/ca-certificates.crt) |
    cut -d' ' -f1 | sha256sum | cut -c1-16)"
  if [[ "$(docker image inspect -f '{{index .Config.Labels "homelab.traefik.key"}}' "$tag" 2>/dev/null)" == "$key" ]]; then
    log "image $tag is up to date: traefik ${VERSION#v} ($((SECONDS - t0))s)"
    printf '%s\n' "$tag"
    return 0
  fi

  # Root filesystem → docker import (no base image, no registry).
  ROOTFS="$(mktemp -d)"
  trap 'rm -rf "$ROOTFS"' EXIT
  local root="$ROOTFS"
  mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  # Where the official image keeps it: the catalog's healthcheck runs `traefik healthcheck --ping`.
  install -m 0755 "$bin" "$root/usr/local/bin/traefik"
  ln -s usr/local/bin/traefik "$root/traefik"
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  else
    log "warning: /etc/ssl/certs/ca-certificates.crt not found (apt-get install ca-certificates); the image has no CA bundle"
  fi
  tar -C "$root" --numeric-owner --owner=0 --group=0 -c . | docker import \
    --change 'ENTRYPOINT ["/traefik"]' \
    --change 'ENV PATH=/usr/local/bin' \
    --change 'EXPOSE 80' \
    --change "LABEL org.opencontainers.image.title=traefik org.opencontainers.image.version=${VERSION#v} homelab.traefik.key=$key" \
    - "$tag" >/dev/null
  log "image $tag: traefik ${VERSION#v} ($((SECONDS - t0))s)"
  printf '%s\n' "$tag"
}

main "$@"
