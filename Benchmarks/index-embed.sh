#!/usr/bin/env bash
# End-to-end indexing benchmark WITH embeddings: commits a real corpus into a
# scratch git repository and indexes it with the default model, as a user's
# first `quarry index` would. Prints chunks/s, tokens/s, peak memory and the
# index size per chunk, then times a few whole-process semantic searches over
# the real vectors it made.
#
# The default corpus is Debian's Python packages (/usr/lib/python3/dist-packages:
# 1,536 files, ~25,000 chunks; about 18 minutes on 2 cores). Any directory works:
#
#   Benchmarks/index-embed.sh [corpus-dir] [path/to/quarry]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source_dir=${1:-/usr/lib/python3/dist-packages}
quarry=${2:-$root/.build/release/quarry}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
mkdir -p "$corpus"
(cd "$source_dir" && tar --exclude=__pycache__ --exclude='*.pyc' -cf - .) | tar -xf - -C "$corpus"
git -C "$corpus" init -q
git -C "$corpus" add -A
git -C "$corpus" -c user.name=bench -c user.email=bench@example.invalid commit -qm corpus
echo "corpus: $source_dir -> $(git -C "$corpus" ls-files | wc -l) files; load average $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$quarry" "$corpus" "$work/index.sqlite" <<'PY'
import glob, json, os, statistics, subprocess, sys, time
quarry, corpus, index = sys.argv[1:4]

def run(args):
    """stdout, stderr and wall seconds of one quarry process."""
    start = time.perf_counter()
    child = subprocess.Popen([quarry] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    seconds = time.perf_counter() - start
    if child.returncode > 1:
        sys.exit(f"quarry {' '.join(args)} failed: {err.decode()}")
    return out.decode(), err.decode(), seconds

out, _, seconds = run(["index", corpus, "--index", index, "--json", "--quiet"])
summary = json.loads(out)
size = os.path.getsize(index) + sum(os.path.getsize(f) for f in glob.glob(index + ".vectors/*"))
chunks, embedded = summary["chunks"], summary["embedded"]
tokens, embed_s = summary.get("embedded_tokens", 0), summary["embedding_seconds"]
print(f"index:  {summary['files_seen']} files, {chunks} chunks, {embedded} distinct texts embedded "
      f"({tokens} tokens) with {summary['model']}")
print(f"        {seconds:.1f} s whole process = {chunks / seconds:.1f} chunks/s; embedding phase {embed_s:.1f} s = "
      f"{embedded / embed_s:.1f} texts/s, {tokens / embed_s:.0f} tokens/s")
print(f"        peak memory {summary['peak_rss_bytes'] / 2**20:.0f} MiB; index {size / 1e6:.1f} MB = "
      f"{size / chunks / 1024:.2f} KiB per chunk (SQLite {os.path.getsize(index) / 1e6:.1f} MB, "
      f"vector file {(size - os.path.getsize(index)) / 1e6:.1f} MB)")

queries = ["parse a configuration file", "open a network connection", "verify a signature",
           "decode json", "read a zip archive", "retry a request", "format a date", "escape html"]
walls = []
for q in queries:
    _, err, wall = run(["search", "--index", index, "--mode", "hybrid", "--stats", "-k", "10", q])
    walls.append(wall)
print(f"search: hybrid, whole process, {len(queries)} queries over these real vectors: "
      f"p50 {statistics.median(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms")
print("        last: " + err.strip().splitlines()[-1])
PY
