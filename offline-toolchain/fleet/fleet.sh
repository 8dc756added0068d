#!/usr/bin/env bash
# A production-shaped lab fleet on this one machine: docker-prod-01, nas-prod-01, auth-prod-01 and
# immich-prod-01, each a network namespace with its own dockerd and its own sshd, reached like
# production as ssh://deploy@<address> (the Docker provider runs `docker system dial-stdio` over SSH).
# Each host is prepared by the bootstrap script the program generates for it (bootstrap.ts renders
# it), and the NAS's exports are bind mounts split as production's (layout.ts).
# Root only; needs docker.io, openssh-server, iproute2 and the repository's Node.js (sudo optional).
# See README.md here and docs/fleet.md.
#
#   fleet.sh up WORK                   builds (or completes) the fleet; prints its summary (JSON)
#   fleet.sh down WORK                 stops and removes everything `up` started, then checks nothing is left
#   fleet.sh summary WORK              prints the summary again
#   fleet.sh kill-engine WORK HOST [dockerd-only]   kill -9 the host's engine: dockerd, containerd,
#                                      shims, containers (as a crash of the host would); or dockerd only
#   fleet.sh start-engine WORK HOST    starts it again (containers with a restart policy come back)
#   fleet.sh stop-ssh WORK HOST        stops the host's sshd and its open sessions
#   fleet.sh start-ssh WORK HOST       starts it again
#   fleet.sh unmount-exports WORK      unmounts the NAS's exports from the VMs' data path (an NFS
#                                      mount that did not come up: the VMs see their own empty directory)
#   fleet.sh mount-exports WORK        mounts them again
set -euo pipefail

readonly hosts=(docker-prod-01 nas-prod-01 auth-prod-01 immich-prod-01)
readonly prefix=10.77.0
readonly bridge=hl-br0
readonly bridge_address="$prefix.1"
readonly deploy_user=deploy
readonly socket_group=docker
# The bootstrap steps that cannot run here (hosts/bootstrap-scripts.ts, baseSteps): installing
# packages needs an apt mirror, and the hosts share this machine's packages.
readonly bootstrap_skip=packages
readonly owner_file=/run/homelab-fleet.work
readonly sudoers_file=/etc/sudoers.d/homelab-fleet
readonly rule_comment=homelab-fleet
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here
repo="$(cd "$here/../.." && pwd)"
readonly repo
declare -A launched=() # host → the PID of the dockerd this run started

usage() {
    sed -n '10,20p' "${BASH_SOURCE[0]}" | sed 's/^# //' >&2
    exit 2
}
die() { echo "fleet: $*" >&2; exit 1; }
log() { echo "fleet: $*" >&2; }

address_of() {
    case "$1" in
        docker-prod-01) echo "$prefix.11" ;;
        nas-prod-01) echo "$prefix.12" ;;
        auth-prod-01) echo "$prefix.13" ;;
        immich-prod-01) echo "$prefix.14" ;;
        *) die "unknown host $1 (one of: ${hosts[*]})" ;;
    esac
}
netns_of() { echo "hl-$1"; }
# Interface names stop at 15 characters: the root side of a host's veth is named by its last octet.
veth_of() { echo "hlv${1##*.}"; }
host_dir() { echo "$work/hosts/$1"; }
socket_of() { echo "$(host_dir "$1")/docker.sock"; }
pid_alive() { [ -f "$1" ] && running "$(cat "$1")"; }
# A zombie counts as gone: whoever reaps it may not be this script.
running() { [ -e "/proc/$1" ] && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
wait_gone() {
    local pid="$1" i
    for i in $(seq 1 "$2"); do
        running "$pid" || return 0
        sleep 0.1
    done
    return 1
}
# pgrep's pattern for a literal path (a dot is the only regex character a work dir may hold)
pattern() { printf '%s' "$1" | sed 's/[.]/[.]/g'; }

# ---- the work dir --------------------------------------------------------------------------------

set_work() {
    [ -n "${1:-}" ] || usage
    case "$1" in *[!A-Za-z0-9._/-]*) die "work dir '$1': only letters, digits and . _ / - (it goes into sshd and dockerd flags)" ;; esac
    mkdir -p "$1"
    work="$(cd "$1" && pwd -P)"
    # A unix socket path holds at most 107 bytes; containerd's debug socket is the longest one here.
    local longest="$work/hosts/immich-prod-01/engine/exec/containerd/containerd-debug.sock"
    [ "${#longest}" -le 107 ] || die "work dir $work is too long for the engines' unix sockets (at most $((107 - ${#longest} + ${#work})) characters)"
}

