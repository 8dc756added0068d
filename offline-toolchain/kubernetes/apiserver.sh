#!/usr/bin/env bash
# A real Kubernetes API server on loopback, for tests: kine (etcd API on SQLite), kube-apiserver and
# kube-controller-manager from build.sh, with certificates of their own. No kubelet, no scheduler,
# no container runtime: objects are stored, validated, defaulted, admitted and reconciled by the
# controllers, and pods stay Pending.
#
#   bash offline-toolchain/kubernetes/apiserver.sh start <dir>   # prints <dir>/kubeconfig
#   bash offline-toolchain/kubernetes/apiserver.sh status <dir>  # exit 0 when /readyz answers ok
#   bash offline-toolchain/kubernetes/apiserver.sh stop <dir>    # stops all three, verifies it
#
# <dir> gets pki/ (a CA, the serving certificate, client certificates, the service-account key),
# kubeconfig (user homelab-admin in group system:masters, certificates embedded), kine/ (the
# SQLite database), logs/, run/ (pid files, ports). Certificates are made once per <dir> and kept
# across restarts; delete <dir> to start from nothing.
#
# Environment:
#   HOMELAB_K8S_BIN    directory with kube-apiserver, kube-controller-manager and kine (default:
#                      the one build.sh prints, building it if needed)
#   HOMELAB_K8S_PORT   the API server's port on 127.0.0.1 (default: the first free one from 16443;
#                      kine takes the next free one)
#   HOMELAB_K8S_CONTROLLER_MANAGER=false  start no kube-controller-manager (objects are then never
#                      reconciled: no ReplicaSet, no garbage collection, a deleted namespace stays
#                      Terminating, a foreground deletion never finishes)
#   HOMELAB_K8S_READY_TIMEOUT  seconds to wait for /readyz (default 120)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICE_CIDR=10.96.0.0/16 # allocation range only: no proxy, nothing routes to it
SERVICE_IP=10.96.0.1      # the `kubernetes` Service's address (in the serving certificate)
COMPONENTS=(kine kube-apiserver kube-controller-manager)

log() { printf '[apiserver] %s\n' "$*" >&2; }
die() {
  printf '[apiserver] error: %s\n' "$*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop|status <dir>" >&2
  exit 2
}

