#!/usr/bin/env bash
# `npm run bench`: prints the figures of README "Benchmark" in one run (scripts/bench/main.ts),
# with their targets beside them; asserts nothing. Needs what the real-engine test needs (root,
# docker.io, busybox-static, the engine) plus docker-compose, and openssh-server + iproute2 for the
# fleet part. Takes 10–16 minutes (the fleet part about 4). Beside other lab runs:
# `flock -o /tmp/homelab-lab.lock flock -o /tmp/homelab-fleet.lock npm run bench`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/node.sh
homelab_ensure_node_modules
command -v docker-compose >/dev/null || { echo "docker-compose is missing: apt-get install docker-compose" >&2; exit 1; }
source offline-toolchain/engine/env.sh
exec npx ts-node --transpile-only scripts/bench/main.ts "$@"
