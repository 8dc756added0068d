#!/usr/bin/env bash
# Builds the Pulumi engine binaries this project needs, from source, using only the Go module
# proxy (no Pulumi CLI download, no plugin download, no GitHub).
#
#   PATH="$(bash offline-toolchain/engine/build.sh):$PATH"
#
# Prints ONE line on stdout: a directory holding
#   pulumi                          the CLI/engine
#   pulumi-language-nodejs          the Node.js language host (ours: nodejs-langhost/, see below)
#   pulumi-resource-pulumi-nodejs   the dynamic-provider launcher shipped in the pulumi sdk module
#   pulumi-resource-docker          the Docker provider (bridged from the upstream Terraform provider)
# Everything else (progress, timings, warnings) goes to stderr.
#
# Cache: ${HOMELAB_ENGINE_CACHE:-$HOME/.cache/homelab-engine}, one directory per component and
# version (+ a hash of our own sources for the components we compile from this directory), reused
# when its binary is present. GOCACHE/GOMODCACHE are Go's defaults (outside the repository).
#
# Binaries already installed are reused instead of built: `pulumi` v3 on PATH (with the language
# host bundled next to it), `pulumi-resource-docker` on PATH or installed as plugin
# resource-docker-v$DOCKER_PROVIDER_VERSION in $PULUMI_HOME. HOMELAB_ENGINE_BUILD=always ignores
# those and uses our own builds (still reusing this cache; delete a component's directory to
# rebuild it).
#
# HOMELAB_ENGINE_PROVIDERS=path (default) puts the providers we build in the bin dir; the engine
# then uses them from $PATH, whatever version a program asks for, and prints
# "warning: using pulumi-resource-docker from $PATH" in every run. HOMELAB_ENGINE_PROVIDERS=home
# installs them instead as plugins of their exact version in ${PULUMI_HOME:-~/.pulumi}/plugins
# (`pulumi plugin install --file`), which the engine uses without that warning (env.sh does this).
#
# Why the versions below differ from the npm pins (@pulumi/pulumi 3.276.0, @pulumi/docker 5.2.0,
# @pulumi/command 1.2.1), as checked against the module proxy this project can reach:
#  * github.com/pulumi/pulumi/{pkg,sdk}/v3: the module zips of v3.275.0 and v3.276.0 are refused
#    (403); v3.274.1 is the newest served. CLI 3.274.1 runs programs using the 3.276.0 npm SDK.
#  * github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 is refused at every version,
#    so the Node.js language host is built from nodejs-langhost/main.go (written for this project;
#    it drives @pulumi/pulumi/cmd/run from the program's node_modules like the upstream host).
#  * github.com/pulumi/pulumi-docker/provider/v5 is refused at every version, so the provider is
#    assembled from parts that are served: the upstream Terraform provider
#    (github.com/kreuzwerker/terraform-provider-docker, newest served pseudo-version = v4.6.0 plus
#    a few commits), pulumi-terraform-bridge v3.120.0 and Pulumi's terraform-plugin-sdk fork, with
#    the token/property mapping in docker/info/info.go. It reports version 5.2.0; its schema has the
#    exact resource/function tokens and property names of the @pulumi/docker 5.2.0 SDK, except
#    `docker.Image` (pulumi-docker's own buildx-based resource, not part of the Terraform provider).
#  * github.com/pulumi/pulumi-command/provider is refused at every version: no command provider is
#    built (programs using @pulumi/command resources fail with "no resource plugin 'command'").
set -euo pipefail

