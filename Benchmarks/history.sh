#!/usr/bin/env bash
# History benchmark (no embeddings: --no-embed, so the figures are git,
# chunking and store work only).
#
# Builds a scratch repository of >= 5,000 real files (two CPython standard
# libraries from pyenv or the system python, plus /usr/include/linux) as a
# synthetic 20-commit history: the first commit holds most files, each later
# commit adds a slice of the rest and edits 5 existing files. Then measures
#   1. indexing HEAD alone into a fresh index,
#   2. indexing the last 20 first-parent commits (--history 20) into a fresh
#      index (target: at most 1.2x of 1.),
#   3. the CI refresh: a commit touching 5 files, re-indexed on top of 1.
#      (target: under 2 s), and the no-op re-run.
#
#   Benchmarks/history.sh [path/to/quarry]    (default .build/release/quarry)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quarry=${1:-$root/.build/release/quarry}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
mkdir -p "$corpus"

copy_stdlib() { # copy_stdlib DIR DEST
    mkdir -p "$2"
    (cd "$1" && tar --exclude=./site-packages --exclude=__pycache__ --exclude='*.pyc' \
        --exclude='./config-3*' -cf - .) | tar -xf - -C "$2"
}
stdlibs=()
for version in /root/.pyenv/versions/3.1[12]*/lib/python3.1[12]; do
    [[ -d $version ]] && stdlibs+=("$version")
done
[[ ${#stdlibs[@]} -eq 0 ]] && stdlibs+=("$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')")
for lib in "${stdlibs[@]}"; do copy_stdlib "$lib" "$corpus/$(basename "$lib")"; done
[[ -d /usr/include/linux ]] && mkdir -p "$corpus/include" && cp -r /usr/include/linux "$corpus/include/"

git_commit() { git -C "$corpus" -c user.name=bench -c user.email=bench@example.invalid commit -qm "$1"; }
git -C "$corpus" init -q
mapfile -t files < <(cd "$corpus" && find . -type f ! -path './.git/*' | sed 's|^\./||' | sort)
total=${#files[@]}
slice=$(( total / 100 ))          # each of the 19 later commits adds 1% of the files
first=$(( total - 19 * slice ))
printf '%s\0' "${files[@]:0:$first}" | git -C "$corpus" add --pathspec-from-file=- --pathspec-file-nul
git_commit "commit 1"
edit() { # append a line to 5 files spread over the tree
    local step=$1 count=$2
    for k in 0 1 2 3 4; do
        local file=${files[$(( (k * 997 + step * 131) % count ))]}
        printf '\n# edited in step %s\n' "$step" >> "$corpus/$file"
        git -C "$corpus" add -- "$file"
    done
}
for step in $(seq 2 20); do
    start=$(( first + (step - 2) * slice ))
    printf '%s\0' "${files[@]:$start:$slice}" | git -C "$corpus" add --pathspec-from-file=- --pathspec-file-nul
    edit "$step" "$start"
    git_commit "commit $step"
done
# Files past the last slice (rounding) go into the last commit.
git -C "$corpus" add -A && git_commit "rest" > /dev/null 2>&1 || true
bytes=$(git -C "$corpus" ls-files -z | (cd "$corpus" && du -cb --files0-from=- | tail -1 | cut -f1))
echo "corpus: ${stdlibs[*]} + /usr/include/linux -> $(git -C "$corpus" ls-files | wc -l) files, $bytes bytes, " \
     "$(git -C "$corpus" rev-list --count HEAD) commits"

run() { # run LABEL ARGS... : prints quarry's JSON summary, records wall time
    local start end
    start=$(date +%s.%N)
    "$quarry" index "$corpus" --no-embed --json --quiet "${@:2}" > "$work/$1.json"
    end=$(date +%s.%N)
    echo "$start $end" > "$work/$1.wall"
}
# Read every object once so neither timed run pays for a cold page cache.
git -C "$corpus" cat-file --batch-all-objects --batch > /dev/null
run head --index "$work/head.sqlite"
run history --index "$work/history.sqlite" --history 20
edit 21 "$(git -C "$corpus" ls-files | wc -l)"
git_commit "touch 5 files"
run refresh --index "$work/head.sqlite"
run noop --index "$work/head.sqlite"

python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
def load(name):
    with open(os.path.join(work, name + ".json")) as f:
        summary = json.load(f)
    with open(os.path.join(work, name + ".wall")) as f:
        start, end = map(float, f.read().split())
        summary["wall"] = end - start
    return summary
head, history, refresh, noop = (load(n) for n in ("head", "history", "refresh", "noop"))
print(f"HEAD alone:      {head['files_seen']} files, {head['new_blobs']} blobs, {head['chunks']} chunks: "
      f"{head['seconds']:.2f} s in quarry, {head['wall']:.2f} s wall")
older = history["new_blobs"] - head["new_blobs"]
ratio = history["seconds"] / head["seconds"]
print(f"--history 20:    {len(history['revisions'])} revisions, {history['new_blobs']} blobs ({older} only in older "
      f"commits), {history['chunks']} chunks: {history['seconds']:.2f} s in quarry, {history['wall']:.2f} s wall "
      f"= {ratio:.2f}x HEAD alone (target <= 1.2x)")
r = refresh["revisions"][0]
print(f"refresh, 5 files: base {r['base']}, {r['changed_files']} changed paths, {r['new_blobs']} new blobs, "
      f"{r['chunks']} chunks: {refresh['seconds']:.3f} s in quarry, {refresh['wall']:.3f} s wall (target < 2 s)")
print(f"no-op refresh:   {noop['new_blobs']} new blobs, unchanged={noop['revisions'][0]['unchanged']}: "
      f"{noop['seconds']:.3f} s in quarry, {noop['wall']:.3f} s wall")
PY
