#!/usr/bin/env bash
# Builds, from the Go module proxy only, what a real-engine test of Kubernetes resources needs:
#
#   bin="$(bash offline-toolchain/kubernetes/build.sh)"
#
# Prints ONE line on stdout: a directory holding
#   pulumi-resource-kubernetes   the Pulumi Kubernetes provider (github.com/pulumi/pulumi-kubernetes)
#   kube-apiserver               from k8s.io/kubernetes, its staging modules pinned to the release
#   kube-controller-manager      same module graph (garbage collector, namespace, deployment and
#                                replicaset controllers: without it `destroy` never finishes, see
#                                README.md)
#   kine                         github.com/k3s-io/kine: the etcd API on SQLite (what k3s uses)
# Everything else (progress, timings) goes to stderr. No kubelet, scheduler or container runtime is
# built: pods are created and stay Pending (README.md says what that does and does not prove).
#
# Cache: ${HOMELAB_ENGINE_CACHE:-$HOME/.cache/homelab-engine} (the engine's), one directory per
# component named <component>-<version>-<key>, where key = a hash of every pin below and of this
# script, reused when its binaries are present. GOCACHE/GOMODCACHE are Go's defaults (outside the
# repository). Each component is built in a throwaway module under $CACHE/work (never in the
# repository), deleted afterwards.
#
# HOMELAB_ENGINE_PROVIDERS=home (what engine/env.sh sets) also installs the provider as plugin
# resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION in ${PULUMI_HOME:-~/.pulumi}/plugins with the
# `pulumi` on PATH, so the engine uses it without the "using pulumi-resource-kubernetes from $PATH"
# warning (and without a download: PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true).
#
# Versions, as checked against the module proxy this project can reach (see README.md):
#  * github.com/pulumi/pulumi-kubernetes/provider/v4 is served at one pseudo-version only,
#    v4.0.0-20260115033456-f47bc2d6f199: master 37 hours before the v4.25.0 tag (the sdk/v4
#    v4.25.0 tag is 2026-01-16T18:15Z). The npm SDKs 4.24.1 and 4.25.0 are identical but for
#    their version, and 4.26.0 is the first with resource.k8s.io/v1 (GA in Kubernetes 1.34), which this
#    provider's schema does not have. So it is built as 4.25.0 (-ldflags on pkg/version.Version,
#    which the provider reports and writes into its schema), and package.json pins
#    @pulumi/kubernetes 4.25.0. Its go.mod replaces sdk/v4 with ../sdk (not in the module zip):
#    the wrapper module requires the sdk/v4 v4.25.0 tag instead.
#  * k8s.io/kubernetes v1.37.2, the newest served; its go.mod replaces every k8s.io staging module
#    with ./staging/src/..., so the wrapper module replaces each with its published v0.37.2.
#  * github.com/k3s-io/kine v0.17.5, the newest served (itself on k8s.io/* v0.37). Built without
#    cgo: SQLite is then modernc.org/sqlite (pure Go), so no C compiler is needed.
set -euo pipefail

# ---- versions: the single source of truth ------------------------------------------------------
KUBERNETES_PROVIDER_VERSION=4.25.0 # what the plugin reports = the @pulumi/kubernetes npm pin
KUBERNETES_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
KUBERNETES_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
KUBERNETES_SDK_MODULE=github.com/pulumi/pulumi-kubernetes/sdk/v4
KUBERNETES_SDK_MODULE_VERSION=v4.25.0
KUBERNETES_VERSION=1.37.2 # kube-apiserver, kube-controller-manager (staging modules: v0.37.2)
KINE_VERSION=0.17.5

CACHE="${HOMELAB_ENGINE_CACHE:-$HOME/.cache/homelab-engine}"
PROVIDERS_MODE="${HOMELAB_ENGINE_PROVIDERS:-path}"
PULUMI_HOME_DIR="${PULUMI_HOME:-$HOME/.pulumi}"
MARKER=.homelab-engine # marks a plugin directory that this project installed (as engine/build.sh)

log() { printf '[kubernetes] %s\n' "$*" >&2; }
die() {
  printf '[kubernetes] error: %s\n' "$*" >&2
  exit 1
}

