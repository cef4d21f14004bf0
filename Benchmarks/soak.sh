#!/usr/bin/env bash
# The soak test for longer: one writer re-indexing a changing repository (commits, a rewritten
# branch, gc) while four readers search a running `quarry serve`; prints searches, errors, the
# server's RSS and descriptors at start and end, and the index size after gc.
#
#   Benchmarks/soak.sh [MINUTES]     # default 30 (the issue's figure; CI's long mode uses 15)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
minutes=${1:-30}
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
flags=(-c release -Xswiftc -enable-testing)
swift build "${flags[@]}" --build-tests >&2
QUARRY_SOAK_SECONDS=$((minutes * 60)) swift test "${flags[@]}" --skip-build \
    --filter QuarryCLITests.SoakTests 2>&1 | grep -E "^soak:|error:|Executed" || true
