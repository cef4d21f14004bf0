#!/usr/bin/env bash
# Installs what Quarry needs, builds it in release mode, indexes this checkout
# and answers a question about it. Pass another repository and question to
# try your own:  scripts/run.sh ~/src/project "where is auth handled"
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repo=${1:-$root}
question=${2:-"parse command line options"}
"$root/scripts/setup.sh"
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
cd "$root"
swift build -c release -Xswiftc -enable-testing
quarry=$root/.build/release/quarry
"$root/scripts/install-model.sh" "$quarry"
"$quarry" index "$repo"
status=0
"$quarry" search --repo "$repo" -k 5 "$question" || status=$?
# grep-like: 1 means "no results", which is still a working run.
[[ $status -le 1 ]]
