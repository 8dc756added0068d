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
# - the Kubernetes toolchain (offline-toolchain/kubernetes/build.sh: the provider, installed as
#   plugin resource-kubernetes-v4.25.0 the same way, and kube-apiserver, kube-controller-manager,
#   kine), only with HOMELAB_KUBERNETES=build (the test command sets it): built or reused,
#   HOMELAB_K8S_BIN = its bin dir. About 15 minutes once on 2 cores, then instant. Without it
#   (the lab and fleet scripts, the bench) there is no Kubernetes plugin and no HOMELAB_K8S_BIN.
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
  unset _homelab_engine_bin
  # The Kubernetes provider (plugin resource-kubernetes-v4.25.0, installed like the Docker one) and
  # the API server the Kubernetes real-engine test starts: offline-toolchain/kubernetes/build.sh.
  if [ "${HOMELAB_KUBERNETES:-skip}" = "build" ]; then
    if _homelab_k8s_bin="$(HOMELAB_ENGINE_PROVIDERS="${HOMELAB_ENGINE_PROVIDERS:-home}" \
      bash "$_homelab_engine_dir/../kubernetes/build.sh" | tail -n 1)" && [ -d "$_homelab_k8s_bin" ]; then
      export HOMELAB_K8S_BIN="$_homelab_k8s_bin"
      # path mode: the provider from PATH, as engine/build.sh does with the Docker one.
      if [ "${HOMELAB_ENGINE_PROVIDERS:-home}" = "path" ]; then
        case ":$PATH:" in
          *":$_homelab_k8s_bin:"*) ;;
          *) export PATH="$PATH:$_homelab_k8s_bin" ;;
        esac
      fi
      unset _homelab_k8s_bin
    else
      echo "[engine] error: could not build the Kubernetes toolchain (see messages above; without HOMELAB_KUBERNETES=build it is left out)" >&2
      unset _homelab_engine_dir _homelab_k8s_bin
      # shellcheck disable=SC2317 # exit only when executed instead of sourced
      return 1 2>/dev/null || exit 1
    fi
  fi
  unset _homelab_engine_dir
else
  echo "[engine] error: could not build the Pulumi engine (see messages above)" >&2
  unset _homelab_engine_dir _homelab_engine_bin
  # shellcheck disable=SC2317 # exit only when executed instead of sourced
  return 1 2>/dev/null || exit 1
fi