# ---- users ---------------------------------------------------------------------------------------

# What a VM has before its bootstrap runs: the docker group (the docker.io package's), the deploy user
# and its sudo (cloud-init's). The service identity and the deploy user's docker group membership
# are the bootstrap script's (bootstrap_hosts).
ensure_users() {
    getent group "$socket_group" >/dev/null || groupadd --system "$socket_group"
    if ! getent passwd "$deploy_user" >/dev/null; then
        # "*": no password login, yet not "locked" ("!"), which sshd refuses without PAM.
        useradd --create-home --shell /bin/bash --password '*' "$deploy_user"
    fi
    case "$(getent shadow "$deploy_user" | cut -d: -f2)" in '!' | '!*' | '') usermod --password '*' "$deploy_user" ;; esac
    # The program's host-file and script commands run `sudo -n` as the deploy user, as in production.
    if command -v sudo >/dev/null && [ -d /etc/sudoers.d ]; then
        printf '# homelab fleet (offline-toolchain/fleet/fleet.sh); removed by fleet.sh down\n%s ALL=(ALL) NOPASSWD: ALL\n' \
            "$deploy_user" >"$sudoers_file.tmp"
        chmod 0440 "$sudoers_file.tmp"
        visudo -cqf "$sudoers_file.tmp" || die "visudo rejects $sudoers_file.tmp"
        mv -f "$sudoers_file.tmp" "$sudoers_file"
    else
        log "no sudo: commands the program runs with 'sudo -n' will fail (apt-get install sudo)"
    fi
}

# ---- network -------------------------------------------------------------------------------------

ensure_network() {
    if ! ip link show "$bridge" >/dev/null 2>&1; then
        local taken
        taken="$(ip -4 route show to match "$bridge_address" | grep -v '^default' || true)"
        [ -z "$taken" ] || die "$prefix.0/24 is already routed on this machine: $taken"
        ip link add "$bridge" type bridge
    fi
    ip addr replace "$bridge_address/24" dev "$bridge"
    ip link set "$bridge" up
    # Docker's FORWARD policy is DROP, and with br_netfilter bridged frames pass it: let the hosts
    # reach each other (Traefik on docker-prod-01 → auth-prod-01, ...).
    iptables -C FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$rule_comment" -j ACCEPT 2>/dev/null ||
        iptables -I FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$rule_comment" -j ACCEPT
    local host ns address veth
    for host in "${hosts[@]}"; do
        ns="$(netns_of "$host")" address="$(address_of "$host")" veth="$(veth_of "$address")"
        [ -e "/run/netns/$ns" ] || ip netns add "$ns"
        ip -n "$ns" link set lo up
        if ! ip link show "$veth" >/dev/null 2>&1; then
            ip link add "$veth" type veth peer name eth0 netns "$ns"
        fi
        ip link set "$veth" master "$bridge" up
        ip -n "$ns" addr replace "$address/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
}

# ---- directories ---------------------------------------------------------------------------------

ensure_directories() {
    local host dir
    chmod 0711 "$work"
    install -d -m 0711 "$work/hosts" "$work/ssh"
    install -d -m 0700 "$work/home" "$work/home/.ssh" "$work/bin"
    for host in "${hosts[@]}"; do
        dir="$(host_dir "$host")"
        install -d -m 0711 "$dir"
        install -d -m 0700 "$dir/engine" "$dir/sshd"
    done
}

# ---- the program's view: the bootstrap scripts and the layout -------------------------------------

# bootstrap.ts writes each host's bootstrap script and WORK/layout.txt from the fleet stack's settings.
render() {
    # shellcheck source=SCRIPTDIR/../../scripts/lib/node.sh
    source "$repo/scripts/lib/node.sh"
    (cd "$repo" && npx ts-node --transpile-only offline-toolchain/fleet/bootstrap.ts "$work") ||
        die "could not render the bootstrap scripts (offline-toolchain/fleet/bootstrap.ts)"
}

# layout <kind>: the layout's lines of that kind, without the kind.
layout() {
    [ -f "$work/layout.txt" ] || die "$work/layout.txt is missing: run fleet.sh up $work"
    awk -v kind="$1" '$1 == kind { sub(/^[^ ]+ /, ""); print }' "$work/layout.txt"
}

