#!/usr/bin/env bash
# Team index benchmark (issue 15): `quarry push` into PostgreSQL + pgvector and
# `quarry search --db`, on a private server from scripts/pg-up.sh.
#
#   Benchmarks/pg.sh [path/to/quarry]            all parts
#   QUARRY_BENCH_PARTS="push search" Benchmarks/pg.sh   some of: push search concurrency
#   QUARRY_BENCH_EF="100" Benchmarks/pg.sh               the ef_search values swept (default 40 100 200 400)
#
# push:        a real corpus (CPython 3.12's standard library without tests, plus
#              3.11's asyncio and distutils: ~25k chunks) indexed for real, with SYNTHESISED
#              clustered vectors (Benchmarks/pg/vectors.py; embedding 25k chunks
#              on 2 cores takes most of an hour), pushed into an empty
#              database; then a 5-file commit, re-indexed and re-pushed.
# search:      1,000,000 synthesised clustered vectors (and chunks, blobs,
#              files) across 50 repositories, written by SQL and binary COPY;
#              HNSW build time, semantic latency inside the database (the SQL
#              `quarry search --db` runs), recall@10 of HNSW against exact
#              search, and whole-process `quarry search --db` latency.
# concurrency: two repositories pushed again and again (a commit each time)
#              while 4 searchers run `quarry search --db` for 60 s; counts
#              errors and checks every answer against the committed revisions.
# Needs root (scripts/pg-up.sh) and python3 with numpy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quarry=${1:-$root/.build/release/quarry}
parts=${QUARRY_BENCH_PARTS:-push search concurrency}
work=$(mktemp -d)
export QUARRY_PG_RUN=/tmp/quarry-pg-bench-$$
# QUARRY_BENCH_KEEP=1 leaves the server and the work directory for a look afterwards.
[[ -n ${QUARRY_BENCH_KEEP:-} ]] || trap '"$root/scripts/pg-down.sh"; rm -rf "$work"' EXIT
url=$("$root/scripts/pg-up.sh" | tail -1)
psql_bin=$(awk '{print $1}' "$QUARRY_PG_RUN/superuser-psql")
vectors=$root/Benchmarks/pg/vectors.py
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.2f}')"; }
schema_url() { echo "$url?options=-csearch_path%3D$1%2Cpublic"; }
sql() { local schema=$1; shift; "$psql_bin" "$(schema_url "$schema")" -X -q -v ON_ERROR_STOP=1 -tA "$@"; }
sql_admin() { "$psql_bin" "$url" -X -q -v ON_ERROR_STOP=1 -tA "$@"; }
say() { printf '%s\n' "$*"; }

# A git repository at $1 holding the standard library $2 (no tests), plus each further directory under extra-NAME/.
make_corpus() {
    local target=$1 stdlib=$2; shift 2
    mkdir -p "$target"
    (cd "$stdlib" && tar --exclude=./site-packages --exclude=./test --exclude=__pycache__ --exclude='*.pyc' \
        --exclude='./config-3*' -cf - .) | tar -xf - -C "$target"
    for extra in "$@"; do cp -r "$extra" "$target/extra-$(basename "$extra")"; done
    set -- "$target"
    git -C "$1" init -q && git -C "$1" add -A
    git -C "$1" -c user.name=bench -c user.email=bench@example.invalid commit -qm corpus
}

# Index $1 into $2 without embedding, then synthesise vectors for its new texts.
index_corpus() {
    "$quarry" index "$1" --index "$2" --no-embed --quiet
    python3 "$vectors" index "$2" "$work/tiny.sqlite" "${3:-1}" >/dev/null
}

# Append a function to the first $2 Python files of repository $1 and commit.
commit_change() {
    local n=0
    for f in $(git -C "$1" ls-files '*.py' | head -"$2"); do
        printf '\n\ndef bench_change_%s_%s():\n    return %s\n' "$n" "$RANDOM" "$RANDOM" >>"$1/$f"
        n=$((n + 1))
    done
    git -C "$1" -c user.name=bench -c user.email=bench@example.invalid commit -qam "change $2 files"
}

