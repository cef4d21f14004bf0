"""Writes one JSON Lines text that a model's tokenizer encodes to exactly --tokens ids.

Concatenates CoSQA functions (code_idx_map.txt, ordered by id) until the encoding,
special tokens included, reaches --tokens, then cuts the text at the token boundary
that gives exactly that many ids (the tokenizer's offsets tell where). For the
long-chunk benchmark (long_chunks.sh): one real-looking chunk per length.
"""
import argparse
import json

from tokenizers import Tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="CoSQA code_idx_map.txt")
    parser.add_argument("--tokenizer", required=True, help="the model's tokenizer.json")
    parser.add_argument("--tokens", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.source, encoding="utf-8") as f:
        functions = [code for code, _ in sorted(json.load(f).items(), key=lambda item: item[1])]
    tokenizer = Tokenizer.from_file(args.tokenizer)
    specials = len(tokenizer.encode("", add_special_tokens=True).ids)
    text, count = "", 0
    for function in functions:
        text += function + "\n\n"
        count += len(tokenizer.encode(function + "\n\n", add_special_tokens=False).ids)
        if count > args.tokens + 64:
            break
    encoding = tokenizer.encode(text, add_special_tokens=False)
    keep = args.tokens - specials
    text = text[: encoding.offsets[keep - 1][1]]
    actual = len(tokenizer.encode(text, add_special_tokens=True).ids)
    # A cut inside a merge can re-tokenise differently: shorten until it fits exactly.
    while actual > args.tokens:
        text = text[:-1]
        actual = len(tokenizer.encode(text, add_special_tokens=True).ids)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(json.dumps({"text": text}) + "\n")
    print(json.dumps({"tokens": actual, "characters": len(text)}))


if __name__ == "__main__":
    main()
