#!/usr/bin/env bash
# The fleet lab: production's four hosts on this machine (offline-toolchain/fleet/: a network
# namespace, Docker engine and sshd each, on 10.77.0.0/24), and the fleet stack converged on them
# over SSH exactly as prod is. Root only. State and throwaway secrets in .fleet/ (git-ignored).
#   scripts/fleet.sh up | preview | refresh | destroy | output | down   [extra pulumi arguments]
# Every service runs from the local stand-in image (Traefik from its own build): no registry here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
action="${1:-up}"
shift || true
# Pulumi.fleet.yaml's paths are below this directory.
work=/var/tmp/homelab-fleet

if [ "$action" = down ]; then
  exec bash offline-toolchain/fleet/fleet.sh down "$work"
fi

source scripts/lib/node.sh
homelab_ensure_node_modules
mkdir -p "$work" && chmod 0711 "$work"
bash offline-toolchain/fleet/fleet.sh up "$work" >/dev/null
export PATH="$work/bin:$PATH"   # its ssh finds the fleet's deploy key and known_hosts

fleet_dir="${HOMELAB_FLEET_STATE:-$PWD/.fleet}"
config="$fleet_dir/Pulumi.fleet.yaml"
mkdir -p "$fleet_dir/state"
if [ "$action" = up ]; then
  standin=homelab-standin:fleet
  traefik="$(npx ts-node --transpile-only -e 'import { catalog } from "./catalog"; import { imageRef } from "./catalog/types";
    import { roles } from "./topology"; const t = catalog.find((e) => e.name === roles.ingress); if (t) console.log(imageRef(t.image));')"
  # The stand-in's variants that declare the real images' VOLUMEs, listed once for the four engines.
  variants="$(npx ts-node --transpile-only offline-toolchain/standin/variants.ts "$standin")"
  for socket in "$work"/hosts/*/docker.sock; do
    DOCKER_HOST="unix://$socket" STANDIN_VARIANTS="$variants" bash offline-toolchain/standin/build.sh "$standin" >/dev/null
  done
  DOCKER_HOST="unix://$work/hosts/docker-prod-01/docker.sock" bash offline-toolchain/traefik/build.sh "$traefik" >/dev/null
fi

source offline-toolchain/engine/env.sh
missing_secrets="$(npx ts-node --transpile-only scripts/fleet-config.ts "$config" homelab-standin:fleet)"
# shellcheck source=scripts/lib/local-stack.sh
source scripts/lib/local-stack.sh
# shellcheck disable=SC2086 # one key per word
homelab_local_stack fleet "$fleet_dir/state" "$config" $missing_secrets
homelab_local_run fleet "$config" "$action" "$@"
