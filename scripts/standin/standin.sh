#!/bin/sh
# Stand-in for every catalog image in offline tests: serves 200 on the service's health path and
# port (STANDIN_PORT, STANDIN_PATH), so healthchecks, Traefik routes and readiness behave as with
# the real image. `probe` is every healthcheck binary the catalog names (curl, pg_isready, ...).
set -eu
port="${STANDIN_PORT:-8080}"
path="${STANDIN_PATH:-/}"
www=/tmp/www
mkdir -p "$www$path"
printf 'standin %s\n' "${HOSTNAME:-}" >"$www$path/index.html"
case "$path" in
  */) ;;
  *) rmdir "$www$path" 2>/dev/null || true; rm -rf "$www$path"; mkdir -p "$(dirname "$www$path")"
     printf 'standin %s\n' "${HOSTNAME:-}" >"$www$path" ;;
esac
[ -f "$www/index.html" ] || printf 'standin\n' >"$www/index.html"
exec httpd -f -p "$port" -h "$www"
