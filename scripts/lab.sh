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
# shellcheck source=scripts/lib/local-stack.sh
source scripts/lib/local-stack.sh
# shellcheck disable=SC2086 # one key per word
homelab_local_stack lab "$lab_dir/state" "$config" $missing_secrets
homelab_local_run lab "$config" "$action" "$@"
