#!/usr/bin/env bash
# Builds the offline stand-in image (no registry needed): busybox-static plus the stand-in
# scripts, imported with `docker import`. Usage: build.sh <image tag>; DOCKER_HOST selects the engine.
#
# It also builds the stand-in's variants that declare the VOLUMEs of the catalog's real images
# (components/offline.ts, standInWithVolumes: `<tag>-vol-<hash of the set>`, chosen by runtimeImage),
# so that an entry that leaves a declared volume unmounted gets an anonymous volume in the lab as on a
# real host. Each is the same root file system imported again with `--change 'VOLUME [...]'` (the
# same layer: what `FROM <tag>` + `VOLUME` would make, without needing a builder or a registry).
# The variants come from STANDIN_VARIANTS (lines `<image> <volume>...`; empty: none) or, unset,
# from the catalog (variants.ts, through ts-node).
set -euo pipefail
tag="${1:?image tag}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
busybox="$(command -v busybox)"
file "$busybox" 2>/dev/null | grep -q "statically linked" || [ -x /bin/busybox ] || { echo "busybox-static is required" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root" "$root.tar"' EXIT
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

if [ -n "${STANDIN_VARIANTS+set}" ]; then
  variants="$STANDIN_VARIANTS"
else
  # shellcheck source=SCRIPTDIR/../../scripts/lib/node.sh
  source "$here/../../scripts/lib/node.sh"
  variants="$(cd "$here/../.." && npx ts-node --transpile-only offline-toolchain/standin/variants.ts "$tag")"
fi

tar -C "$root" -c -f "$root.tar" .
docker import \
  --change 'ENTRYPOINT ["/standin"]' \
  --change 'ENV PATH=/bin' \
  "$root.tar" "$tag" >/dev/null
while read -r image volumes; do
  [ -n "$image" ] || continue
  # shellcheck disable=SC2086 # the volumes, one word each
  json="$(printf '"%s",' $volumes)"
  docker import \
    --change 'ENTRYPOINT ["/standin"]' \
    --change 'ENV PATH=/bin' \
    --change "VOLUME [${json%,}]" \
    "$root.tar" "$image" >/dev/null
done <<<"$variants"
echo "$tag"
