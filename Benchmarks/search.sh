#!/usr/bin/env bash
# Search latency benchmark: `quarry search` as a whole process (model load and
# query embedding included) over an index of >= 100,000 chunks.
#
# The corpus is the standard libraries of the Python versions under pyenv (or
# any directories given in QUARRY_BENCH_DIRS), committed into a scratch repo and
# indexed for real (chunks, FTS). Embedding 100k chunks on 2 cores takes hours,
# so the vectors are SYNTHESISED: random unit vectors written for every chunk
# text under the installed default model's identity (name + fingerprint, taken
# from a real index of a small repository). Scoring cost does not depend on the
# values, so latency is representative; rankings are not.
#
#   Benchmarks/search.sh [path/to/quarry]
#   QUARRY_BENCH_WORK=/tmp/bench Benchmarks/search.sh    # keep /tmp/bench/{corpus,index.sqlite}
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quarry=${1:-$root/.build/release/quarry}
# QUARRY_BENCH_WORK=DIR builds in DIR and keeps the corpus and index there
# (Benchmarks/servers.sh measures the servers over them).
if [[ -n ${QUARRY_BENCH_WORK:-} ]]; then
    work=$QUARRY_BENCH_WORK
    rm -rf "$work/corpus" "$work/tiny" "$work"/index.sqlite* "$work"/tiny.sqlite*
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
corpus=$work/corpus
mkdir -p "$corpus"
dirs=${QUARRY_BENCH_DIRS:-$(ls -d /root/.pyenv/versions/3.*/lib/python3.* 2>/dev/null | head -4 | tr '\n' ' ')}
n=0
for d in $dirs; do
    n=$((n + 1))
    mkdir -p "$corpus/$n"
    (cd "$d" && tar --exclude=./site-packages --exclude=__pycache__ --exclude='*.pyc' --exclude='./config-3*' \
        -cf - .) | tar -xf - -C "$corpus/$n"
done
git -C "$corpus" init -q
git -C "$corpus" add -A
git -C "$corpus" -c user.name=bench -c user.email=bench@example.invalid commit -qm corpus
index=$work/index.sqlite
"$quarry" index "$corpus" --index "$index" --no-embed --quiet --json > "$work/index.json"

# The model's identity as quarry records it, from a real (tiny) embedded index.
tiny=$work/tiny
mkdir -p "$tiny" && cp "$root/Fixtures/multilingual/auth.py" "$tiny/"
git -C "$tiny" init -q && git -C "$tiny" add -A
git -C "$tiny" -c user.name=bench -c user.email=bench@example.invalid commit -qm tiny
"$quarry" index "$tiny" --index "$work/tiny.sqlite" --quiet

python3 - "$index" "$work/tiny.sqlite" "$work/index.json" <<'PY'
import json, random, sqlite3, struct, sys
index, tiny, summary = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
name, revision, dim = sqlite3.connect(tiny).execute("SELECT name, revision, dim FROM models").fetchone()
db = sqlite3.connect(index)
db.execute("INSERT OR IGNORE INTO models(name, revision, dim) VALUES (?, ?, ?)", (name, revision, dim))
model_id = db.execute("SELECT id FROM models WHERE name = ? AND revision = ?", (name, revision)).fetchone()[0]
rng = random.Random(7)
hashes = [h for (h,) in db.execute("SELECT DISTINCT content_hash FROM chunks")]
def unit():
    v = [rng.gauss(0, 1) for _ in range(dim)]
    s = sum(x * x for x in v) ** 0.5
    return struct.pack(f"<{dim}f", *(x / s for x in v))
db.executemany("INSERT OR REPLACE INTO embeddings(content_hash, model_id, dim, vector) VALUES (?, ?, ?, ?)",
               ((h, model_id, dim, unit()) for h in hashes))
db.commit()
chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
print(f"index: {summary['files_seen']} files, {chunks} chunks, {len(hashes)} synthesised {dim}-d vectors "
      f"for model {name}")
PY

# The synthesised rows bypassed quarry: a no-op index run writes the vector
# file that searches map (as it does for an index made by an older Quarry).
start=$(date +%s.%N)
"$quarry" index "$corpus" --index "$index" --quiet
echo "vector file written by a no-op index run in $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s:" \
    "$(du -m "$index".vectors/*.qvec | cut -f1) MB"

python3 - "$quarry" "$index" "$root/Benchmarks/queries.txt" <<'PY'
import os, re, statistics, subprocess, sys, time
quarry, index = sys.argv[1], sys.argv[2]
queries = open(sys.argv[3]).read().splitlines()  # shared with Benchmarks/servers.py

def run(mode, query):
    """Wall seconds, peak RSS (MB) and the --stats line of one whole `quarry search` process."""
    start = time.perf_counter()
    child = subprocess.Popen([quarry, "search", "--index", index, "--mode", mode, "--json", "-k", "10", "--stats",
                              query], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) > 1:
        sys.exit(f"search failed: {stderr}")
    return seconds, usage.ru_maxrss / 1024, stderr

def ms(pattern, stats):
    found = re.search(pattern + r" ([0-9.]+) ms", stats)
    return float(found.group(1)) if found else 0.0

peak = 0
for mode in ["lexical", "semantic", "hybrid"]:
    run(mode, "warm up")  # page cache: the first process after indexing reads the files from disk
    times, memory, scoring, model = [], [], [], []
    for q in queries:
        seconds, rss, stats = run(mode, q)
        times.append(seconds)
        memory.append(rss)
        scoring.append(ms("vector scoring", stats))
        model.append(ms("model load", stats) + ms("query embedding", stats))
    times.sort()
    peak = max(peak, max(memory))
    line = (f"{mode:9s} whole process over {len(queries)} queries: p50 {statistics.median(times)*1000:.0f} ms, "
            f"p90 {times[int(len(times)*0.9)-1]*1000:.0f} ms, max {times[-1]*1000:.0f} ms; peak RSS {max(memory):.0f} MB")
    if mode != "lexical":
        line += (f"; model load + query embedding p50 {statistics.median(model):.1f} ms"
                 f", vector scoring p50 {statistics.median(scoring):.1f} ms")
    print(line)
print(f"peak memory of any search process: {peak:.0f} MB")
PY