py312=/root/.pyenv/versions/3.12.1/lib/python3.12
py311=/root/.pyenv/versions/3.11.7/lib/python3.11
# The installed model's identity, from a real (tiny) embedded index.
mkdir -p "$work/tiny" && cp "$root/Fixtures/multilingual/auth.py" "$work/tiny/"
git -C "$work/tiny" init -q && git -C "$work/tiny" add -A
git -C "$work/tiny" -c user.name=bench -c user.email=bench@example.invalid commit -qm tiny
"$quarry" index "$work/tiny" --index "$work/tiny.sqlite" --quiet
say "work: $work; server: $QUARRY_PG_RUN"
say "server: PostgreSQL $(sql_admin -c 'SHOW server_version'), pgvector $(sql_admin -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'"); quarry $quarry"

if [[ " $parts " == *" push "* ]]; then
    say "== push"
    make_corpus "$work/c1" "$py312" "$py311/asyncio" "$py311/distutils"
    index_corpus "$work/c1" "$work/c1.sqlite" 1
    chunks=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM chunks').fetchone()[0])" "$work/c1.sqlite")
    sql_admin -c "CREATE SCHEMA push"
    start=$(now)
    "$quarry" push --index "$work/c1.sqlite" --repo "$work/c1" --name stdlib --json "$(schema_url push)" >"$work/push1.json"
    seconds=$(since "$start")
    say "first push: $chunks chunks with vectors in $seconds s = $(python3 -c "print(round($chunks / $seconds))") chunks/s; $(cat "$work/push1.json")"
    say "  (HNSW indexes built by the push: $(sql push -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'push' AND indexname LIKE 'quarry_embeddings_hnsw%'"); below TeamStore.hnswThreshold searches scan exactly)"
    commit_change "$work/c1" 5
    start=$(now)
    index_corpus "$work/c1" "$work/c1.sqlite" 2
    say "re-index after a 5-file commit (no embedding): $(since "$start") s"
    start=$(now)
    "$quarry" push --index "$work/c1.sqlite" --repo "$work/c1" --name stdlib --json "$(schema_url push)" >"$work/push2.json"
    say "re-push after a 5-file commit: $(since "$start") s; $(cat "$work/push2.json")"
    start=$(now)
    "$quarry" push --index "$work/c1.sqlite" --repo "$work/c1" --name stdlib --json "$(schema_url push)" >/dev/null
    say "push with nothing new: $(since "$start") s"
    say "database size: $(sql push -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'push' AND c.relkind = 'r'")"
fi

if [[ " $parts " == *" search "* ]]; then
    say "== search over 1,000,000 synthesised vectors in 50 repositories"
    sql_admin -c "CREATE SCHEMA big"
    "$quarry" push --index "$work/tiny.sqlite" --repo "$work/tiny" --name tiny "$(schema_url big)" >/dev/null
    model=$(sql big -c "SELECT id FROM quarry_models")
    start=$(now)
    sql big <<'SQL'
DROP INDEX quarry_texts_words;
INSERT INTO quarry_repositories(name) SELECT 'repo-' || r FROM generate_series(1, 50) r;
INSERT INTO quarry_revisions(repository_id, name, commit_id, tree_id, commit_time, author, subject)
SELECT id, 'HEAD', md5(name), md5(name || 't'), now(), 'bench', 'synthetic' FROM quarry_repositories WHERE name LIKE 'repo-%';
UPDATE quarry_repositories p SET default_revision_id = r.id FROM quarry_revisions r WHERE r.repository_id = p.id;
INSERT INTO quarry_texts(content_hash, body, words)
SELECT sha256(('synthetic ' || i)::bytea), 'def synthetic_' || i || '(): return ' || (i % 977),
       to_tsvector('simple', 'synthetic_' || i || ' synthetic ' || (i % 977) || ' word' || (i % 5003))
