#!/usr/bin/env bash
# Long-chunk benchmark: `quarry embed` of one 8K-, one 16K- and one 32K-token chunk with
# a random model of Granite-embedding-97m-R2's shape (ModernBERT 384/12/12/1536, global
# attention every 3rd layer, sliding window 128 elsewhere) whose window is 32,768 tokens.
# Prints, per length, the tokens, wall seconds, CPU seconds and peak RSS of the whole
# process (/usr/bin/time -v); the target is peak RSS < 2 GB at 32K.
#
#   Benchmarks/encoder/long_chunks.sh [path/to/quarry]    (default .build/release/quarry)
#
# The model is make_granite_random.py's (cached in $QUARRY_HOME/bench/granite97m-random,
# made there when missing), with max_position_embeddings raised to 32,768 in a sibling
# directory (ModernBERT has no position table, so the weights are the same). Texts are
# CoSQA functions joined and cut to exactly the length (long_text.py).
# Environment: PYTHON (default /work/pyref/bin/python, see run.sh for the venv recipe),
# QUARRY_HOME (~/.cache/quarry), LENGTHS ("8192 16384 32768").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
quarry=${1:-$root/.build/release/quarry}
PYTHON=${PYTHON:-/work/pyref/bin/python}
QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
LENGTHS=${LENGTHS:-8192 16384 32768}
export QUARRY_HOME
source=$root/../shared/data/cosqa/code_idx_map.txt
granite=$QUARRY_HOME/bench/granite97m-random
long=$QUARRY_HOME/bench/granite97m-random-32k
[[ -x $quarry ]] || { echo "long_chunks.sh: no quarry binary at $quarry" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "long_chunks.sh: GNU time is missing: apt-get install time" >&2; exit 1; }
if [[ ! -f $granite/model.safetensors ]]; then
    "$PYTHON" "$here/make_granite_random.py" --source "$source" --out "$granite" >&2
fi
mkdir -p "$long/1_Pooling"
for f in model.safetensors tokenizer.json modules.json 1_Pooling/config.json; do ln -sf "$granite/$f" "$long/$f"; done
"$PYTHON" - "$granite/config.json" "$long/config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["max_position_embeddings"] = 32768
json.dump(config, open(sys.argv[2], "w"), indent=2)
PY
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-8s %10s %10s %12s  %s\n' tokens "wall s" "CPU s" "peak RSS" kernels
for n in $LENGTHS; do
    "$PYTHON" "$here/long_text.py" --source "$source" --tokenizer "$granite/tokenizer.json" \
        --tokens "$n" --out "$work/text-$n.jsonl" > "$work/text-$n.info"
    /usr/bin/time -v -o "$work/time-$n" "$quarry" embed --model "$long" < "$work/text-$n.jsonl" > "$work/vector-$n"
    "$PYTHON" - "$work/time-$n" "$work/text-$n.info" "$work/vector-$n" "${QUARRY_KERNELS:-default}" <<'PY'
import json, sys
values = {}
for line in open(sys.argv[1]):
    key, _, value = line.strip().rpartition(": ")
    values[key] = value
wall = 0.0
for part in values["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
    wall = wall * 60 + float(part)
cpu = float(values["User time (seconds)"]) + float(values["System time (seconds)"])
rss = int(values["Maximum resident set size (kbytes)"]) * 1024
tokens = json.load(open(sys.argv[2]))["tokens"]
vector = json.loads(open(sys.argv[3]).readline())
ok = len(vector) == 384 and all(v is not None for v in vector)
print(f"{tokens:<8} {wall:10.1f} {cpu:10.1f} {rss / 2**20:9.0f} MiB  {sys.argv[4]}{'' if ok else '  BAD VECTOR'}")
PY
done
