#!/usr/bin/env bash
# The project's test command: typecheck, lint, format check, the unit and policy suites under
# Pulumi mocks, then the real-engine integration tests (real Pulumi CLI + Docker provider against a
# Docker engine the test starts; real Kubernetes provider against a Kubernetes API server the test
# starts on loopback; needs root, Debian's docker.io, busybox-static, openssl and curl, and Go to
# build the engine and the Kubernetes toolchain once). HOMELAB_INTEGRATION=skip leaves the
# integration tests out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/node.sh

homelab_ensure_node_modules
results="$(mktemp -d)"
work_dirs="$(mktemp)"
trap 'rm -rf "$results" "$work_dirs"' EXIT

echo "== typecheck" && npx tsc --noEmit -p tsconfig.check.json
echo "== lint" && npx eslint . && npx prettier --check .
echo "== docs are generated from the catalog" && npm run --silent docs -- --check
echo "== unit and policy tests" && npx jest --ci --json --outputFile="$results/unit.json" "$@"

if [ "${HOMELAB_INTEGRATION:-run}" != "skip" ]; then
  echo "== integration test (real engine)"
  for tool in dockerd busybox docker-compose /usr/sbin/sshd openssl curl; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install docker.io busybox-static docker-compose openssh-server openssl curl (or HOMELAB_INTEGRATION=skip)" >&2; exit 1; }
  done
  # The engine, the Docker and Kubernetes providers as plugins, HOMELAB_K8S_BIN (built once, cached).
  HOMELAB_KUBERNETES=build source offline-toolchain/engine/env.sh
  # Each suite lists its work dir here (tests/integration/engine.ts suiteWorkDir): a failed run's
  # are kept for their logs, a passing run's removed, unless something is still mounted below one.
  export HOMELAB_TEST_WORK_DIRS="$work_dirs"
  status=0
  npx jest -c jest.integration.config.js --ci --json --outputFile="$results/integration.json" || status=$?
  while IFS= read -r dir; do
    [ -d "$dir" ] || continue
    if [ "$status" -ne 0 ]; then
      echo "kept for the failed run: $dir"
    elif findmnt -rn -o TARGET | awk -v below="$dir/" 'index($0, below) == 1 { found = 1 } END { exit !found }'; then
      echo "kept (still mounted below it): $dir" >&2
    else
      rm -rf "$dir"
    fi
  done <"$HOMELAB_TEST_WORK_DIRS"
  [ "$status" -eq 0 ] || exit "$status"
fi

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const file of fs.readdirSync(process.argv[1])) {
    const run = JSON.parse(fs.readFileSync(`${process.argv[1]}/${file}`, "utf8"));
    passed += run.numPassedTests; failed += run.numFailedTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed`);
' "$results"
