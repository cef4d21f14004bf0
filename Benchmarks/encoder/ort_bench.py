"""The onnxruntime contender: embeds the benchmark corpus with an exported encoder.

Imports only numpy, tokenizers and onnxruntime (no torch), so its peak RSS is the
runtime's own. Texts are tokenised with the tokenizers JSON written by
export_onnx.py (for e5 that is transformers' XLMRobertaTokenizer over the model's
sentencepiece.bpe.model), truncated to --max-length ids including specials, sorted
by length (longest first, as quarry does), padded per batch of --batch, run on the
CPU execution provider with --threads intra-op threads, then pooled (mean over
non-padding tokens, or CLS) and L2-normalised in numpy.

The timed region covers tokenisation, inference and pooling, not session creation.
Prints one JSON line; writes the vectors (original order, float32) to --vectors.
"""
import argparse
import json
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--corpus", required=True, help="JSON Lines with 'text'")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--pooling", choices=["mean", "cls"], required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--vectors", required=True, help="output .npy")
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        texts = [args.prefix + json.loads(line)["text"] for line in f if line.strip()]

    load_start = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(args.tokenizer)
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=args.max_length)
    load_seconds = time.perf_counter() - load_start

    start = time.perf_counter()
    encodings = tokenizer.encode_batch(texts, add_special_tokens=True)
    lengths = np.array([len(e.ids) for e in encodings])
    order = np.argsort(-lengths, kind="stable")
    vectors = None
    padded_tokens = 0
    for first in range(0, len(order), args.batch):
        batch = order[first:first + args.batch]
        width = int(lengths[batch].max())
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, index in enumerate(batch):
            ids[row, : lengths[index]] = encodings[index].ids
            mask[row, : lengths[index]] = 1
        padded_tokens += ids.size
        states = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if args.pooling == "mean":
            weights = mask[:, :, None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / weights.sum(axis=1)
        else:
            pooled = states[:, 0, :]
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        if vectors is None:
            vectors = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
        vectors[batch] = pooled
    seconds = time.perf_counter() - start

    np.save(args.vectors, vectors)
    print(json.dumps({"texts": len(texts), "tokens": int(lengths.sum()), "padded_tokens": padded_tokens,
                      "seconds": seconds, "load_seconds": load_seconds, "threads": args.threads,
                      "batch": args.batch, "onnxruntime": ort.__version__,
                      "token_lengths": lengths.tolist()}))


if __name__ == "__main__":
    main()