# The NAS's exports, each its own bind mount from its directory on the NAS (WORK/nas/<export path>)
# to where the VMs mount it, parents first, as production's NFS mounts split the tree: link(2) and
# rename(2) across two mounts fail with EXDEV even on one filesystem. Each mount is private, so a
# child mount stays off the NAS's own view of the share (on Unraid, data/photos is an empty directory).
# Each export carries the NAS's sentinel at its root (hosts/nas-sentinel.ts), as the NAS side makes
# it: a VM whose mount is missing sees its own empty directory, without it.
ensure_exports() {
    local uid gid key source target sentinel
    read -r uid gid < <(layout identity)
    sentinel="$(layout sentinel)"
    while read -r key source target; do
        install -d -o "$uid" -g "$gid" -m 0775 "$source"
        if [ ! -e "$source/$sentinel" ]; then
            printf 'homelab: the fleet NAS export %s (offline-toolchain/fleet/fleet.sh)\n' "$key" >"$source/$sentinel.tmp"
            chown "$uid:$gid" "$source/$sentinel.tmp" && chmod 0644 "$source/$sentinel.tmp"
            mv -f "$source/$sentinel.tmp" "$source/$sentinel"
        fi
        # The data share holds empty directories as the mount points of the exports below it.
        [ -d "$target" ] || install -d -o "$uid" -g "$gid" -m 0775 "$target"
        if ! mountpoint -q "$target"; then
            mount --bind "$source" "$target"
            mount --make-private "$target"
            log "NAS export $key: $source mounted at $target"
        fi
    done < <(layout export)
}

# What a VM sees when its NFS mounts did not come up: the exports unmounted, children first, so the
# data path is the VMs' own (empty) directory. Running containers keep what they had mounted.
unmount_exports() {
    local key source target
    while read -r key source target; do
        if mountpoint -q "$target"; then
            umount "$target"
            log "NAS export $key: unmounted from $target"
        fi
    done < <(layout export | tac)
}

# Each host runs the bootstrap script the program generated for it, as root in the host's network
# and UTS namespaces, skipping what cannot run here (HOMELAB_BOOTSTRAP_SKIP, printed by the script).
# The hosts share /etc/passwd: the first run creates the service identity, the others find it.
bootstrap_hosts() {
    local host dir
    for host in "${hosts[@]}"; do
        dir="$(host_dir "$host")"
        if ! (as_host "$host" env HOMELAB_BOOTSTRAP_SKIP="$bootstrap_skip" bash "$dir/bootstrap-base.sh" \
            </dev/null >"$dir/bootstrap.log" 2>&1); then
            cat "$dir/bootstrap.log" >&2
            die "$host: its bootstrap script failed ($dir/bootstrap-base.sh)"
        fi
    done
}

# The deploy user's sessions reach the sockets and the authorized keys below the work dir. Its
# parents are not changed here: a work dir in a mkdtemp directory (0700) needs `chmod 0711` on that.
check_reachable() {
    local dir="$work"
    while [ "$dir" != / ]; do
        dir="$(dirname "$dir")"
        runuser -u "$deploy_user" -- test -x "$dir" ||
            die "$deploy_user cannot traverse $dir, a parent of $work: chmod o+x $dir (or choose another work dir)"
    done
}

# ---- keys and the client side --------------------------------------------------------------------

