# Go helpers the offline builds share (engine/build.sh, kubernetes/build.sh); sourced, never run.
# The caller defines log, die and CACHE (where `go mod download` runs).
# shellcheck shell=bash

# ---- Go ------------------------------------------------------------------------------------------
ensure_go() {
  [[ -n "${GO:-}" ]] && return 0
  if command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    die "Go is required (1.26.5 or later; none on PATH or in /usr/local/go/bin)"
  fi
  # shellcheck disable=SC2034 # read by the build scripts that source this
  GO_DIRECTIVE="$("$GO" env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+(\.[0-9]+)?).*/\1/')"
  export GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off CGO_ENABLED=0
  log "using $("$GO" version)"
}

# go mod download -json MODULE@VERSION, print one field (Dir or GoMod).
mod_field() {
  local field="$1" modver="$2" out
  out="$(cd "$CACHE" && "$GO" mod download -json "$modver")" || die "cannot download $modver"
  printf '%s\n' "$out" | sed -n "s/^[[:space:]]*\"$field\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n1
}

gobuild() {
  nice -n 10 "$GO" build -p 2 -trimpath "$@"
}