main() {
  [[ $# -eq 2 ]] || usage
  local cmd="$1"
  mkdir -p "$2"
  DIR="$(cd "$2" && pwd -P)"
  case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
  esac
}

# ---- processes -----------------------------------------------------------------------------------
# The pid in run/<name>.pid when that process is alive and is still <name> (not a reused pid).
pid_of() {
  local name="$1" pid exe
  [[ -f "$DIR/run/$name.pid" ]] || return 1
  pid="$(<"$DIR/run/$name.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  [[ "$(basename "$exe")" == "$name" ]] || return 1
  printf '%s\n' "$pid"
}

# Start "$@" in its own session (it outlives this script), output to logs/<name>.log.
launch() {
  local name="$1"
  shift
  setsid "$@" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  printf '%s\n' "$!" >"$DIR/run/$name.pid"
}

# One at a time, clients first: kube-apiserver removes its lease through kine on the way out, and
# hangs if kine is gone. Each gets 30 s after SIGTERM, then SIGKILL.
stop() {
  local name pid stopped=0 i
  for name in kube-controller-manager kube-apiserver kine; do
    pid="$(pid_of "$name")" || {
      rm -f "$DIR/run/$name.pid"
      continue
    }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      [[ -e "/proc/$pid" ]] || break
      sleep 0.1
    done
    if [[ -e "/proc/$pid" ]]; then
      log "$name (pid $pid) did not stop in 30s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        [[ -e "/proc/$pid" ]] || break
        sleep 0.1
      done
    fi
    pid_of "$name" >/dev/null && die "$name (pid $pid) is still running"
    rm -f "$DIR/run/$name.pid"
    stopped=$((stopped + 1))
  done
  log "stopped $stopped processes in $DIR"
}

# ---- ports ---------------------------------------------------------------------------------------
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
free_port_from() {
  local p="$1" avoid="${2:-}"
  while ((p < $1 + 200)); do
    if [[ "$p" != "$avoid" ]] && port_free "$p"; then
      printf '%s\n' "$p"
      return 0
    fi
    p=$((p + 1))
  done
  die "no free port in $1-$(($1 + 199)) on 127.0.0.1"
}

# ---- certificates ------------------------------------------------------------------------------
# EC P-256 keys throughout (quick to make; the API server accepts ES256 service-account keys).
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign <name> <subject> <extensions>: pki/<name>.key and pki/<name>.crt signed by pki/ca.
sign() {
  local name="$1" subject="$2" ext="$3" pki="$DIR/pki"
  new_key "$pki/$name.key"
  printf '%s\n' "$ext" >"$pki/$name.ext"
  openssl req -new -key "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  local pki="$DIR/pki"
  [[ -s "$pki/admin.crt" ]] && return 0
  log "making certificates in $pki"
  rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
  new_key "$pki/ca.key"
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=homelab-test-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$pki/ca.crt"
  local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign admin "/O=system:masters/CN=homelab-admin" "$client"
  sign controller-manager "/CN=system:kube-controller-manager" "$client"
  new_key "$pki/sa.key"
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
}

# kubeconfig <file> <user> <client cert name>: certificates embedded, so the file stands alone
# (the Pulumi provider takes a kubeconfig's content).
write_kubeconfig() {
  local file="$1" user="$2" cert="$3" pki="$DIR/pki"
  umask 077
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: homelab-test
    cluster:
      server: https://127.0.0.1:$PORT
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: $user
    user:
      client-certificate-data: $(base64 -w0 "$pki/$cert.crt")
      client-key-data: $(base64 -w0 "$pki/$cert.key")
contexts:
  - name: homelab-test
    context:
      cluster: homelab-test
      user: $user
      namespace: default
current-context: homelab-test
EOF
}

# ---- start / status ----------------------------------------------------------------------------
readyz() {
  curl -sS --max-time 5 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" --key "$DIR/pki/admin.key" \
    "https://127.0.0.1:$(<"$DIR/run/port")/readyz" 2>/dev/null
}

status() {
  local name pid ok=true
  for name in "${COMPONENTS[@]}"; do
    if pid="$(pid_of "$name")"; then
      log "$name: running (pid $pid)"
    else
      log "$name: not running"
    fi
  done
  [[ -f "$DIR/run/port" && "$(readyz)" == ok ]] || ok=false
  $ok && log "readyz: ok (https://127.0.0.1:$(<"$DIR/run/port"))"
  $ok
}

start() {
  local name
  for name in "${COMPONENTS[@]}"; do
    if pid_of "$name" >/dev/null; then
      die "$name is already running for $DIR (stop it first)"
    fi
  done
  local bin="${HOMELAB_K8S_BIN:-}"
  if [[ -z "$bin" ]]; then
    bin="$(bash "$HERE/build.sh" | tail -n 1)" || die "build.sh failed"
  fi
  for name in "${COMPONENTS[@]}"; do
    [[ -x "$bin/$name" ]] || die "no $name in $bin"
  done
  command -v openssl >/dev/null || die "openssl is required (Debian package openssl)"
  command -v curl >/dev/null || die "curl is required (Debian package curl)"
  mkdir -p "$DIR/logs" "$DIR/run" "$DIR/kine"
  make_pki

  local kine_port
  if [[ -n "${HOMELAB_K8S_PORT:-}" ]]; then
    PORT="$HOMELAB_K8S_PORT"
    port_free "$PORT" || die "127.0.0.1:$PORT is in use"
  else
    PORT="$(free_port_from 16443)"
  fi
  kine_port="$(free_port_from $((PORT + 1)) "$PORT")"
  printf '%s\n' "$PORT" >"$DIR/run/port"
  printf '%s\n' "$kine_port" >"$DIR/run/kine-port"
  write_kubeconfig "$DIR/kubeconfig" homelab-admin admin
  write_kubeconfig "$DIR/run/controller-manager.kubeconfig" system:kube-controller-manager controller-manager

  local t0=$SECONDS
  trap 'stop_on_failure' EXIT
  launch kine "$bin/kine" \
    --listen-address "127.0.0.1:$kine_port" \
    --endpoint "sqlite://$DIR/kine/state.db?_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate" \
    --metrics-bind-address 0

  local pki="$DIR/pki"
  # --endpoint-reconciler-type=none: the `kubernetes` Service's Endpoints would hold 127.0.0.1,
  # which Endpoints validation refuses (loopback). --anonymous-auth=false: every request, /readyz
  # too, carries a client certificate.
  launch kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$kine_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --cert-dir "$pki" \
    --client-ca-file "$pki/ca.crt" \
    --anonymous-auth=false \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --endpoint-reconciler-type none \
    --profiling=false \
    --v 1

  local waited=0 limit="${HOMELAB_K8S_READY_TIMEOUT:-120}"
  until [[ "$(readyz)" == ok ]]; do
    for name in kine kube-apiserver; do
      pid_of "$name" >/dev/null || { tail -n 30 "$DIR/logs/$name.log" >&2; die "$name exited (logs/$name.log)"; }
    done
    ((waited < limit * 2)) || {
      tail -n 30 "$DIR/logs/kube-apiserver.log" >&2
      die "no /readyz ok after ${limit}s"
    }
    sleep 0.5
    waited=$((waited + 1))
  done
  log "kube-apiserver ready on https://127.0.0.1:$PORT in $((SECONDS - t0))s"

  if [[ "${HOMELAB_K8S_CONTROLLER_MANAGER:-true}" != false ]]; then
    # --use-service-account-credentials: each controller acts as its own service account with the
    # bootstrap RBAC roles (as kubeadm does). --secure-port 0: no HTTPS endpoint of its own.
    # --flex-volume-plugin-dir: it creates that directory (default under /usr/libexec).
    launch kube-controller-manager "$bin/kube-controller-manager" \
      --kubeconfig "$DIR/run/controller-manager.kubeconfig" \
      --secure-port 0 \
      --flex-volume-plugin-dir "$DIR/run/flexvolume" \
      --leader-elect=false \
      --use-service-account-credentials \
      --service-account-private-key-file "$pki/sa.key" \
      --root-ca-file "$pki/ca.crt" \
      --profiling=false \
      --v 1
    sleep 1
    pid_of kube-controller-manager >/dev/null || {
      tail -n 30 "$DIR/logs/kube-controller-manager.log" >&2
      die "kube-controller-manager exited (logs/kube-controller-manager.log)"
    }
    log "kube-controller-manager started"
  fi
  trap - EXIT
  printf '%s\n' "$DIR/kubeconfig"
}

stop_on_failure() {
  local rc=$?
  ((rc == 0)) && return 0
  log "start failed: stopping what was started"
  stop || true
  exit "$rc"
}

main "$@"
