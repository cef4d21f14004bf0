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
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quarry=${1:-$root/.build/release/quarry}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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

python3 - "$quarry" "$index" <<'PY'
import resource, statistics, subprocess, sys, time
quarry, index = sys.argv[1], sys.argv[2]
queries = ["parse a date string", "open a socket connection", "read a config file", "where is the password checked",
           "compress data with zlib", "retry after a timeout", "sort a list of records", "json decoder error",
           "send an email message", "walk a directory tree", "http request headers", "base64 encode bytes",
           "thread pool executor", "logging handler rotation", "csv writer quoting", "unicode normalisation",
           "temporary file cleanup", "regular expression compile", "hash a password", "random sample"]
for mode in ["lexical", "semantic", "hybrid"]:
    times = []
    for q in queries:
        start = time.perf_counter()
        out = subprocess.run([quarry, "search", "--index", index, "--mode", mode, "--json", "-k", "10", q],
                             capture_output=True)
        times.append(time.perf_counter() - start)
        if out.returncode > 1:
            sys.exit(f"search failed: {out.stderr.decode()}")
    times.sort()
    print(f"{mode:9s} whole process over {len(queries)} queries: p50 {statistics.median(times)*1000:.0f} ms, "
          f"p90 {times[int(len(times)*0.9)-1]*1000:.0f} ms, max {times[-1]*1000:.0f} ms")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"peak memory of any search process: {peak:.0f} MB")
PY
