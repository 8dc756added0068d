# shellcheck shell=bash
# Source this file (bash): builds or reuses the Pulumi engine (offline-toolchain/engine/build.sh)
# and sets up the environment to run it offline:
#
#   source offline-toolchain/engine/env.sh
#
# - puts the engine bin dir first on PATH
# - PULUMI_SKIP_UPDATE_CHECK=true, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true (no downloads)
# - PULUMI_HOME: kept if already set; otherwise $HOMELAB_ENGINE_CACHE/pulumi-home, so a run does
#   not read or write ~/.pulumi (set PULUMI_HOME=~/.pulumi before sourcing to use your own).
# - the providers we build are installed as plugins of their exact version in $PULUMI_HOME
#   (HOMELAB_ENGINE_PROVIDERS=home, see build.sh), so the engine prints no "from $PATH" warning.
# Returns non-zero (without exiting the shell) if the build fails.

_homelab_engine_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PULUMI_HOME="${PULUMI_HOME:-${HOMELAB_ENGINE_CACHE:-$HOME/.cache/homelab-engine}/pulumi-home}"
mkdir -p "$PULUMI_HOME"
if _homelab_engine_bin="$(HOMELAB_ENGINE_PROVIDERS="${HOMELAB_ENGINE_PROVIDERS:-home}" \
  bash "$_homelab_engine_dir/build.sh" | tail -n 1)" && [ -d "$_homelab_engine_bin" ]; then
  case ":$PATH:" in
    *":$_homelab_engine_bin:"*) ;;
    *) export PATH="$_homelab_engine_bin:$PATH" ;;
  esac
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export HOMELAB_ENGINE_BIN="$_homelab_engine_bin"
  unset _homelab_engine_dir _homelab_engine_bin
else
  echo "[engine] error: could not build the Pulumi engine (see messages above)" >&2
  unset _homelab_engine_dir _homelab_engine_bin
  # shellcheck disable=SC2317 # exit only when executed instead of sourced
  return 1 2>/dev/null || exit 1
fi
