# A stack kept on this machine (the lab, the fleet lab): a local file backend, throwaway secrets in
# a working copy of its config file, never in the committed one. Sourced by scripts/lab.sh and
# scripts/fleet.sh after offline-toolchain/engine/env.sh.
# shellcheck shell=bash

# homelab_local_stack STACK STATE_DIR CONFIG MISSING_SECRET_KEYS...: selects (or creates) the stack
# with its state under STATE_DIR and gives each missing secret a random value in CONFIG.
homelab_local_stack() {
  local stack="$1" state="$2" config="$3" committed_copy key
  shift 3
  mkdir -p "$state"
  export PULUMI_BACKEND_URL="file://$state"
  # Protects only the stack's own throwaway secrets, kept beside its state (git-ignored).
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-homelab-$stack}"
  # stack init may write a salt into the committed Pulumi.<stack>.yaml; the salt lives in CONFIG.
  committed_copy="$(mktemp)"
  cp "Pulumi.$stack.yaml" "$committed_copy"
  pulumi stack select "$stack" --create --secrets-provider passphrase --non-interactive >/dev/null 2>&1 ||
    pulumi stack select "$stack" --non-interactive >/dev/null
  cp "$committed_copy" "Pulumi.$stack.yaml" && rm -f "$committed_copy"
  for key in "$@"; do
    pulumi config set --secret --config-file "$config" --stack "$stack" "homelab:$key" \
      "$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')" >/dev/null
  done
}

# homelab_local_run STACK CONFIG ACTION [pulumi arguments...]
homelab_local_run() {
  local stack="$1" config="$2" action="$3"
  shift 3
  case "$action" in
    up | refresh | destroy) exec pulumi "$action" --stack "$stack" --config-file "$config" --yes --non-interactive "$@" ;;
    preview) exec pulumi preview --stack "$stack" --config-file "$config" --diff --non-interactive "$@" ;;
    output) exec pulumi stack output --stack "$stack" --json "$@" ;;
    *) echo "usage: scripts/$stack.sh up|preview|refresh|destroy|output" >&2; exit 2 ;;
  esac
}
