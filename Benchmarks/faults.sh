#!/usr/bin/env bash
# Fault injection at every write and the randomised kill test, in full: a fault at each of the N
# writes, syncs, truncates and renames of `quarry index` (with embeddings) and of `quarry gc`
# (Tests/Faults/faultfs.c, preloaded), the named cases (disk full, read-only directory, a directory
# that vanishes, a stale lock), then SIGKILL at KILLS seeded random moments. Prints the figures.
#
#   Benchmarks/faults.sh [KILLS]     # default 50
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
flags=(-c release -Xswiftc -enable-testing)
swift build "${flags[@]}" --build-tests >&2
QUARRY_FAULT_EVERY=1 swift test "${flags[@]}" --skip-build --filter QuarryCLITests.FaultInjectionTests 2>&1 \
    | grep -E "^faults:|error:|Executed" || true
QUARRY_KILLS=${1:-50} swift test "${flags[@]}" --skip-build --filter QuarryCLITests.RandomKillTests 2>&1 \
    | grep -E "^kills:|error:|Executed" || true
