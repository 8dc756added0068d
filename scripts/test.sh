#!/usr/bin/env bash
# The project's test command: typecheck, lint, format check and every jest suite, on Node.js 22.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/node.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
echo "== typecheck" && npx tsc --noEmit
echo "== lint" && npx eslint . && npx prettier --check .
echo "== tests" && npx jest --ci "$@"