# ---- versions: the single source of truth ------------------------------------------------------
PULUMI_VERSION=3.274.1
DOCKER_PROVIDER_VERSION=5.2.0
DOCKER_UPSTREAM_PATH=github.com/terraform-providers/terraform-provider-docker # its go.mod's name
DOCKER_UPSTREAM_MODULE=github.com/kreuzwerker/terraform-provider-docker        # where it is served
DOCKER_UPSTREAM_VERSION=v0.0.0-20260916201441-96d331c98ff4
TF_BRIDGE_VERSION=v3.120.0
TF_PLUGIN_SDK_FORK_MODULE=github.com/pulumi/terraform-plugin-sdk/v2
TF_PLUGIN_SDK_FORK_VERSION=v2.0.0-20250923233607-7f1981c8674a # what the bridge's go.mod replaces with
COMMAND_PROVIDER_VERSION=1.2.1 # not buildable here, see above; only used for the warning
PATCH_LEVEL=1 # bump when the patch_* functions below change, to invalidate cached builds
# no_compose: leave out docker_compose (not part of @pulumi/docker; pulls in docker/compose).
DOCKER_BUILD_TAGS=no_compose

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${HOMELAB_ENGINE_CACHE:-$HOME/.cache/homelab-engine}"
FORCE_BUILD=false
[[ "${HOMELAB_ENGINE_BUILD:-}" == "always" ]] && FORCE_BUILD=true

PROVIDERS_MODE="${HOMELAB_ENGINE_PROVIDERS:-path}"
[[ "$PROVIDERS_MODE" == path || "$PROVIDERS_MODE" == home ]] ||
  { echo "[engine] error: HOMELAB_ENGINE_PROVIDERS must be 'path' or 'home'" >&2; exit 1; }
PULUMI_HOME_DIR="${PULUMI_HOME:-$HOME/.pulumi}"
MARKER=.homelab-engine # marks a plugin directory that this script installed

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] error: %s\n' "$*" >&2; exit 1; }