main() {
  [[ "$PROVIDERS_MODE" == path || "$PROVIDERS_MODE" == home ]] ||
    die "HOMELAB_ENGINE_PROVIDERS must be 'path' or 'home'"
  mkdir -p "$CACHE"
  CACHE="$(cd "$CACHE" && pwd -P)"
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$CACHE/.lock-kubernetes"
    flock 8
  fi
  local t_start=$SECONDS key
  key="$(cache_key)"

  PROVIDER_DIR="$CACHE/pulumi-resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION-$key"
  CLUSTER_DIR="$CACHE/kubernetes-v$KUBERNETES_VERSION-$key"
  KINE_DIR="$CACHE/kine-v$KINE_VERSION-$key"
  component "$PROVIDER_DIR" pulumi-resource-kubernetes _build_provider
  component "$CLUSTER_DIR" kube-controller-manager _build_cluster
  component "$KINE_DIR" kine _build_kine

  local bindir="$CACHE/kubernetes-bin-$key"
  if [[ ! -d "$bindir" ]]; then
    local tmp="$bindir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    ln "$PROVIDER_DIR/pulumi-resource-kubernetes" "$tmp/"
    ln "$CLUSTER_DIR/kube-apiserver" "$CLUSTER_DIR/kube-controller-manager" "$tmp/"
    ln "$KINE_DIR/kine" "$tmp/"
    mv -T "$tmp" "$bindir"
  fi
  if [[ "$PROVIDERS_MODE" == home ]]; then
    install_plugin "$bindir/pulumi-resource-kubernetes"
  fi
  rmdir "$CACHE/work" 2>/dev/null || true
  log "ready in $((SECONDS - t_start))s: $bindir"
  printf '%s\n' "$bindir"
}

# Every pin and the code of every function that builds (as bash prints it: comments and layout do
# not count): a change to either gives new cache directories.
cache_key() {
  {
    printf '%s\n' "$KUBERNETES_PROVIDER_VERSION" "$KUBERNETES_PROVIDER_MODULE" \
      "$KUBERNETES_PROVIDER_MODULE_VERSION" "$KUBERNETES_SDK_MODULE" "$KUBERNETES_SDK_MODULE_VERSION" \
      "$KUBERNETES_VERSION" "$KINE_VERSION"
    declare -f ensure_go mod_field gobuild _build_provider _build_cluster _build_kine
  } | sha256sum | cut -c1-10
}

# ---- Go: ensure_go, mod_field, gobuild -----------------------------------------------------------
# shellcheck source=offline-toolchain/lib/go.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/go.sh"

# Run "$@ <tmpdir>" to build into $dir atomically; skip if $dir/$bin exists. Prints the wall time
# and the CPU time (user+sys of the build's processes) of the build.
component() {
  local dir="$1" bin="$2"
  shift 2
  if [[ -x "$dir/$bin" ]]; then
    log "cached: $dir"
    return 0
  fi
  ensure_go
  local t0=$SECONDS cpu0
  children_cpu
  cpu0=$CPU_NOW
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  "$@" "$dir.tmp"
  [[ -x "$dir.tmp/$bin" ]] || die "build of $bin produced no binary"
  rm -rf "$dir"
  mv -T "$dir.tmp" "$dir"
  children_cpu
  log "built $(basename "$dir") in $((SECONDS - t0))s wall, $((CPU_NOW - cpu0))s CPU"
}

# CPU_NOW = CPU seconds (user+sys) used so far by this shell's finished children (and theirs).
# `times` runs in this shell (a command substitution would be a fresh process with no children).
children_cpu() {
  local f="$CACHE/.times.$$"
  times >"$f" # line 2: "<m>m<s>s <m>m<s>s", user and sys of the children
  CPU_NOW="$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); n += a[1] * 60 + a[2] } printf "%d\n", n }' "$f")"
  rm -f "$f"
}

