"""Reference semantic retrieval on the CoSQA split with Hugging Face transformers.

Not run in CI. It embeds the 6,267 CoSQA functions and the dev/test queries with
the same weights Quarry uses (the default model directory, by default
~/.cache/quarry/models/multilingual-e5-small) and prints the metrics
`quarry eval` prints for its semantic mode, so the two can be compared:

    /work/pyref/bin/python Benchmarks/eval/reference.py [--data ../shared/data/cosqa] \
        [--model DIR] [--split dev|test|both] [--cache DIR] [--json]

Pipeline (the e5 recipe): XLMRobertaTokenizer.from_pretrained(model dir),
"query: " / "passage: " prefixes, at most 512 tokens (the final </s> kept),
transformers BertModel in fp32, mean pooling over the attention mask, L2
normalisation, exact cosine ranking of all functions.

Metrics, with the single relevant function per query at 1-based `rank`:
MRR@100 = 1/rank (0 beyond 100), nDCG@10 = 1/log2(rank + 1) (0 beyond 10),
Recall@k = [rank <= k]; all averaged over the queries and printed x100.
--cache keeps the passage vectors (passages.npy) so reruns only embed queries.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))


def load_tokenizer(model_dir):
    # from_pretrained converts sentencepiece.bpe.model with the XLM-R id
    # mapping; constructing XLMRobertaTokenizer(vocab_file=...) directly in
    # transformers 5 yields <unk> for every piece.
    tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(model_dir)
    probe = tokenizer("query: sort a list")["input_ids"]
    if tokenizer.unk_token_id in probe:
        raise SystemExit("tokenizer maps plain words to <unk>: %s" % probe)
    return tokenizer


def tokenize(tokenizer, texts, max_length):
    ids = []
    for text in texts:
        seq = tokenizer(text, add_special_tokens=True)["input_ids"]
        if len(seq) > max_length:
            seq = seq[: max_length - 1] + [seq[-1]]
        ids.append(seq)
    return ids


def embed(model, sequences, pad_id, batch_tokens=8192, log=None):
    """Mean-pooled, L2-normalised vectors of token sequences, in input order."""
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    out = np.zeros((len(sequences), model.config.hidden_size), dtype=np.float32)
    start = 0
    done = 0
    t0 = time.time()
    while start < len(order):
        width = len(sequences[order[start]])
        count = max(1, min(64, batch_tokens // width))
        batch = order[start : start + count]
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, index in enumerate(batch):
            seq = sequences[index]
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        with torch.no_grad():
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1)
        out[batch] = pooled.numpy()
        start += count
        done += len(batch)
        if log:
            log("  %d/%d embedded, %.0fs" % (done, len(sequences), time.time() - t0))
    return out


def metrics(ranks):
    """ranks: 1-based rank of the relevant function per query (None when not found)."""
    n = len(ranks)
    def mean(f):
        return 100.0 * sum(f(r) for r in ranks) / n
    return {
        "mrr": mean(lambda r: 1.0 / r if r is not None and r <= 100 else 0.0),
        "ndcg@10": mean(lambda r: 1.0 / math.log2(r + 1) if r is not None and r <= 10 else 0.0),
        "recall@1": mean(lambda r: 1.0 if r is not None and r <= 1 else 0.0),
        "recall@5": mean(lambda r: 1.0 if r is not None and r <= 5 else 0.0),
        "recall@10": mean(lambda r: 1.0 if r is not None and r <= 10 else 0.0),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data", "cosqa"))
    parser.add_argument("--model", default=os.path.expanduser("~/.cache/quarry/models/multilingual-e5-small"))
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--cache", help="directory keeping passages.npy between runs")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    log = (lambda s: None) if args.json else (lambda s: print(s, flush=True))

    with open(os.path.join(args.data, "code_idx_map.txt")) as f:
        code_to_id = json.load(f)
    corpus = sorted(code_to_id.items(), key=lambda kv: kv[1])
    ids = [i for _, i in corpus]

    tokenizer = load_tokenizer(args.model)
    model = transformers.BertModel.from_pretrained(args.model, dtype=torch.float32, add_pooling_layer=False).eval()
    pad_id = tokenizer.pad_token_id

    cached = os.path.join(args.cache, "passages.npy") if args.cache else None
    if cached and os.path.exists(cached):
        passages = np.load(cached)
    else:
        log("embedding %d functions" % len(corpus))
        sequences = tokenize(tokenizer, ["passage: " + code for code, _ in corpus], args.max_length)
        passages = embed(model, sequences, pad_id, log=log)
        if cached:
            os.makedirs(args.cache, exist_ok=True)
            np.save(cached, passages)

    results = {}
    for split in (["dev", "test"] if args.split == "both" else [args.split]):
        with open(os.path.join(args.data, "cosqa-retrieval-%s-500.json" % split)) as f:
            rows = json.load(f)
        queries = tokenize(tokenizer, ["query: " + row["doc"] for row in rows], args.max_length)
        vectors = embed(model, queries, pad_id)
        scores = vectors @ passages.T
        ranks = []
        for row, score in zip(rows, scores):
            order = np.argsort(-score, kind="stable")
            position = int(np.nonzero(np.asarray(ids)[order] == row["retrieval_idx"])[0][0]) + 1
            ranks.append(position)
        results[split] = metrics(ranks)

    if args.json:
        print(json.dumps({"mode": "reference-semantic", "model": args.model, "splits": results}))
    else:
        print("%-6s %-18s %7s %8s %8s %8s %9s" % ("split", "mode", "MRR", "nDCG@10", "R@1", "R@5", "R@10"))
        for split, m in results.items():
            print("%-6s %-18s %7.2f %8.2f %8.2f %8.2f %9.2f" % (
                split, "reference-semantic", m["mrr"], m["ndcg@10"], m["recall@1"], m["recall@5"], m["recall@10"]))


if __name__ == "__main__":
    main()