FROM generate_series(1, 1000000) i ORDER BY i;
INSERT INTO quarry_blobs(oid, language, size, chunk_count)
SELECT md5('blob ' || b), 'python', 1000, 10 FROM generate_series(1, 100000) b ORDER BY b;
INSERT INTO quarry_chunks(blob_id, ordinal, kind, symbol, start_line, end_line, start_byte, end_byte, text_id)
SELECT b.id, o, 'function', 'synthetic_' || t.id, o * 10 + 1, o * 10 + 9, o * 100, o * 100 + 99, t.id
FROM quarry_blobs b CROSS JOIN generate_series(0, 9) o
JOIN quarry_texts t ON t.content_hash = sha256(('synthetic ' || ((b.id - (SELECT min(id) FROM quarry_blobs WHERE oid = md5('blob 1'))) * 10 + o + 1))::bytea)
WHERE b.chunk_count = 10;
INSERT INTO quarry_files(revision_id, path, blob_id)
SELECT r.id, 'src/module_' || b.id || '.py', b.id
FROM quarry_blobs b JOIN quarry_revisions r ON r.repository_id = (SELECT min(id) FROM quarry_repositories WHERE name LIKE 'repo-%') + (b.id % 50)
WHERE b.chunk_count = 10;
CREATE INDEX quarry_texts_words ON quarry_texts USING gin(words);
SQL
    first=$(sql big -c "SELECT min(id) FROM quarry_texts WHERE body LIKE 'def synthetic_%'")
    say "rows written by SQL in $(since "$start") s: $(sql big -c "SELECT count(*) FROM quarry_chunks") chunks, $(sql big -c "SELECT count(*) FROM quarry_files") files, $(sql big -c "SELECT count(*) FROM quarry_repositories") repositories"
    start=$(now)
    python3 "$vectors" copy 1000000 "$model" "$first" 11 |
        sql big -c "\\copy quarry_embeddings FROM STDIN (FORMAT binary)"
    say "1,000,000 halfvec(384) vectors COPY'd in $(since "$start") s"
    start=$(now)
    sql big -c "SET maintenance_work_mem = '4GB'; SET max_parallel_maintenance_workers = 2;
        CREATE INDEX quarry_embeddings_hnsw_$model ON quarry_embeddings USING hnsw ((vector::halfvec(384)) halfvec_cosine_ops)
        WITH ($(grep -o '"m = [^"]*"' "$root/Sources/TeamStore/TeamStore.swift" | tr -d '"')) WHERE model_id = $model;
        ANALYZE quarry_texts, quarry_blobs, quarry_chunks, quarry_files, quarry_embeddings"
    say "HNSW index ($(grep -o '"m = [^"]*"' "$root/Sources/TeamStore/TeamStore.swift" | tr -d '"')) built in $(since "$start") s; table + indexes $(sql big -c "SELECT pg_size_pretty(pg_total_relation_size('quarry_embeddings'))")"
    python3 "$vectors" queries 100 11 >"$work/queries.txt"
    revisions="{$(sql big -c "SELECT string_agg(default_revision_id::text, ',') FROM quarry_repositories")}"
    # The statement `quarry search --db` runs for a semantic search with -k 10 (TeamSearch.semanticHits).
    semantic_sql() {
        cat <<SQL
WITH ranked AS MATERIALIZED (
  SELECT e.text_id, e.vector::halfvec(384) <=> '$1'::halfvec(384) AS distance FROM quarry_embeddings e
  WHERE e.model_id = $model AND EXISTS (SELECT 1 FROM quarry_chunks c JOIN quarry_files f ON f.blob_id = c.blob_id
      WHERE c.text_id = e.text_id AND f.revision_id = ANY('$revisions'::bigint[]))
  ORDER BY distance LIMIT 50)
SELECT c.id, f.revision_id, f.path, b.oid, b.language, c.kind, c.symbol, c.start_line, c.end_line, c.start_byte,
       c.end_byte, t.body, t.content_hash, 1 - ranked.distance
FROM ranked JOIN quarry_chunks c ON c.text_id = ranked.text_id
JOIN quarry_files f ON f.blob_id = c.blob_id AND f.revision_id = ANY('$revisions'::bigint[])
JOIN quarry_blobs b ON b.id = c.blob_id JOIN quarry_texts t ON t.id = ranked.text_id
ORDER BY ranked.distance, f.revision_id, f.path, c.ordinal;
SQL
    }
    # Latency inside the database and recall@10 against exact search, per ef_search.
    nearest_sql() {  # $1 query vector, $2 extra settings: the HNSW (or exact) top 10 text ids
        echo "BEGIN; SET LOCAL hnsw.iterative_scan = relaxed_order; $2
              SELECT string_agg(text_id::text, ',') FROM (SELECT e.text_id FROM quarry_embeddings e
              WHERE e.model_id = $model AND EXISTS (SELECT 1 FROM quarry_chunks c JOIN quarry_files f ON f.blob_id = c.blob_id
                  WHERE c.text_id = e.text_id AND f.revision_id = ANY('$revisions'::bigint[]))
              ORDER BY e.vector::halfvec(384) <=> '$1'::halfvec(384) LIMIT 10) x; COMMIT;"
    }
    while read -r q; do nearest_sql "$q" "SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off;"
    done < <(head -50 "$work/queries.txt") | sql big >"$work/exact.txt"
    for ef in ${QUARRY_BENCH_EF:-40 100 200 400}; do
        {
            echo "BEGIN; SET LOCAL hnsw.ef_search = $ef; SET LOCAL hnsw.iterative_scan = relaxed_order;"
            echo "\\o /dev/null"
            echo "\\timing on"
            while read -r q; do semantic_sql "$q"; done <"$work/queries.txt"
            echo "COMMIT;"
        } >"$work/latency.sql"
        sql big -f "$work/latency.sql" >/dev/null   # warm the cache
        sql big -f "$work/latency.sql" | grep -o 'Time: [0-9.]*' | awk '{print $2}' | sort -n >"$work/latency.txt"
        while read -r q; do nearest_sql "$q" "SET LOCAL hnsw.ef_search = $ef;"; done < <(head -50 "$work/queries.txt") |
            sql big >"$work/hnsw.txt"
        recall=$(python3 - "$work/hnsw.txt" "$work/exact.txt" <<'PY'
import sys
a, b = ([set(l.split(",")) for l in open(p).read().split() if l] for p in sys.argv[1:3])
print(round(sum(len(x & y) for x, y in zip(a, b)) / sum(len(y) for y in b), 3))
PY
)
        say "ef_search $ef: semantic search inside the database (100 queries, the statement of -k 10): p50 $(awk '{a[NR]=$1} END {print a[int(NR/2)]}' "$work/latency.txt") ms, p90 $(awk '{a[NR]=$1} END {print a[int(NR*0.9)]}' "$work/latency.txt") ms; recall@10 against exact search (50 queries) $recall; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    done
    plan=$(sql big -c "BEGIN; SET LOCAL hnsw.ef_search = 100; SET LOCAL hnsw.iterative_scan = relaxed_order; EXPLAIN $(semantic_sql "$(head -1 "$work/queries.txt")")" | grep -c 'quarry_embeddings_hnsw' || true)
    say "  plan uses the HNSW index: $([[ $plan -gt 0 ]] && echo yes || echo NO); quarry uses ef_search $(grep -o 'efSearch = [0-9]*' "$root/Sources/TeamStore/TeamStore.swift" | grep -o '[0-9]*')"
    for i in 1 2 3; do "$quarry" search --db "$(schema_url big)" --mode semantic -k 10 "parse config file" >/dev/null; done
    python3 "$root/Benchmarks/pg/latency.py" "$quarry" "$(schema_url big)" "$root/Benchmarks/queries.txt" "$work/tiny.sqlite" 20
fi

if [[ " $parts " == *" concurrency "* ]]; then
    say "== concurrency: 2 pushers, 4 searchers, 60 s"
    [[ -d $work/c1 ]] || { make_corpus "$work/c1" "$py312" "$py311/asyncio" "$py311/distutils"; index_corpus "$work/c1" "$work/c1.sqlite" 1; }
    make_corpus "$work/c2" "$py311"
    index_corpus "$work/c2" "$work/c2.sqlite" 3
    sql_admin -c "CREATE SCHEMA conc"
    curl_url=$(schema_url conc)
    states=$work/states && mkdir -p "$states"
    record() {  # the (path, blob) pairs of repository $1's indexed HEAD
        python3 -c "import sqlite3,sys; [print(sys.argv[2], p, b, sep='\t') for p, b in sqlite3.connect(sys.argv[1]).execute('SELECT f.path, b.oid FROM files f JOIN blobs b ON b.id = f.blob_id')]" "$2" "$1" >>"$states/$1.tsv"
    }
    record one "$work/c1.sqlite"; record two "$work/c2.sqlite"
    "$quarry" push --index "$work/c1.sqlite" --repo "$work/c1" --name one "$curl_url" >/dev/null &
    "$quarry" push --index "$work/c2.sqlite" --repo "$work/c2" --name two "$curl_url" >/dev/null &
    wait
    end=$(( $(date +%s) + 60 ))
    pusher() {  # $1 name, $2 corpus, $3 index
        local pushes=0 failures=0
        while (( $(date +%s) < end )); do
            commit_change "$2" 2 && index_corpus "$2" "$3" "$RANDOM" && record "$1" "$3"
            if "$quarry" push --index "$3" --repo "$2" --name "$1" "$curl_url" >/dev/null 2>>"$work/push-errors.txt"; then
                pushes=$((pushes + 1)); else failures=$((failures + 1)); fi
        done
        echo "$1 $pushes $failures" >>"$work/pushes.txt"
    }
    searcher() {
        local n=0
        while (( $(date +%s) < end )); do
            q=$(shuf -n 1 "$root/Benchmarks/queries.txt"); mode=$(shuf -n 1 -e hybrid semantic lexical)
            "$quarry" search --db "$curl_url" --mode "$mode" --json -k 10 "$q" >"$work/search-$1-$n.json" 2>"$work/search-$1-$n.err" || true
            echo $? >/dev/null
            n=$((n + 1))
        done
    }
    pusher one "$work/c1" "$work/c1.sqlite" & pusher two "$work/c2" "$work/c2.sqlite" &
    for s in 1 2 3 4; do searcher "$s" & done
    wait
    python3 - "$work" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
states = {}
for path in glob.glob(f"{work}/states/*.tsv"):
    for line in open(path):
        repo, p, blob = line.rstrip("\n").split("\t")
        states.setdefault(repo, set()).add((p, blob))
searches = errors = results = inconsistent = 0
for out in glob.glob(f"{work}/search-*.json"):
    searches += 1
    err = open(out[:-5] + ".err").read()
    if err.strip():
        errors += 1
        print("error:", err.strip()[:200])
    for line in open(out):
        hit = json.loads(line)
        results += 1
        if (hit["path"], hit["blob"]) not in states.get(hit["repo"], set()):
            inconsistent += 1
print(f"searches {searches}, errors {errors}, results {results}, results not in a committed revision {inconsistent}")
PY
    say "pushes (name, completed, failed): $(tr '\n' ';' <"$work/pushes.txt")"
    [[ ! -s $work/push-errors.txt ]] || { say "push errors:"; head -5 "$work/push-errors.txt"; }
fi