main() {
  mkdir -p "$CACHE"
  CACHE="$(cd "$CACHE" && pwd -P)"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock 9
  fi
  T_START=$SECONDS

  local pulumi_bin="" langhost_bin="" dynprov_bin="" docker_bin=""

  # -- CLI (+ bundled language host) -------------------------------------------------------------
  if ! $FORCE_BUILD && pulumi_bin="$(find_user_pulumi)"; then
    log "reusing pulumi from PATH: $pulumi_bin ($(PULUMI_SKIP_UPDATE_CHECK=true "$pulumi_bin" version 2>/dev/null))"
    local real_dir
    real_dir="$(dirname "$(readlink -f "$pulumi_bin")")"
    if [[ -x "$real_dir/pulumi-language-nodejs" ]]; then
      langhost_bin="$real_dir/pulumi-language-nodejs"
    elif langhost_bin="$(find_user_bin pulumi-language-nodejs)"; then
      :
    else
      langhost_bin=""
    fi
    if [[ -x "$real_dir/pulumi-resource-pulumi-nodejs" ]]; then
      dynprov_bin="$real_dir/pulumi-resource-pulumi-nodejs"
    elif ! dynprov_bin="$(find_user_bin pulumi-resource-pulumi-nodejs)"; then
      dynprov_bin=""
      log "note: no pulumi-resource-pulumi-nodejs next to $pulumi_bin: dynamic providers will not work"
    fi
  else
    pulumi_bin=""
  fi
  if [[ -z "$pulumi_bin" ]]; then
    ensure_go
    build_pulumi_cli
    pulumi_bin="$CACHE/pulumi-v$PULUMI_VERSION/pulumi"
    dynprov_bin="$CACHE/pulumi-v$PULUMI_VERSION/pulumi-resource-pulumi-nodejs"
  fi
  if [[ -z "$langhost_bin" ]]; then
    ensure_go
    build_langhost
    langhost_bin="$LANGHOST_DIR/pulumi-language-nodejs"
  fi

  # -- Docker provider ---------------------------------------------------------------------------
  local plugin_home="$PULUMI_HOME_DIR/plugins/resource-docker-v$DOCKER_PROVIDER_VERSION"
  if ! $FORCE_BUILD && docker_bin="$(find_user_bin pulumi-resource-docker)"; then
    log "reusing pulumi-resource-docker from PATH: $docker_bin"
  elif ! $FORCE_BUILD && [[ -x "$plugin_home/pulumi-resource-docker" && ! -e "$plugin_home/$MARKER" ]]; then
    log "pulumi-resource-docker v$DOCKER_PROVIDER_VERSION is installed in $plugin_home; the engine uses it from there"
    docker_bin=""
  else
    ensure_go
    build_docker_provider
    docker_bin="$DOCKER_DIR/pulumi-resource-docker"
    if [[ "$PROVIDERS_MODE" == home ]]; then
      install_plugin docker "$DOCKER_PROVIDER_VERSION" "$docker_bin" "$pulumi_bin"
      docker_bin=""
    fi
  fi

  # -- Command provider: not buildable -----------------------------------------------------------
  local command_bin=""
  if command_bin="$(find_user_bin pulumi-resource-command)"; then
    log "reusing pulumi-resource-command from PATH: $command_bin"
  elif [[ -x "$PULUMI_HOME_DIR/plugins/resource-command-v$COMMAND_PROVIDER_VERSION/pulumi-resource-command" ]]; then
    command_bin=""
  else
    command_bin=""
    log "warning: pulumi-resource-command v$COMMAND_PROVIDER_VERSION is not available (its Go module is not served);" \
      "@pulumi/command resources cannot be deployed with this engine"
  fi

  # -- one bin dir -------------------------------------------------------------------------------
  local key bindir
  key="$(printf '%s\n' "$PULUMI_VERSION" "$DOCKER_PROVIDER_VERSION" "$PROVIDERS_MODE" "$pulumi_bin" "$langhost_bin" \
    "$dynprov_bin" "$docker_bin" "$command_bin" | sha256sum | cut -c1-12)"
  bindir="$CACHE/bin-$key"
  if [[ ! -d "$bindir" ]]; then
    local tmp="$bindir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    place "$pulumi_bin" "$tmp/pulumi"
    place "$langhost_bin" "$tmp/pulumi-language-nodejs"
    [[ -n "$dynprov_bin" ]] && place "$dynprov_bin" "$tmp/pulumi-resource-pulumi-nodejs"
    [[ -n "$docker_bin" ]] && place "$docker_bin" "$tmp/pulumi-resource-docker"
    [[ -n "$command_bin" ]] && place "$command_bin" "$tmp/pulumi-resource-command"
    mv -T "$tmp" "$bindir"
  fi
  rmdir "$CACHE/work" 2>/dev/null || true
  log "engine ready in $((SECONDS - T_START))s: $bindir"
  printf '%s\n' "$bindir"
}

