#!/usr/bin/env bash
# Compares the resource graph (types, names, parents, providers, options, inputs, outputs) of the
# stacks under mocks between a git revision and the working tree. A refactor that
# must change nothing prints "graph held" for both; anything else prints the difference.
#   bash tests/graph/compare.sh [REV]     (default HEAD)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/node.sh
rev="${1:-HEAD}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$rev" >/dev/null 2>&1
ln -s "$PWD/node_modules" "$work/base/node_modules"
status=0
for stack in prod lab fleet; do
  if [ ! -f "$work/base/Pulumi.$stack.yaml" ]; then echo "$stack: not in $rev"; continue; fi
  npx ts-node --transpile-only tests/graph/dump.ts "$work/base" "$stack" >"$work/$stack.before.json"
  npx ts-node --transpile-only tests/graph/dump.ts . "$stack" >"$work/$stack.after.json"
  count="$(grep -c '"urn":' "$work/$stack.after.json" || true)"
  if diff -u "$work/$stack.before.json" "$work/$stack.after.json" >"$work/$stack.diff"; then
    echo "$stack: graph held ($count resources, against $rev)"
  else
    echo "$stack: the graph changed against $rev:"
    cat "$work/$stack.diff"
    status=1
  fi
done
exit "$status"
