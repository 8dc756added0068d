#!/usr/bin/env bash
# Builds the offline stand-in image (no registry needed): busybox-static plus the stand-in
# scripts, imported with `docker import`. Usage: build.sh <image tag>; DOCKER_HOST selects the engine.
set -euo pipefail
tag="${1:?image tag}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
busybox="$(command -v busybox)"
file "$busybox" 2>/dev/null | grep -q "statically linked" || [ -x /bin/busybox ] || { echo "busybox-static is required" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/var/run"
cp "$busybox" "$root/bin/busybox"
for applet in sh httpd wget mkdir rm rmdir printf dirname cat sleep hostname id ln su stat; do ln -s busybox "$root/bin/$applet"; done
install -m 0755 "$here/standin.sh" "$root/standin"
install -m 0755 "$here/probe.sh" "$root/bin/probe"
# The healthcheck binaries the catalog names, at the paths it names them.
for name in curl pg_isready ak traefik cloudflared valkey-cli redis-cli; do ln -s probe "$root/bin/$name"; done
ln -s bin/probe "$root/beszel"
ln -s bin/probe "$root/agent"
# A different marker makes a different image: tests change one service's image with it.
printf '%s\n' "${STANDIN_MARKER:-v1}" >"$root/etc/standin-marker"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"

tar -C "$root" -c . | docker import \
  --change 'ENTRYPOINT ["/standin"]' \
  --change 'ENV PATH=/bin' \
  - "$tag" >/dev/null
echo "$tag"
