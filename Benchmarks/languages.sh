#!/usr/bin/env bash
# Chunking throughput per language: assembles a corpus of real code for each language from
# Debian binary packages that ship sources and from PyPI sdists (pinned by version), then runs
# RealSourceTests.testThroughputOverLanguageCorpora, which prints, per language, files, MB,
# chunks, wall and CPU MB/s (one thread). Needs the release test build and the grammars
# (Grammars/build.sh).
#
#   Benchmarks/languages.sh [CORPUS_DIR]     (default $QUARRY_HOME/corpus-languages)
#   BEFORE=/tmp/old.xctest Benchmarks/languages.sh
#
# BEFORE names a copy of .build/release/QuarryPackageTests.xctest kept from before a change:
# the two builds then run alternately (before, after, before, after) in one run, each printing
# its figures, and their chunk lists of the whole corpus (RealSourceTests.testChunkListsOfLanguageCorpora)
# must be identical. Compare ratios to Python and JavaScript within a run: the CPU is shared.
#
# Kotlin and Scala: no Debian package or PyPI sdist of real code of a useful size was found
# (Debian's kotlin and scala packages ship jars), so they are measured on this repository's
# fixtures only and their figure is marked as such.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${QUARRY_HOME:-$HOME/.cache/quarry}
corpus=${1:-$home/corpus-languages}
debs=$corpus/.debs
mkdir -p "$debs"

# collect LANGUAGE SOURCE_DIR EXTENSION...: copies the files with these extensions.
collect() {
    local language=$1 source=$2; shift 2
    local expression=() extension
    for extension in "$@"; do expression+=(-o -name "*.$extension"); done
    mkdir -p "$corpus/$language"
    find "$source" -type f \( -false "${expression[@]}" \) -print0 |
        while IFS= read -r -d '' file; do
            cp "$file" "$corpus/$language/$(echo "${file#"$source"/}" | tr '/' '_')"
        done
}

if [[ ! -f $corpus/.done ]]; then
    packages=(librust-syn-dev librust-regex-dev librust-tokio-dev node-typescript bash-completion
              lua-penlight luarocks lua-ldoc nodejs-doc)
    (cd "$debs" && apt-get download "${packages[@]}" >/dev/null 2>&1) || { apt-get update -qq; (cd "$debs" && apt-get download "${packages[@]}"); }
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$debs/root"; done
    collect rust "$debs/root/usr/share/cargo/registry" rs
    collect typescript "$debs/root/usr/share/nodejs/typescript" ts
    collect bash "$debs/root/usr/share/bash-completion" bash sh
    find "$debs/root/usr/share/bash-completion/completions" -type f -print0 |
        while IFS= read -r -d '' file; do cp "$file" "$corpus/bash/completion_$(basename "$file")"; done
    collect lua "$debs/root/usr/share/lua" lua
    collect markdown "$debs/root/usr/share/doc" md
    # Debian compresses documentation: Node.js's API reference is 62 gzipped Markdown files.
    find "$debs/root/usr/share/doc" -name '*.md.gz' -print0 |
        while IFS= read -r -d '' file; do
            gzip -dc "$file" >"$corpus/markdown/$(echo "${file#"$debs/root/usr/share/doc/"}" | tr '/' '_' | sed 's/\.gz$//')"
        done
    # PyPI sdists, fetched like Grammars/build.sh does (by file name from the JSON listing).
    python3 - "$debs" pythonnet pythonnet-3.0.5.tar.gz sphinx sphinx-7.2.6.tar.gz <<'PY'
import json, os, sys, urllib.request
dest, pairs = sys.argv[1], sys.argv[2:]
for package, filename in zip(pairs[::2], pairs[1::2]):
    target = os.path.join(dest, filename)
    if os.path.exists(target):
        continue
    request = urllib.request.Request(f"https://pypi.org/simple/{package}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    files = json.load(urllib.request.urlopen(request, timeout=60))["files"]
    url = next(f["url"] for f in files if f["filename"] == filename)
    urllib.request.urlretrieve(url, target)
PY
    mkdir -p "$debs/pythonnet" "$debs/sphinx"
    tar -xzf "$debs/pythonnet-3.0.5.tar.gz" -C "$debs/pythonnet"
    tar -xzf "$debs/sphinx-7.2.6.tar.gz" -C "$debs/sphinx"
    collect csharp "$debs/pythonnet" cs
    collect rst "$debs/sphinx" rst
    collect swift "$root/Sources" swift
    collect kotlin "$root/Fixtures/chunker/kotlin" kt
    collect scala "$root/Fixtures/chunker/scala" scala
    collect tsx "$root/Fixtures/chunker/tsx" tsx
    touch "$corpus/.done"
fi
du -sh "$corpus"/*/ | sed "s|$corpus/||"
cd "$root"
if [[ -z ${BEFORE:-} ]]; then
    QUARRY_LANGUAGE_CORPUS=$corpus swift test -c release -Xswiftc -enable-testing --skip-build \
        --filter 'RealSourceTests/testThroughput' 2>&1 | grep -E 'chunker throughput|error|Executed .* tests'
    exit 0
fi
after=$root/.build/release/QuarryPackageTests.xctest
[[ -x $BEFORE && -x $after ]] || { echo "languages.sh: need $BEFORE and $after (build with --build-tests)" >&2; exit 2; }
lists=$(mktemp -d)
trap 'rm -rf "$lists"' EXIT
for round in 1 2; do
    for build in before after; do
        binary=$BEFORE; [[ $build == after ]] && binary=$after
        QUARRY_LANGUAGE_CORPUS=$corpus "$binary" ChunkerTests.RealSourceTests 2>&1 |
            grep -E 'chunker throughput|error:' | sed "s/^/$build $round: /"
    done
done
for build in before after; do
    binary=$BEFORE; [[ $build == after ]] && binary=$after
    QUARRY_LANGUAGE_CORPUS=$corpus QUARRY_CHUNK_LISTS=$lists/$build.tsv \
        "$binary" ChunkerTests.RealSourceTests/testChunkListsOfLanguageCorpora >/dev/null 2>&1
done
if cmp -s "$lists/before.tsv" "$lists/after.tsv"; then
    echo "chunk lists: identical ($(wc -l <"$lists/after.tsv") chunks)"
else
    echo "chunk lists differ:"; diff "$lists/before.tsv" "$lists/after.tsv" | head -20; exit 1
fi
