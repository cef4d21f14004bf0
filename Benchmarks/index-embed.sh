#!/usr/bin/env bash
# End-to-end indexing benchmark WITH embeddings: commits a real corpus into a
# scratch git repository and indexes it with the default model, as a user's
# first `quarry index` would. Prints chunks/s, tokens/s, peak memory and the
# index size per chunk, then times a few whole-process semantic searches over
# the real vectors it made.
#
# It also times the first keyword answer: while the index runs, a lexical
# `quarry search` is tried every 0.25 s until one answers (a first index is
# searchable by keywords before its embedding ends).
#
# The default corpus is Debian's Python packages (/usr/lib/python3/dist-packages:
# 1,536 files, ~25,000 chunks; about 18 minutes on 2 cores). Any directory works.
# With QUARRY_BENCH_BEFORE set to another quarry binary (e.g. a copy of the last
# release), both index the same corpus one after the other and ratios are printed:
#
#   Benchmarks/index-embed.sh [corpus-dir] [path/to/quarry]
#   QUARRY_BENCH_BEFORE=/tmp/quarry-old Benchmarks/index-embed.sh [corpus-dir]
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

python3 - "$work" "$quarry" ${QUARRY_BENCH_BEFORE:-} <<'PY'
import glob, json, os, statistics, subprocess, sys, time
work, binaries = sys.argv[1], sys.argv[2:]
corpus = os.path.join(work, "corpus")
binaries = binaries[1:] + binaries[:1]   # the binary before first, when given

def run(quarry, args):
    """stdout, stderr and wall seconds of one quarry process."""
    start = time.perf_counter()
    child = subprocess.Popen([quarry] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    seconds = time.perf_counter() - start
    if child.returncode > 1:
        sys.exit(f"quarry {' '.join(args)} failed: {err.decode()}")
    return out.decode(), err.decode(), seconds, child.returncode

def index(quarry, path):
    """Indexes the corpus, polling for the first keyword answer meanwhile."""
    start = time.perf_counter()
    child = subprocess.Popen([quarry, "index", corpus, "--index", path, "--json", "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = None
    while child.poll() is None and first is None:
        time.sleep(0.25)
        probe = subprocess.run([quarry, "search", "--index", path, "--mode", "lexical", "-k", "1", "import"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if probe.returncode == 0 and probe.stdout.strip():
            first = time.perf_counter() - start
    out, err = child.communicate()
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        sys.exit(f"quarry index failed: {err.decode()}")
    return json.loads(out), seconds, first

results = {}
for number, quarry in enumerate(binaries):
    label = "before" if len(binaries) > 1 and number == 0 else "after" if len(binaries) > 1 else "quarry"
    path = os.path.join(work, f"index-{number}.sqlite")
    summary, seconds, first = index(quarry, path)
    size = os.path.getsize(path) + sum(os.path.getsize(f) for f in glob.glob(path + ".vectors/*"))
    chunks, embedded = summary["chunks"], summary["embedded"]
    tokens, embed_s = summary.get("embedded_tokens", 0), summary["embedding_seconds"]
    results[label] = (chunks / seconds, tokens / embed_s if embed_s else 0, summary["peak_rss_bytes"], first)
    print(f"{label}: {quarry}")
    print(f"index:  {summary['files_seen']} files, {chunks} chunks, {embedded} distinct texts embedded "
          f"({tokens} tokens) with {summary['model']}")
    print(f"        {seconds:.1f} s whole process = {chunks / seconds:.1f} chunks/s; embedding phase {embed_s:.1f} s = "
          f"{embedded / embed_s:.1f} texts/s, {tokens / embed_s:.0f} tokens/s")
    print(f"        first keyword answer {'%.1f s after start' % first if first else 'only after the run ended'}")
    print(f"        peak memory {summary['peak_rss_bytes'] / 2**20:.0f} MiB; index {size / 1e6:.1f} MB = "
          f"{size / chunks / 1024:.2f} KiB per chunk (SQLite {os.path.getsize(path) / 1e6:.1f} MB, "
          f"vector file {(size - os.path.getsize(path)) / 1e6:.1f} MB)")
    queries = ["parse a configuration file", "open a network connection", "verify a signature",
               "decode json", "read a zip archive", "retry a request", "format a date", "escape html"]
    walls = []
    for q in queries:
        _, err, wall, _ = run(quarry, ["search", "--index", path, "--mode", "hybrid", "--stats", "-k", "10", q])
        walls.append(wall)
    print(f"search: hybrid, whole process, {len(queries)} queries over these real vectors: "
          f"p50 {statistics.median(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms")
    print("        last: " + err.strip().splitlines()[-1])
if len(results) == 2:
    (b_rate, b_tok, _, _), (a_rate, a_tok, _, _) = results["before"], results["after"]
    print(f"after/before: chunks/s {a_rate / b_rate:.2f}x, embedding tokens/s {a_tok / b_tok:.2f}x")
PY
