#!/usr/bin/env bash
# Where a warm server's search time goes, stage by stage (tokenise, embed,
# vector scan, keyword ranking, bridge, merging, JSON), in one process over an
# index built with the default model (e.g. the search benchmark's):
#
#   Benchmarks/warm-stages.sh /tmp/bench/index.sqlite [ROUNDS] [MODE]
#
# QUARRY_PROFILE_UNPACKED=1 skips packing the query weights (as before servers did).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
QUARRY_PROFILE_INDEX=$1 QUARRY_PROFILE_ROUNDS=${2:-5} QUARRY_PROFILE_MODE=${3:-hybrid} \
    swift test -c release -Xswiftc -enable-testing --skip-build --filter 'WarmStagesProfile' 2>&1 \
    | grep -E '^warm stages|^  [0-9]|error|failed'
