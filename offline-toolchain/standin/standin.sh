#!/bin/sh
# Stand-in for every catalog image in offline tests: serves 200 on the service's health path and
# port (STANDIN_PORT, STANDIN_PATH, plus any STANDIN_EXTRA_PATHS, space-separated), so
# healthchecks, Traefik routes and forward-auth behave as with the real image. `probe` is every
# healthcheck binary the catalog names (curl, pg_isready, ...).
#
# First, every data mount must be the NAS's share: each path in STANDIN_SENTINEL (the NAS's
# sentinel, .homelab-nas, in each data mount; hosts/nas-sentinel.ts) must exist. Where one is
# missing the data mount is some host's local directory (an NFS mount that did not come up): the
# stand-in says so, writes nothing anywhere and never answers its health path (unhealthy).
# Then it checks what the real service would need on a real host, as the user the
# service writes files as (the container's user, or STANDIN_WRITE_AS=uid:gid for images that start
# as root and drop to PUID/PGID, as linuxserver's do):
# - every writable mount in STANDIN_WRITABLE takes a file (.homelab-marker-<service>);
# - with STANDIN_HARDLINK="<downloads> <library>", a file created under the first is hardlinked
#   into the second (an import), which fails across two mounts (EXDEV).
# A failed check leaves the health path unanswered, so the container turns unhealthy.
set -eu
port="${STANDIN_PORT:-8080}"
service="${STANDIN_SERVICE:-standin}"
www=/tmp/www

serve() {
  case "$1" in
    */) mkdir -p "$www$1" && printf 'standin %s\n' "$(hostname 2>/dev/null || echo standin)" >"$www$1/index.html" ;;
    *) mkdir -p "$(dirname "$www$1")" && printf 'standin %s\n' "$(hostname 2>/dev/null || echo standin)" >"$www$1" ;;
  esac
}

# Runs a shell command (with arguments $1...) as the user the service writes files as.
if [ "$(id -u)" = 0 ] && [ -n "${STANDIN_WRITE_AS:-}" ]; then
  printf 'service:x:%s:%s::/:/bin/sh\n' "${STANDIN_WRITE_AS%:*}" "${STANDIN_WRITE_AS#*:}" >>/etc/passwd
  printf 'service:x:%s:\n' "${STANDIN_WRITE_AS#*:}" >>/etc/group
  as_service() { script=$1 && shift && su -s /bin/sh service -c "$script" "$@"; }
else
  as_service() { script=$1 && shift && sh -c "$script" "$@"; }
fi

failed=""
for sentinel in ${STANDIN_SENTINEL:-}; do
  if [ ! -e "$sentinel" ]; then
    echo "standin: $service: ${sentinel%/*} is not the NAS's share (no ${sentinel##*/}): refusing to start" >&2
    failed="$failed sentinel:${sentinel%/*}"
  fi
done
if [ -n "$failed" ]; then
  # Nothing is written: not into the data mounts (the wrong disk), nor anywhere else.
  STANDIN_WRITABLE="" STANDIN_HARDLINK=""
fi
for dir in ${STANDIN_WRITABLE:-}; do
  # shellcheck disable=SC2016 # expanded by the inner shell
  if ! as_service 'printf "%s\n" "$2" >"$1/.homelab-marker-$2"' marker "$dir" "$service"; then
    echo "standin: $service cannot write $dir as $(as_service 'id -u'):$(as_service 'id -g')" >&2
    failed="$failed write:$dir"
  fi
done
if [ -n "${STANDIN_HARDLINK:-}" ]; then
  # shellcheck disable=SC2086 # two paths, split on purpose
  set -- $STANDIN_HARDLINK
  # shellcheck disable=SC2016 # expanded by the inner shell
  if ! as_service 'mkdir -p "$1/.homelab-link" "$2/.homelab-link" &&
      printf "%s\n" "$3" >"$1/.homelab-link/$3" && ln -f "$1/.homelab-link/$3" "$2/.homelab-link/$3"' \
      link "$1" "$2" "$service"; then
    echo "standin: $service cannot hardlink from $1 into $2" >&2
    failed="$failed hardlink"
  fi
fi

mkdir -p "$www"
if [ -z "$failed" ]; then
  serve /
  serve "${STANDIN_PATH:-/}"
  for extra in ${STANDIN_EXTRA_PATHS:-}; do serve "$extra"; done
else
  printf '%s\n' "$failed" >/tmp/standin-failed
fi
exec httpd -f -p "$port" -h "$www"