ensure_keys() {
    local key="$work/ssh/deploy_ed25519" host sshdir
    [ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -C "deploy@homelab-fleet" -f "$key"
    install -m 0644 "$key.pub" "$work/ssh/authorized_keys"
    : >"$work/ssh/known_hosts.tmp"
    for host in "${hosts[@]}"; do
        sshdir="$(host_dir "$host")/sshd"
        [ -f "$sshdir/ssh_host_ed25519_key" ] ||
            ssh-keygen -q -t ed25519 -N '' -C "root@$host" -f "$sshdir/ssh_host_ed25519_key"
        printf '%s %s\n' "$(address_of "$host")" "$(cut -d' ' -f1,2 "$sshdir/ssh_host_ed25519_key.pub")" \
            >>"$work/ssh/known_hosts.tmp"
    done
    mv -f "$work/ssh/known_hosts.tmp" "$work/ssh/known_hosts"
    cat >"$work/home/.ssh/config" <<EOF
# The fleet's hosts (offline-toolchain/fleet/fleet.sh). OpenSSH reads ~/.ssh/config from the passwd
# entry, not from \$HOME: $work/bin/ssh passes this file with -F.
Host $prefix.*
    IdentityFile $key
    IdentitiesOnly yes
    UserKnownHostsFile $work/ssh/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
EOF
    chmod 0600 "$work/home/.ssh/config"
    cat >"$work/bin/ssh" <<EOF
#!/bin/sh
# ssh with the fleet's client config; first on PATH for the docker CLI and pulumi-resource-docker.
exec /usr/bin/ssh -F $work/home/.ssh/config "\$@"
EOF
    chmod 0755 "$work/bin/ssh"
}

# Becomes a command run as the host (call it in a subshell): its network namespace, a session of
# its own, and its own hostname (a UTS namespace, so `docker info` and a login session name the
# host). Every step execs: the PID is the command's.
as_host() {
    local host="$1"
    shift
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    exec setsid nsenter --net="/run/netns/$(netns_of "$host")" -- \
        unshare --uts -- /bin/sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
}

# ---- engines -------------------------------------------------------------------------------------

# Like scripts/dockerd.sh: own data root, exec root, pid file, socket and containerd namespaces, and
# the default bridge, iptables and docker-proxy, here inside the host's network namespace. dockerd
# starts its own containerd below the exec root. The mount namespace stays the machine's (`ip netns
# exec` would remount /sys and lose the cgroup mounts).
launch_engine() {
    local host="$1" dir
    dir="$(host_dir "$host")"
    if pid_alive "$dir/docker.pid"; then return 0; fi
    # A killed daemon may linger as a zombie until PID 1 reaps it, and dockerd takes a pid file
    # naming any existing process for a running daemon (its own, and its containerd's).
    rm -f "$dir/docker.pid"
    pid_alive "$dir/engine/exec/containerd/containerd.pid" || rm -f "$dir/engine/exec/containerd/containerd.pid"
    [ -f "$dir/engine/daemon.json" ] || echo '{}' >"$dir/engine/daemon.json"
    (as_host "$host" dockerd \
        --config-file "$dir/engine/daemon.json" \
        --data-root "$dir/engine/data" --exec-root "$dir/engine/exec" --pidfile "$dir/docker.pid" \
        --host "unix://$(socket_of "$host")" --group "$socket_group" \
        --containerd-namespace "hl-$host" --containerd-plugins-namespace "hl-$host-plugins" \
        --storage-driver overlay2 --iptables=true \
        </dev/null >>"$dir/dockerd.log" 2>&1) &
    launched[$host]=$!
}

wait_engine() {
    local host="$1" i
    for i in $(seq 1 120); do
        if DOCKER_HOST="unix://$(socket_of "$host")" docker version >/dev/null 2>&1; then return 0; fi
        if [ -n "${launched[$host]:-}" ] && ! running "${launched[$host]}"; then break; fi
        sleep 0.5
    done
    tail -n 30 "$(host_dir "$host")/dockerd.log" >&2
    die "$host: dockerd did not answer on $(socket_of "$host") (waited $((i / 2)) s)"
}

# What a crash of the host does to its engine: dockerd, its containerd, the shims and the containers,
# all kill -9, so start-engine finds them dead and restarts those with a restart policy. With
# "dockerd-only" just dockerd dies (containerd follows it): the shims and containers keep running,
# and the restarted dockerd stops them and, since that stop counts as a manual one, leaves
# `unless-stopped` containers stopped (Docker's behaviour without live-restore).
kill_engine() {
    local host="$1" mode="${2:-all}" dir pid pids=() shim
    dir="$(host_dir "$host")"
    if pid_alive "$dir/docker.pid"; then
        pid="$(cat "$dir/docker.pid")"
        kill -9 "$pid"
        wait_gone "$pid" 100 || die "$host: dockerd (pid $pid) survived kill -9"
    else
        log "$host: dockerd is not running"
    fi
    [ "$mode" != dockerd-only ] || return 0
    for shim in $(pgrep -f -- "$(pattern "$dir/engine/exec/containerd/containerd.sock")"); do
        pids+=("$shim")
        # A container's init is the shim's child; killing it ends the container's PID namespace.
        while read -r pid; do pids+=("$pid"); done < <(pgrep -P "$shim")
    done
    while read -r pid; do pids+=("$pid"); done < <(pgrep -f -- "$(pattern "$dir/engine/exec/containerd/containerd.toml")")
    [ "${#pids[@]}" -gt 0 ] || return 0
    kill -9 "${pids[@]}" 2>/dev/null || true
    for pid in "${pids[@]}"; do wait_gone "$pid" 50 || die "$host: pid $pid survived kill -9"; done
}

stop_engine() {
    local host="$1" dir pid
    dir="$(host_dir "$host")"
    pid_alive "$dir/docker.pid" || return 0
    pid="$(cat "$dir/docker.pid")"
    # Removing the containers first is quicker than dockerd's stop timeout for each of them.
    DOCKER_HOST="unix://$(socket_of "$host")" docker ps -aq 2>/dev/null |
        xargs -r env DOCKER_HOST="unix://$(socket_of "$host")" docker rm -f >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    wait_gone "$pid" 200 && return 0
    log "$host: dockerd did not stop within 20 s; killing it (pid $pid)"
    kill -9 "$pid" 2>/dev/null || true
}

# ---- sshd ----------------------------------------------------------------------------------------

write_sshd_config() {
    local host="$1" sshdir allow=$deploy_user permit=no
    sshdir="$(host_dir "$host")/sshd"
    install -d -m 0755 /run/sshd # sshd's privilege separation directory (also for sshd -t)
    # Production's Unraid is reached as root (deployUser: root): FLEET_NAS_ROOT=1 allows that on nas-prod-01.
    if [ "$host" = nas-prod-01 ] && [ "${FLEET_NAS_ROOT:-0}" = 1 ]; then allow="$deploy_user root" permit=prohibit-password; fi
    sed -e "s|@HOST@|$host|g" -e "s|@ADDRESS@|$(address_of "$host")|g" -e "s|@SSHDIR@|$sshdir|g" \
        -e "s|@SOCKET@|$(socket_of "$host")|g" -e "s|@AUTHORIZED_KEYS@|$work/ssh/authorized_keys|g" \
        -e "s|@ALLOW_USERS@|$allow|g" -e "s|@PERMIT_ROOT@|$permit|g" \
        "$here/sshd_config.template" >"$sshdir/sshd_config.tmp"
    /usr/sbin/sshd -t -f "$sshdir/sshd_config.tmp" || die "$host: sshd rejects $sshdir/sshd_config.tmp"
    if cmp -s "$sshdir/sshd_config.tmp" "$sshdir/sshd_config"; then
        rm -f "$sshdir/sshd_config.tmp"
        return 0
    fi
    mv -f "$sshdir/sshd_config.tmp" "$sshdir/sshd_config"
    # A running sshd re-reads its configuration on SIGHUP.
    if pid_alive "$sshdir/sshd.pid"; then kill -HUP "$(cat "$sshdir/sshd.pid")"; fi
}

start_ssh() {
    local host="$1" sshdir address i
    sshdir="$(host_dir "$host")/sshd" address="$(address_of "$host")"
    if ! pid_alive "$sshdir/sshd.pid"; then
        (as_host "$host" /usr/sbin/sshd -f "$sshdir/sshd_config" -E "$sshdir/sshd.log" </dev/null >/dev/null 2>&1)
    fi
    for i in $(seq 1 50); do
        if timeout 1 bash -c "exec 3<>/dev/tcp/$address/22" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    tail -n 20 "$sshdir/sshd.log" >&2
    die "$host: sshd does not answer on $address:22 (tried $i times)"
}

# The listener and every session of the host (a session keeps running when only the listener stops).
stop_ssh() {
    local host="$1" sshdir pid pids=()
    sshdir="$(host_dir "$host")/sshd"
    if pid_alive "$sshdir/sshd.pid"; then pids+=("$(cat "$sshdir/sshd.pid")"); fi
    for pid in $(ip netns pids "$(netns_of "$host")" 2>/dev/null); do
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ]; then pids+=("$pid"); fi
    done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        wait_gone "$pid" 50 || kill -9 "$pid" 2>/dev/null || true
    done
    rm -f "$sshdir/sshd.pid"
}

