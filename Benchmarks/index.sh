#!/usr/bin/env bash
# Indexing benchmark (no embeddings): commits a real corpus (the CPython
# standard library of this machine's python3, ~2,400 files) into a scratch git
# repository, indexes it from scratch, then re-indexes the unchanged repository.
# Prints files/s, MB/s, chunks/s, peak memory, index size and the no-op time.
#
#   Benchmarks/index.sh [path/to/quarry]    (default .build/release/quarry)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quarry=${1:-$root/.build/release/quarry}
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/cpython-lib
mkdir -p "$corpus"
(cd "$stdlib" && tar --exclude=./site-packages --exclude=__pycache__ --exclude='*.pyc' \
    --exclude='./config-3*' -cf - .) | tar -xf - -C "$corpus"
git -C "$corpus" init -q
git -C "$corpus" add -A
git -C "$corpus" -c user.name=bench -c user.email=bench@example.invalid commit -qm corpus
files=$(git -C "$corpus" ls-files | wc -l)
bytes=$(git -C "$corpus" ls-files -z | (cd "$corpus" && du -cb --files0-from=- | tail -1 | cut -f1))
echo "corpus: $stdlib -> $files files, $bytes bytes"

index=$work/index.sqlite
cold=$("$quarry" index "$corpus" --index "$index" --json --quiet --no-embed)
warm_start=$(date +%s.%N)
warm=$("$quarry" index "$corpus" --index "$index" --json --quiet --no-embed)
warm_end=$(date +%s.%N)
python3 - "$cold" "$warm" "$bytes" "$(stat -c %s "$index")" "$warm_start" "$warm_end" <<'PY'
import json, sys
cold, warm = json.loads(sys.argv[1]), json.loads(sys.argv[2])
total_bytes, index_size = int(sys.argv[3]), int(sys.argv[4])
wall_noop = float(sys.argv[6]) - float(sys.argv[5])
s = cold["seconds"]
print(f"cold index:  {cold['files_seen']} files, {cold['new_blobs']} blobs, {cold['chunks']} chunks, "
      f"skipped {cold['skipped']}")
print(f"             {s:.2f} s = {cold['files_seen']/s:.0f} files/s, {total_bytes/s/1e6:.1f} MB/s of all blobs "
      f"({cold['bytes']/s/1e6:.1f} MB/s of the {cold['bytes']/1e6:.1f} MB chunked), "
      f"{cold['chunks']/s:.0f} chunks/s, peak memory {cold.get('peak_rss_bytes', 0)/1e6:.0f} MB")
print(f"index size:  {index_size/1e6:.1f} MB ({index_size/max(cold['chunks'],1):.0f} bytes/chunk)")
print(f"no-op index: {warm['seconds']:.3f} s inside quarry, {wall_noop:.3f} s whole process "
      f"({warm['new_blobs']} new blobs)")
PY
