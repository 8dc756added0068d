#!/bin/sh
# Stand-in for every catalog image in offline tests: serves 200 on the service's health path and
# port (STANDIN_PORT, STANDIN_PATH, plus any STANDIN_EXTRA_PATHS, space-separated), so
# healthchecks, Traefik routes and forward-auth behave as with the real image. `probe` is every
# healthcheck binary the catalog names (curl, pg_isready, ...).
set -eu
port="${STANDIN_PORT:-8080}"
www=/tmp/www

serve() {
  case "$1" in
    */) mkdir -p "$www$1" && printf 'standin %s\n' "$(hostname 2>/dev/null || echo standin)" >"$www$1/index.html" ;;
    *) mkdir -p "$(dirname "$www$1")" && printf 'standin %s\n' "$(hostname 2>/dev/null || echo standin)" >"$www$1" ;;
  esac
}

mkdir -p "$www"
serve /
serve "${STANDIN_PATH:-/}"
for extra in ${STANDIN_EXTRA_PATHS:-}; do serve "$extra"; done
exec httpd -f -p "$port" -h "$www"