# ---- summary -------------------------------------------------------------------------------------

data_of() { layout data | awk -v host="$1" '$1 == host { print $2 }'; }

summary() {
    local host dir first=1 uid gid key source target
    read -r uid gid < <(layout identity)
    printf '{\n  "work": "%s",\n  "path": "%s/bin",\n  "home": "%s/home",\n' "$work" "$work" "$work"
    printf '  "sshConfig": "%s/home/.ssh/config",\n  "privateKey": "%s/ssh/deploy_ed25519",\n' "$work" "$work"
    printf '  "knownHosts": "%s/ssh/known_hosts",\n  "deployUser": "%s",\n' "$work" "$deploy_user"
    printf '  "identity": { "uid": %s, "gid": %s },\n  "nasData": "%s",\n  "stacks": "%s",\n' \
        "$uid" "$gid" "$(data_of nas-prod-01)" "$(layout stacks)"
    printf '  "bootstrapSkip": "%s",\n  "exports": [' "$bootstrap_skip"
    while read -r key source target; do
        [ "$first" = 1 ] || printf ','
        first=0
        printf '\n    { "key": "%s", "source": "%s", "target": "%s" }' "$key" "$source" "$target"
    done < <(layout export)
    printf '\n  ],\n  "hosts": {\n'
    first=1
    for host in "${hosts[@]}"; do
        dir="$(host_dir "$host")"
        [ "$first" = 1 ] || printf ',\n'
        first=0
        printf '    "%s": { "address": "%s", "namespace": "%s", "dockerHost": "ssh://%s@%s",\n' \
            "$host" "$(address_of "$host")" "$(netns_of "$host")" "$deploy_user" "$(address_of "$host")"
        printf '      "socket": "unix://%s", "appdata": "%s/appdata", "data": "%s",\n' \
            "$(socket_of "$host")" "$dir" "$(data_of "$host")"
        printf '      "bootstrapScript": "%s/bootstrap-base.sh", "bootstrapLog": "%s/bootstrap.log" }' "$dir" "$dir"
    done
    printf '\n  }\n}\n'
}