# ---- 1. the Pulumi Kubernetes provider ---------------------------------------------------------
_build_provider() {
  local out="$1" work="$CACHE/work/kubernetes-provider"
  log "building pulumi-resource-kubernetes v$KUBERNETES_PROVIDER_VERSION" \
    "($KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_MODULE_VERSION)..."
  rm -rf "$work" && mkdir -p "$work"
  # The provider's own command (main.go, the committed schema.json and terraform-mapping.json, and
  # generate.go, which writes the versioned schema-embed.json the binary embeds) as the main package
  # of a wrapper module.
  local up
  up="$(mod_field Dir "$KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_MODULE_VERSION")"
  [[ -n "$up" ]] || die "cannot download $KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_MODULE_VERSION"
  cp "$up"/cmd/pulumi-resource-kubernetes/{main.go,generate.go,schema.json,terraform-mapping.json} "$work/"
  chmod u+w "$work"/*
  cat >"$work/go.mod" <<EOF
module homelab.invalid/kubernetes/provider

go $GO_DIRECTIVE

require (
	$KUBERNETES_PROVIDER_MODULE $KUBERNETES_PROVIDER_MODULE_VERSION
	$KUBERNETES_SDK_MODULE $KUBERNETES_SDK_MODULE_VERSION
)
EOF
  (cd "$work" && "$GO" mod tidy 2>"$work/tidy.log") || {
    cat "$work/tidy.log" >&2
    die "go mod tidy failed for the provider"
  }
  (cd "$work" && VERSION="$KUBERNETES_PROVIDER_VERSION" "$GO" run generate.go) || die "generate.go failed"
  (cd "$work" && gobuild \
    -ldflags "-s -w -X $KUBERNETES_PROVIDER_MODULE/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
    -o "$out/pulumi-resource-kubernetes" .)
  local reported
  reported="$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$work/schema-embed.json" | head -c 40)"
  [[ "$reported" == "$KUBERNETES_PROVIDER_VERSION"* ]] || die "schema-embed.json has version '$reported'"
  rm -rf "$work"
}

# ---- 2. kube-apiserver and kube-controller-manager --------------------------------------------
_build_cluster() {
  local out="$1" work="$CACHE/work/kubernetes"
  log "building kube-apiserver, kube-controller-manager v$KUBERNETES_VERSION (k8s.io/kubernetes)..."
  rm -rf "$work" && mkdir -p "$work"
  local k_mod staging="v0.${KUBERNETES_VERSION#1.}"
  k_mod="$(mod_field GoMod "k8s.io/kubernetes@v$KUBERNETES_VERSION")"
  [[ -n "$k_mod" ]] || die "cannot download k8s.io/kubernetes@v$KUBERNETES_VERSION"
  {
    printf 'module homelab.invalid/kubernetes/cluster\n\ngo %s\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' \
      "$GO_DIRECTIVE" "$KUBERNETES_VERSION"
    # k8s.io/X => ./staging/src/k8s.io/X  becomes  k8s.io/X => k8s.io/X v0.<minor>.<patch>
    sed -n '/^replace (/,/^)/p' "$k_mod" |
      awk -v v="$staging" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }'
    printf ')\n'
  } >"$work/go.mod"
  grep -q 'k8s.io/apiserver => k8s.io/apiserver' "$work/go.mod" || die "no staging replaces in $k_mod"
  printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n)\n' \
    >"$work/tools.go" # only so that `go mod tidy` keeps both commands' dependencies
  (cd "$work" && "$GO" mod tidy 2>"$work/tidy.log") || {
    cat "$work/tidy.log" >&2
    die "go mod tidy failed for k8s.io/kubernetes"
  }
  local minor="${KUBERNETES_VERSION#1.}"
  minor="${minor%%.*}"
  local ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
  local cmd t0
  for cmd in kube-apiserver kube-controller-manager; do
    t0=$SECONDS
    (cd "$work" && gobuild -ldflags "$ldflags" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd")
    log "  $cmd: $((SECONDS - t0))s"
  done
  rm -rf "$work"
}

# ---- 3. kine -------------------------------------------------------------------------------------
_build_kine() {
  local out="$1" work="$CACHE/work/kine"
  log "building kine v$KINE_VERSION (github.com/k3s-io/kine, SQLite = modernc.org/sqlite)..."
  rm -rf "$work" && mkdir -p "$work"
  printf 'module homelab.invalid/kubernetes/kine\n\ngo %s\n\nrequire github.com/k3s-io/kine v%s\n' \
    "$GO_DIRECTIVE" "$KINE_VERSION" >"$work/go.mod"
  printf 'package tools\n\nimport _ "github.com/k3s-io/kine"\n' >"$work/tools.go"
  (cd "$work" && "$GO" mod tidy 2>"$work/tidy.log") || {
    cat "$work/tidy.log" >&2
    die "go mod tidy failed for kine"
  }
  (cd "$work" && gobuild -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=v$KINE_VERSION" \
    -o "$out/kine" github.com/k3s-io/kine)
  rm -rf "$work"
}

# ---- plugin install (home mode) ------------------------------------------------------------------
install_plugin() {
  local bin="$1" pulumi dir="$PULUMI_HOME_DIR/plugins/resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION"
  if [[ -x "$dir/pulumi-resource-kubernetes" && -e "$dir/$MARKER" ]] && cmp -s "$bin" "$dir/pulumi-resource-kubernetes"; then
    return 0
  fi
  if [[ -x "$dir/pulumi-resource-kubernetes" && ! -e "$dir/$MARKER" ]]; then
    log "pulumi-resource-kubernetes v$KUBERNETES_PROVIDER_VERSION is already installed in $dir (not ours): left as it is"
    return 0
  fi
  pulumi="$(command -v pulumi)" || die "HOMELAB_ENGINE_PROVIDERS=home needs pulumi on PATH (source engine/env.sh first)"
  log "installing pulumi-resource-kubernetes v$KUBERNETES_PROVIDER_VERSION into $PULUMI_HOME_DIR/plugins"
  PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true \
    "$pulumi" plugin install resource kubernetes "$KUBERNETES_PROVIDER_VERSION" --file "$bin" --reinstall >&2
  printf '%s\n' "$bin" >"$dir/$MARKER"
}

# Run, unless sourced (for its pins).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
