#!/usr/bin/env bash
# A private Docker engine for the real-engine tests: its own data root, exec root, pid file and
# unix socket under DIR, never the system default. Needs root and Debian's docker.io.
#   dockerd.sh start DIR   → prints the socket's DOCKER_HOST (unix://DIR/docker.sock) once it answers
#   dockerd.sh stop DIR    → stops it and removes what it started
set -euo pipefail
action="${1:?start|stop}"
dir="${2:?directory}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"
socket="$dir/docker.sock"
pidfile="$dir/docker.pid"

case "$action" in
  start)
    command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "unix://$socket"; exit 0
    fi
    # A namespace of its own in containerd, so it never sees the system engine's containers.
    nohup dockerd \
      --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
      --host "unix://$socket" \
      --containerd-namespace homelab-test --containerd-plugins-namespace homelab-test-plugins \
      >"$dir/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do
      if DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1; then
        echo "unix://$socket"; exit 0
      fi
      sleep 1
    done
    echo "dockerd did not answer on $socket within 60 s; log:" >&2
    tail -n 30 "$dir/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      pid="$(cat "$pidfile")"
      DOCKER_HOST="unix://$socket" docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST="unix://$socket" docker rm -f >/dev/null 2>&1 || true
      # Its networks' bridges (br-*) and iptables rules outlive the engine unless it removes them.
      DOCKER_HOST="unix://$socket" docker network prune -f >/dev/null 2>&1 || true
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ;;
  *) echo "usage: dockerd.sh start|stop DIR" >&2; exit 2 ;;
esac
