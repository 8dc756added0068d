#!/usr/bin/env bash
# `npm run bench`: prints figures for the lab stack (see README "Benchmark"). Needs what the
# real-engine test needs (root, docker.io, busybox-static, the engine) plus docker-compose.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/node.sh
homelab_ensure_node_modules
command -v docker-compose >/dev/null || { echo "docker-compose is missing: apt-get install docker-compose" >&2; exit 1; }
source offline-toolchain/engine/env.sh
npx ts-node --transpile-only scripts/bench/evaluate.ts
npx ts-node --transpile-only scripts/bench/engine.ts
