# Sourced, not run: puts Node.js 22 first on PATH whatever the machine ships, and defines
# homelab_ensure_node_modules.
# The version is the one in .nvmrc; the binary comes from the npm registry's `node`
# package into a cache outside the repository, so a fresh machine needs only npm.
homelab_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
homelab_node_version="$(tr -d ' \n' <"$homelab_root/.nvmrc")"
homelab_cache="${HOMELAB_CACHE:-$HOME/.cache/homelab}"

# Any 22.x already on PATH is fine; otherwise the pinned one from .nvmrc.
case "$(node --version 2>/dev/null)" in
  v22.*) ;;
  *)
    homelab_node_dir="$homelab_cache/node-$homelab_node_version"
    if [ ! -x "$homelab_node_dir/node_modules/node/bin/node" ]; then
      echo "homelab: installing Node.js $homelab_node_version into $homelab_node_dir" >&2
      npm install --prefix "$homelab_node_dir" --no-save --no-audit --no-fund --loglevel=error \
        "node@$homelab_node_version" >&2
    fi
    export PATH="$homelab_node_dir/node_modules/node/bin:$PATH"
    ;;
esac

# Installs node_modules from the lock file when it is missing or older than the lock file. A
# linked node_modules (a test's copy of the project) belongs to another checkout: `npm ci` would
# empty the link's target, so it is never reinstalled from here.
# patches/ are applied explicitly: npm may be configured with ignore-scripts (this machine's is),
# which skips the postinstall hook; patch-package leaves an applied patch as it is.
homelab_ensure_node_modules() {
  if [ -L node_modules ]; then return 0; fi
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci
  fi
  npx --no-install patch-package >/dev/null
}