write_env() {
    local host var
    {
        echo "# source me: the fleet at $work"
        echo "FLEET_WORK=$work"
        echo "FLEET_PATH=$work/bin"
        echo "FLEET_HOME=$work/home"
        echo "FLEET_KEY=$work/ssh/deploy_ed25519"
        for host in "${hosts[@]}"; do
            var="$(echo "$host" | tr 'a-z-' 'A-Z_')"
            echo "FLEET_${var}_ADDRESS=$(address_of "$host")"
            echo "FLEET_${var}_SOCKET=unix://$(socket_of "$host")"
            echo "FLEET_${var}_APPDATA=$(host_dir "$host")/appdata"
            echo "FLEET_${var}_DATA=$(data_of "$host")"
        done
        echo "FLEET_STACKS=$(layout stacks)"
        echo "FLEET_NAS_DATA=$(data_of nas-prod-01)"
    } >"$work/fleet.env"
}

# ---- up / down -----------------------------------------------------------------------------------

claim() {
    if [ -f "$owner_file" ] && [ "$(cat "$owner_file")" != "$work" ]; then
        local other ns
        other="$(cat "$owner_file")"
        for ns in "${hosts[@]/#/hl-}"; do
            [ -e "/run/netns/$ns" ] && die "another fleet is up ($other); run: fleet.sh down $other"
        done
    fi
    echo "$work" >"$owner_file"
}

up() {
    local host
    for cmd in ip nsenter setsid dockerd docker /usr/sbin/sshd ssh-keygen iptables runuser mountpoint; do
        command -v "$cmd" >/dev/null || die "$cmd not found (apt-get install -y --no-install-recommends docker.io openssh-server iproute2)"
    done
    claim
    ensure_users
    check_reachable
    ensure_network
    ensure_directories
    render
    ensure_exports
    bootstrap_hosts
    ensure_keys
    for host in "${hosts[@]}"; do launch_engine "$host"; done
    for host in "${hosts[@]}"; do
        write_sshd_config "$host"
        start_ssh "$host"
    done
    for host in "${hosts[@]}"; do wait_engine "$host"; done
    write_env
    summary | tee "$work/fleet.json"
}

# Whether the shared names (the hl-* namespaces, the bridge, the sudoers file) are this work dir's:
# no other fleet claimed them. A `down` of a work dir whose `up` was refused must not touch them.
owns_shared() {
    [ ! -f "$owner_file" ] || [ "$(cat "$owner_file")" = "$work" ]
}

