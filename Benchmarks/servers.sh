#!/usr/bin/env bash
# The servers under load: `quarry serve` (warm hybrid queries over one
# keep-alive connection; 8 keep-alive clients for DURATION seconds with an
# index refresh halfway, RSS at start and end) and `quarry mcp` (search round
# trips over stdio). Prints its figures.
#
#   QUARRY_BENCH_WORK=/tmp/bench Benchmarks/search.sh     # builds the >= 100,000-chunk index
#   Benchmarks/servers.sh /tmp/bench/corpus /tmp/bench/index.sqlite [DURATION]
#
# The refresh commits a new file to the corpus repository and runs
# `quarry index` on it while the clients query; every request must succeed
# and the new function must be found once the index run has committed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quarry=${QUARRY_BIN:-$root/.build/release/quarry}
exec python3 "$root/Benchmarks/servers.py" "$quarry" "$1" "$2" "${3:-60}"
