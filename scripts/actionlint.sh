#!/usr/bin/env bash
# Validates the GitHub workflows with actionlint (and shellcheck on their `run:` scripts when it is
# installed). actionlint is built from the Go module proxy at a pinned version into a cache outside
# the repository, so a fresh machine needs only Go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

actionlint_version="v1.7.12"
cache="${HOMELAB_CACHE:-$HOME/.cache/homelab}/actionlint-$actionlint_version"
actionlint="$cache/actionlint"

if [ ! -x "$actionlint" ]; then
  go_bin="$(command -v go || true)"
  [ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
  if [ -z "$go_bin" ]; then
    echo "actionlint: Go is needed to build actionlint $actionlint_version (none on PATH or in /usr/local/go)" >&2
    exit 1
  fi
  echo "actionlint: building $actionlint_version into $cache" >&2
  mkdir -p "$cache"
  GOBIN="$cache" GOFLAGS=-buildvcs=false "$go_bin" install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "actionlint: no workflow files under .github/workflows" >&2
  exit 1
fi
# The workflows run on the LAN's self-hosted runner, which carries this custom label (README).
config="$(mktemp)"
trap 'rm -f "$config"' EXIT
printf 'self-hosted-runner:\n  labels: [homelab]\n' >"$config"
"$actionlint" -no-color -config-file "$config" "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflow files passed"
