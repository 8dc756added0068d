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
  for socket in "$work"/hosts/*/docker.sock; do
    DOCKER_HOST="unix://$socket" bash offline-toolchain/standin/build.sh "$standin" >/dev/null
  done
  DOCKER_HOST="unix://$work/hosts/docker-prod-01/docker.sock" bash offline-toolchain/traefik/build.sh "$traefik" >/dev/null
fi

source offline-toolchain/engine/env.sh
export PULUMI_BACKEND_URL="file://$fleet_dir/state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-homelab-fleet}"
missing_secrets="$(npx ts-node --transpile-only scripts/fleet-config.ts "$config" homelab-standin:fleet)"
# stack init may write a salt into the committed Pulumi.fleet.yaml; the salt lives in the working copy.
committed_copy="$(mktemp)"
cp Pulumi.fleet.yaml "$committed_copy"
pulumi stack select fleet --create --secrets-provider passphrase --non-interactive >/dev/null 2>&1 ||
  pulumi stack select fleet --non-interactive >/dev/null
cp "$committed_copy" Pulumi.fleet.yaml && rm -f "$committed_copy"
for key in $missing_secrets; do
  pulumi config set --secret --config-file "$config" --stack fleet "homelab:$key" \
    "$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')" >/dev/null
done

case "$action" in
  up | refresh | destroy) exec pulumi "$action" --stack fleet --config-file "$config" --yes --non-interactive "$@" ;;
  preview) exec pulumi preview --stack fleet --config-file "$config" --diff --non-interactive "$@" ;;
  output) exec pulumi stack output --stack fleet --json "$@" ;;
  *) echo "usage: scripts/fleet.sh up|preview|refresh|destroy|output|down" >&2; exit 2 ;;
esac
