#!/usr/bin/env bash
# The lab stack on this machine's Docker engine, with a local file state backend in .lab/.
#   scripts/lab.sh up | preview | refresh | destroy | output   [extra pulumi arguments]
# DOCKER_HOST=unix:///... points every lab host at another local engine. HOMELAB_OFFLINE_IMAGE=<tag>
# runs every service from a local stand-in image (offline machines; see offline-toolchain/standin/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
action="${1:-up}"
shift || true

source scripts/lib/node.sh
homelab_ensure_node_modules
lab_dir="${HOMELAB_LAB_DIR:-$PWD/.lab}"
config="$lab_dir/Pulumi.lab.yaml"
# The lab's config file, and the engine (and images, before up) checked before Pulumi runs: a
# missing engine is one line of advice, not a half-made stack.
missing_secrets="$(npx ts-node --transpile-only scripts/lab-config.ts "$config" "$action")"

source offline-toolchain/engine/env.sh
mkdir -p "$lab_dir/state"
export PULUMI_BACKEND_URL="file://$lab_dir/state"
# Protects only the lab's own throwaway secrets, generated below and kept in .lab/ (git-ignored).
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-homelab-lab}"

# stack init may write a salt into the committed Pulumi.lab.yaml; the salt lives in the working copy.
committed_copy="$(mktemp)"
cp Pulumi.lab.yaml "$committed_copy"
pulumi stack select lab --create --secrets-provider passphrase --non-interactive >/dev/null 2>&1 ||
  pulumi stack select lab --non-interactive >/dev/null
cp "$committed_copy" Pulumi.lab.yaml && rm -f "$committed_copy"

for key in $missing_secrets; do
  pulumi config set --secret --config-file "$config" --stack lab "homelab:$key" \
    "$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')" >/dev/null
done

case "$action" in
  up | refresh | destroy) exec pulumi "$action" --stack lab --config-file "$config" --yes --non-interactive "$@" ;;
  preview) exec pulumi preview --stack lab --config-file "$config" --diff --non-interactive "$@" ;;
  output) exec pulumi stack output --stack lab --json "$@" ;;
  *) echo "usage: scripts/lab.sh up|preview|refresh|destroy|output" >&2; exit 2 ;;
esac
