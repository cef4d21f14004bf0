#!/usr/bin/env bash
# Drives `quarry mcp` with the official MCP Python SDK (PyPI mcp==2.3.0) in
# modes legacy, auto and 2026-07-28 (Tests/Interop/mcp_client.py).
#
#   scripts/mcp-interop.sh QUARRY_BINARY INDEXED_REPOSITORY
#
# The SDK lives in a virtual environment under .build/ (ignored by git),
# created on the first run and reused after.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=$1 repository=$2
venv=$root/.build/mcp-venv
version=2.3.0
if ! "$venv/bin/python" -c "import mcp, importlib.metadata as m; assert m.version('mcp') == '$version'" 2>/dev/null; then
    echo "mcp-interop: creating $venv with mcp==$version" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "mcp==$version" >&2
fi
exec timeout 300 "$venv/bin/python" "$root/Tests/Interop/mcp_client.py" "$binary" "$repository"
