"""Creates a randomly initialised encoder with granite-embedding-97m-multilingual-r2's shape.

ModernBERT: hidden 384, 12 layers, 12 heads (head dim 32), intermediate 1536 (Wi
outputs 3072, gated SiLU), global attention every 3rd layer (0, 3, 6, 9), sliding
window 128 elsewhere, RoPE thetas 160000 / 10000 (ModernBERT defaults), CLS pooling.
Differences from the real model, to keep the file small and the run offline:
  - vocabulary 50,368 instead of ~180K (embedding rows are looked up, not multiplied,
    so per-token compute is unchanged);
  - max_position_embeddings 512, so `quarry embed` truncates at 512 like the others;
  - random weights (torch.manual_seed(seed)) saved in fp32, and a byte-level BPE
    tokenizer (o200k pre-tokenizer regex, GPT-2 byte mapping, ignore_merges, as the
    real model's tokenizer.json) trained on the benchmark's own CoSQA functions,
    with a "[CLS] $A [SEP]" post-processor whose ids match config.json.
Writes config.json, model.safetensors, tokenizer.json, modules.json and
1_Pooling/config.json (CLS) into --out.
"""
import argparse
import json
import os

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import ModernBertConfig, ModernBertModel

# tiktoken's o200k_base split pattern, as Granite R2's tokenizer.json has it.
O200K = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
         r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4
VOCAB = 50368


def train_tokenizer(texts: list[str]) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]", ignore_merges=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(O200K), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return tokenizer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="code_idx_map.txt (tokenizer training text)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=97)
    args = parser.parse_args()

    with open(args.source, encoding="utf-8") as f:
        texts = list(json.load(f).keys())
    tokenizer = train_tokenizer(texts)
    ids = {name: tokenizer.token_to_id(name) for name in SPECIALS}
    config = ModernBertConfig(
        vocab_size=VOCAB, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=1536, hidden_activation="silu", global_attn_every_n_layers=3,
        local_attention=128, max_position_embeddings=512, norm_eps=1e-5,
        pad_token_id=ids["[PAD]"], bos_token_id=ids["[CLS]"], eos_token_id=ids["[SEP]"],
        cls_token_id=ids["[CLS]"], sep_token_id=ids["[SEP]"], classifier_pooling="cls")
    torch.manual_seed(args.seed)
    model = ModernBertModel(config).eval()
    os.makedirs(os.path.join(args.out, "1_Pooling"), exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save(os.path.join(args.out, "tokenizer.json"))
    with open(os.path.join(args.out, "modules.json"), "w") as f:
        json.dump([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ], f, indent=2)
    with open(os.path.join(args.out, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": 384, "pooling_mode_cls_token": True,
                   "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": False,
                   "pooling_mode_mean_sqrt_len_tokens": False}, f, indent=2)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"out": args.out, "parameters": params,
                      "tokenizer_vocab": tokenizer.get_vocab_size(), "model_vocab": VOCAB}))


if __name__ == "__main__":
    main()