# Hard-link (or copy) files from our cache, so that `pulumi` finds the language host next to
# itself and does not warn about a plugin "from \$PATH"; symlink binaries we do not own.
place() {
  local src="$1" dst="$2"
  if [[ "$(readlink -f "$src")" == "$CACHE"/* ]]; then
    ln "$(readlink -f "$src")" "$dst" 2>/dev/null || cp "$src" "$dst"
  else
    ln -s "$src" "$dst"
  fi
}

# Install a provider we built as plugin resource-NAME-vVERSION in $PULUMI_HOME (home mode).
install_plugin() {
  local name="$1" version="$2" bin="$3" pulumi="$4"
  local dir="$PULUMI_HOME_DIR/plugins/resource-$name-v$version"
  if [[ -x "$dir/pulumi-resource-$name" && -e "$dir/$MARKER" ]] && cmp -s "$bin" "$dir/pulumi-resource-$name"; then
    return 0
  fi
  log "installing pulumi-resource-$name v$version into $PULUMI_HOME_DIR/plugins"
  PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true \
    "$pulumi" plugin install resource "$name" "$version" --file "$bin" --reinstall >&2
  printf '%s\n' "$bin" >"$dir/$MARKER"
}

# A binary on PATH that is not one of ours.
find_user_bin() {
  local name="$1" p
  p="$(command -v "$name" 2>/dev/null)" || return 1
  [[ "$(readlink -f "$p")" == "$CACHE"/* ]] && return 1
  printf '%s\n' "$p"
}

find_user_pulumi() {
  local p v
  p="$(find_user_bin pulumi)" || return 1
  v="$(PULUMI_SKIP_UPDATE_CHECK=true timeout 60 "$p" version 2>/dev/null)" || return 1
  [[ "$v" == v3.* || "$v" == 3.* ]] || { log "ignoring $p: version '$v' is not 3.x"; return 1; }
  printf '%s\n' "$p"
}

# ---- Go: ensure_go, mod_field, gobuild -----------------------------------------------------------
# shellcheck source=offline-toolchain/lib/go.sh
source "$HERE/../lib/go.sh"

# Hash of our own Go sources under the given dirs and of every version pin (so a source or version
# change gives a new cache directory).
src_hash() {
  (cd "$HERE" && find "$@" -type f -name '*.go' -print0 | sort -z | xargs -0 cat
    printf '%s\n' "$PULUMI_VERSION" "$DOCKER_PROVIDER_VERSION" "$DOCKER_UPSTREAM_MODULE" \
      "$DOCKER_UPSTREAM_VERSION" "$TF_BRIDGE_VERSION" "$TF_PLUGIN_SDK_FORK_VERSION" "$PATCH_LEVEL") |
    sha256sum | cut -c1-10
}

# Run "$@" building into $dir atomically; skip if $dir/$bin exists.
component() {
  local dir="$1" bin="$2"
  shift 2
  if [[ -x "$dir/$bin" ]]; then
    log "cached: $dir/$bin"
    return 0
  fi
  local t0=$SECONDS
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  "$@" "$dir.tmp"
  [[ -x "$dir.tmp/$bin" ]] || die "build of $bin produced no binary"
  rm -rf "$dir"
  mv -T "$dir.tmp" "$dir"
  log "built $bin in $((SECONDS - t0))s"
}

# ---- 1. Pulumi CLI -----------------------------------------------------------------------------
build_pulumi_cli() {
  component "$CACHE/pulumi-v$PULUMI_VERSION" pulumi _build_pulumi_cli
}
_build_pulumi_cli() {
  local out="$1" work="$CACHE/work/pulumi-v$PULUMI_VERSION"
  log "building pulumi v$PULUMI_VERSION (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)..."
  rm -rf "$work" && mkdir -p "$work"
  # pkg/go.mod replaces sdk/v3 with ../sdk, so `go install pkg@version` cannot work: build it from a
  # wrapper module that requires pkg and sdk at the same version and repeats pkg's other replaces.
  local pkg_mod
  pkg_mod="$(mod_field GoMod "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION")"
  {
    printf 'module homelab.invalid/engine/pulumi-cli\n\ngo %s\n\n' "$GO_DIRECTIVE"
    printf 'require (\n\tgithub.com/pulumi/pulumi/pkg/v3 v%s\n\tgithub.com/pulumi/pulumi/sdk/v3 v%s\n)\n\n' \
      "$PULUMI_VERSION" "$PULUMI_VERSION"
    non_local_replaces "$pkg_mod"
  } >"$work/go.mod"
  (cd "$work" && gobuild -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  # The dynamic-provider launcher that Pulumi ships next to the CLI.
  local sdk_dir
  sdk_dir="$(mod_field Dir "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")"
  install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$out/pulumi-resource-pulumi-nodejs"
  rm -rf "$work"
}

# Print the replace directives of a go.mod whose target is a module version (not a local path).
non_local_replaces() {
  awk '
    /^replace[[:space:]]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock { line = $0 }
    !inblock && /^replace[[:space:]]/ { line = $0; sub(/^replace[[:space:]]+/, "", line) }
    line != "" {
      split(line, parts, "=>"); target = parts[2]; gsub(/^[[:space:]]+/, "", target)
      if (target !~ /^\./ && target !~ /^\//) print "replace " line
      line = ""
    }
  ' "$1"
}

# ---- 2. Node.js language host ------------------------------------------------------------------
build_langhost() {
  LANGHOST_DIR="$CACHE/nodejs-langhost-v$PULUMI_VERSION-$(src_hash nodejs-langhost)"
  component "$LANGHOST_DIR" pulumi-language-nodejs _build_langhost
}
_build_langhost() {
  local out="$1" work="$CACHE/work/nodejs-langhost"
  log "building pulumi-language-nodejs (nodejs-langhost/main.go, sdk/v3 v$PULUMI_VERSION)..."
  langhost_module "$work"
  (cd "$work" && gobuild -ldflags "-s -w -X main.Version=$PULUMI_VERSION" \
    -o "$out/pulumi-language-nodejs" .)
  rm -rf "$work"
}
# The language host's module in $1 (emptied first): our sources and a go.mod with the pinned SDK.
# Also used by ../check.sh.
langhost_module() {
  local work="$1"
  rm -rf "$work" && mkdir -p "$work"
  cp "$HERE"/nodejs-langhost/*.go "$work/"
  printf 'module homelab.invalid/engine/nodejs-langhost\n\ngo %s\n\nrequire github.com/pulumi/pulumi/sdk/v3 v%s\n' \
    "$GO_DIRECTIVE" "$PULUMI_VERSION" >"$work/go.mod"
}

# ---- 3. Docker provider ------------------------------------------------------------------------
build_docker_provider() {
  DOCKER_DIR="$CACHE/pulumi-resource-docker-v$DOCKER_PROVIDER_VERSION-$(src_hash docker)"
  component "$DOCKER_DIR" pulumi-resource-docker _build_docker_provider
}
_build_docker_provider() {
  local out="$1" work="$CACHE/work/docker"
  log "building pulumi-resource-docker v$DOCKER_PROVIDER_VERSION" \
    "($DOCKER_UPSTREAM_MODULE@$DOCKER_UPSTREAM_VERSION + pulumi-terraform-bridge $TF_BRIDGE_VERSION)..."
  docker_module "$work"
  (cd "$work" && gobuild -tags "$DOCKER_BUILD_TAGS" -o "$work/pulumi-tfgen-docker" ./cmd/pulumi-tfgen-docker)
  # Generate the Pulumi schema and the bridge metadata (mux table) that the provider embeds.
  (cd "$work/cmd/pulumi-resource-docker" &&
    PROVIDER_VERSION="$DOCKER_PROVIDER_VERSION" "$work/pulumi-tfgen-docker" schema --out . \
      --skip-docs --skip-examples >"$work/tfgen.log" 2>&1) ||
    { cat "$work/tfgen.log" >&2; die "schema generation failed"; }
  (cd "$work" && gobuild -tags "$DOCKER_BUILD_TAGS" -ldflags "-s -w -X main.Version=$DOCKER_PROVIDER_VERSION" \
    -o "$out/pulumi-resource-docker" ./cmd/pulumi-resource-docker)
  cp "$work/cmd/pulumi-resource-docker/schema.json" "$out/schema.json"
  rm -rf "$work"
}

# The Docker provider's module in $1 (emptied first): our sources (info, cmd, shim), the patched
# upstream provider and plugin-sdk fork, and a go.mod with the pinned versions. Also used by
# ../check.sh.
docker_module() {
  local work="$1"
  rm -rf "$work" && mkdir -p "$work"
  (cd "$HERE/docker" && cp -r info cmd shim "$work/")

  # Upstream Terraform provider: a local copy, because the bridge shim must live inside its import
  # path (Go's `internal` rule) and because one Pulumi patch is applied (see patch_docker_upstream).
  local up_dir
  up_dir="$(mod_field Dir "$DOCKER_UPSTREAM_MODULE@$DOCKER_UPSTREAM_VERSION")"
  cp -r "$up_dir" "$work/upstream" && chmod -R u+w "$work/upstream"
  patch_docker_upstream "$work/upstream"

  # Pulumi's terraform-plugin-sdk fork (required by the bridge), made to satisfy the newer
  # terraform-plugin-go that the upstream provider needs.
  local sdk_dir
  sdk_dir="$(mod_field Dir "$TF_PLUGIN_SDK_FORK_MODULE@$TF_PLUGIN_SDK_FORK_VERSION")"
  cp -r "$sdk_dir" "$work/tpsdk" && chmod -R u+w "$work/tpsdk"
  patch_plugin_sdk_fork "$work/tpsdk"

  cat >"$work/go.mod" <<EOF
module homelab.invalid/engine/docker

go $GO_DIRECTIVE

require (
	github.com/pulumi/pulumi-terraform-bridge/v3 $TF_BRIDGE_VERSION
	$DOCKER_UPSTREAM_PATH $DOCKER_UPSTREAM_VERSION
	$DOCKER_UPSTREAM_PATH/shim v0.0.0
)

replace (
	github.com/hashicorp/terraform-plugin-sdk/v2 => ./tpsdk
	$DOCKER_UPSTREAM_PATH => ./upstream
	$DOCKER_UPSTREAM_PATH/shim => ./shim
)
EOF
  printf 'module %s/shim\n\ngo %s\n\nrequire %s %s\n' \
    "$DOCKER_UPSTREAM_PATH" "$GO_DIRECTIVE" "$DOCKER_UPSTREAM_PATH" "$DOCKER_UPSTREAM_VERSION" >"$work/shim/go.mod"
}

# Pulumi's patch "Do not create empty TLS config for registry HTTP client" (pulumi-docker
# patches/): upstream sets an explicit empty tls.Config on http.DefaultClient for registry calls,
# which Docker Hub's CDN rejects (403) with Go >= 1.25. Used by RegistryImage and getRegistryImage.
patch_docker_upstream() {
  local f="$1/internal/provider/resource_docker_registry_image_funcs.go"
  perl -0pi -e 's{func buildHttpClientForRegistry\(registryAddressWithProtocol string, insecureSkipVerify bool\) \*http\.Client \{\n.*?\n\}\n}{func buildHttpClientForRegistry(registryAddressWithProtocol string, insecureSkipVerify bool) *http.Client {\n\tif insecureSkipVerify && strings.HasPrefix(registryAddressWithProtocol, "https://") {\n\t\treturn &http.Client{\n\t\t\tTransport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Proxy: http.ProxyFromEnvironment},\n\t\t}\n\t}\n\treturn http.DefaultClient\n}\n}s' "$f"
  grep -q 'return http.DefaultClient' "$f" || die "could not patch $f (upstream changed?)"
}

# terraform-plugin-go >= v0.31 (required by the upstream provider) added GenerateResourceConfig to
# tfprotov5.ProviderServer; the fork predates it. The bridge never calls it.
patch_plugin_sdk_fork() {
  local dir="$1/helper/schema"
  grep -q 'func (s \*GRPCProviderServer) GenerateResourceConfig' "$dir"/*.go && return 0
  cat >"$dir/zz_homelab_compat.go" <<'EOF'
package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig satisfies tfprotov5.ProviderServer of terraform-plugin-go >= v0.31.
func (s *GRPCProviderServer) GenerateResourceConfig(
	_ context.Context, _ *tfprotov5.GenerateResourceConfigRequest,
) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{Diagnostics: []*tfprotov5.Diagnostic{{
		Severity: tfprotov5.DiagnosticSeverityError,
		Summary:  "GenerateResourceConfig is not supported by this build",
	}}}, nil
}
EOF
}

# Run, unless sourced (../check.sh sources this file for its pins and module set-up).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
