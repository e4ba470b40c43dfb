#!/usr/bin/python3
"""PyTorch (Python, eager) twin of `lethe bench embed`: the same CLIP embedding forward, timed alike.

The model is the OpenCLIP-layout reference of tests/reference/openclip_model.py (nn.MultiheadAttention,
nn.LayerNorm, GELU), random weights, eval mode, no_grad; inputs as Lethe's suite makes them:
uint8 pixels normalised with OpenAI's mean/std, token rows of `text_tokens` ids (start and end
included) padded to the context length; outputs L2-normalised float32. Under bf16 the forward runs
in CPU autocast, as Lethe's Context does; there the modules run in train mode (no dropout anywhere,
so the same function), because torch 1.13's eval-mode fast path of nn.MultiheadAttention fails
under CPU autocast ("expected scalar type BFloat16 but found Float"). Timing: one untimed batch,
then the median of `steps`.

    /usr/bin/python3 bench/pytorch_embed.py --preset ViT-B-32 --precision fp32 --threads 2

Prints one line of JSON on stdout. Written against torch 1.13 (Debian's python3-torch).
"""
import argparse
import json
import os
import sys
import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import openclip_model as ref  # noqa: E402

PRESETS = {  # src/lethe/models/presets.cpp, as OpenCLIP model configs
    "ViT-B-32": {"embed_dim": 512,
                 "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
                 "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}},
}


def median_seconds(fn, steps):
    fn()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="ViT-B-32", choices=sorted(PRESETS))
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--image-batch", type=int, default=32)
    p.add_argument("--text-batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--text-tokens", type=int, default=12)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    cfg = PRESETS[a.preset]
    torch.manual_seed(0)
    model = ref.CLIP(cfg).train(a.precision == "bf16")
    s, length, vocab = cfg["vision_cfg"]["image_size"], cfg["text_cfg"]["context_length"], cfg["text_cfg"]["vocab_size"]
    torch.manual_seed(1)
    pixels = torch.randint(0, 256, (a.image_batch, 3, s, s), dtype=torch.uint8)
    tokens = torch.zeros(a.text_batch, length, dtype=torch.long)
    tokens[:, 1:a.text_tokens - 1].random_(1, vocab - 2)
    tokens[:, 0] = vocab - 2
    tokens[:, a.text_tokens - 1] = vocab - 1
    mean = torch.tensor(ref.OPENAI_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(ref.OPENAI_STD).view(1, 3, 1, 1)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" else nullcontext

    def images():
        with torch.no_grad(), autocast():
            e = model.encode_image((pixels.float() / 255.0 - mean) / std)
        return F.normalize(e.float(), dim=-1)

    def texts():
        with torch.no_grad(), autocast():
            e = model.encode_text(tokens)
        return F.normalize(e.float(), dim=-1)

    image_s = median_seconds(images, a.steps)
    text_s = median_seconds(texts, a.steps)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "precision": a.precision, "images_per_s": a.image_batch / image_s,
                      "texts_per_s": a.text_batch / text_s}))


if __name__ == "__main__":
    main()