# Every process of the fleet: the network namespaces' (dockerd, containerd, docker-proxy, sshd and
# its sessions, host-network containers), only when they are this fleet's, and those naming the
# work dir (containerd shims).
fleet_pids() {
    local host
    if owns_shared; then
        for host in "${hosts[@]}"; do
            [ -e "/run/netns/$(netns_of "$host")" ] && ip netns pids "$(netns_of "$host")"
        done
    fi
    pgrep -f -- "$(pattern "$work/hosts/")" || true
}

down() {
    local host pids left=() ns mounts
    if ! owns_shared; then
        # Another fleet is up (its own work dir claimed the namespaces): leave all of it alone and
        # clean only what names this work dir.
        log "another fleet ($(cat "$owner_file")) owns the namespaces: only $work is cleaned"
        pids="$(pgrep -f -- "$(pattern "$work/hosts/")" | tr '\n' ' ' || true)"
        # shellcheck disable=SC2086 # a list of pids
        [ -z "${pids// /}" ] || kill -9 $pids 2>/dev/null || true
        mounts="$(findmnt -rn -o TARGET | grep -F "$work/" | sort -r || true)"
        [ -z "$mounts" ] || echo "$mounts" | xargs -r -n1 umount -l
        return 0
    fi
    for host in "${hosts[@]}"; do
        [ -f "$(host_dir "$host")/sshd/sshd.pid" ] && stop_ssh "$host"
        stop_engine "$host" &
    done
    wait
    pids="$(fleet_pids | sort -u | tr '\n' ' ')"
    if [ -n "${pids// /}" ]; then
        log "killing what is left: $pids"
        # shellcheck disable=SC2086 # a list of pids
        kill -9 $pids 2>/dev/null || true
        sleep 0.5
    fi
    # Mounts a killed engine left behind (netns bind mounts, overlay roots).
    mounts="$(findmnt -rn -o TARGET | grep -F "$work/" | sort -r || true)"
    [ -z "$mounts" ] || echo "$mounts" | xargs -r -n1 umount -l
    for host in "${hosts[@]}"; do
        ns="$(netns_of "$host")"
        [ -e "/run/netns/$ns" ] && ip netns del "$ns"
        ip link del "$(veth_of "$(address_of "$host")")" 2>/dev/null || true
        rm -f "$(host_dir "$host")/docker.pid" "$(host_dir "$host")/sshd/sshd.pid"
    done
    ip link del "$bridge" 2>/dev/null || true
    while iptables -D FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$rule_comment" -j ACCEPT 2>/dev/null; do :; done
    rm -f "$sudoers_file"
    [ "$(cat "$owner_file" 2>/dev/null)" != "$work" ] || rm -f "$owner_file"

    # Proof that nothing is left.
    pids="$(pgrep -f -- "$(pattern "$work/hosts/")" || true)"
    [ -z "$pids" ] || left+=("processes: $(echo "$pids" | tr '\n' ' ')")
    for host in "${hosts[@]}"; do
        [ ! -e "/run/netns/$(netns_of "$host")" ] || left+=("namespace $(netns_of "$host")")
    done
    ! ip link show "$bridge" >/dev/null 2>&1 || left+=("bridge $bridge")
    [ -z "$(findmnt -rn -o TARGET | grep -F "$work/" || true)" ] || left+=("mounts below $work")
    if [ "${#left[@]}" -gt 0 ]; then die "left behind: ${left[*]}"; fi
    log "down: no process, namespace, interface or mount of $work is left"
}

one_host() {
    [ -n "${1:-}" ] || usage
    address_of "$1" >/dev/null
    [ -e "/run/netns/$(netns_of "$1")" ] || die "$1: no namespace $(netns_of "$1"); run fleet.sh up $work"
}

[ "$(id -u)" = 0 ] || die "run as root (namespaces, dockerd, sshd)"
action="${1:-}"
set_work "${2:-}"
case "$action" in
    up) up ;;
    down) down ;;
    summary) summary ;;
    kill-engine)
        one_host "${3:-}"
        case "${4:-}" in "" | dockerd-only) ;; *) usage ;; esac
        kill_engine "$3" "${4:-all}"
        ;;
    start-engine) one_host "${3:-}" && launch_engine "$3" && wait_engine "$3" ;;
    stop-ssh) one_host "${3:-}" && stop_ssh "$3" ;;
    start-ssh) one_host "${3:-}" && write_sshd_config "$3" && start_ssh "$3" ;;
    unmount-exports) unmount_exports ;;
    mount-exports) ensure_exports ;;
    *) usage ;;
esac
