#!/usr/bin/env bash
# Validates renovate.json as repository config with Renovate's own validator; --strict also fails on
# options Renovate would migrate. Renovate is large (about 540 MB installed) and not a dependency of
# this project: npx fetches the pinned version into a cache outside the repository and reuses it.
#   bash scripts/renovate-validate.sh
# Pinned to the newest release that runs on Node.js 22 (.nvmrc): Renovate 43 and later need Node 24.11+.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/node.sh

renovate_version=42.99.0
export npm_config_cache="${HOMELAB_CACHE:-$HOME/.cache/homelab}/renovate-npm"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false LOG_LEVEL="${LOG_LEVEL:-warn}"

npx --yes --package "renovate@$renovate_version" renovate-config-validator --strict --no-global renovate.json
