#!/usr/bin/python3
"""PyTorch (Python, eager) equivalent of `lethe bench train_step` for the `small` CLIP preset.

Same model shapes, synthetic batch, optimiser, gradient clipping, precision policy and timing
rule as Lethe's C++ step (src/lethe/bench/train_step.cpp, src/lethe/train/loop.cpp), written the
way a PyTorch user would, so the two can be compared on the same machine:

    /usr/bin/python3 bench/pytorch_train_step.py --precision bf16 --threads 2

Prints one line of JSON on stdout; diagnostics go to stderr. Written against torch 1.13 (Debian's
python3-torch: use /usr/bin/python3, which has it), the version Lethe links.

What it mirrors, file by file:
  models/presets.cpp   small: image 32, patch 4, vision 128x3x4, text 128x2x4, context 32, embed 128
  models/attention.cpp packed q|k|v linear -> (3,N,h,L,d) copy -> baddbmm(mask, q, kT, alpha=1/sqrt d)
                       (bmm + mul_ without a mask) -> softmax -> bmm -> out_proj
  models/transformer.cpp pre-LN blocks, MLP 4x width with exact GELU, additive causal mask
  models/vit.cpp       conv1 patchify (no bias), class token, positional embedding, ln_pre,
                       class-token pooling, ln_post, x @ proj
  models/clip.cpp      token + positional embedding, causal transformer, pool at argmax(token)
                       (<end_of_text>), ln_final, x @ text_projection, logit_scale.exp().clamp(max=100)
  train/loss.cpp       symmetric InfoNCE with same-group off-diagonal logits at -inf
  train/loop.cpp       zero_grad; autocast{encode_image, encode_text, normalize(float), loss};
                       backward; clip_grad_norm_(1.0); AdamW step; loss.item()
  train/train_config.h AdamW lr 1e-3, betas (0.9, 0.98), eps 1e-6, weight decay 0.1 on dim >= 2
  bench/machine.cpp    time_median: `warmup` untimed steps, then the upper median of `steps`
"""
import argparse
import json
import math
import os
import sys
import time
from contextlib import nullcontext

import torch
import torch.nn as nn
import torch.nn.functional as F

# The `small` preset (src/lethe/models/presets.cpp); mlp_ratio and init_logit_scale are
# ClipConfig's defaults (src/lethe/models/clip.h).
SMALL = dict(image_size=32, patch_size=4, vision_width=128, vision_layers=3, vision_heads=4,
             text_width=128, text_layers=2, text_heads=4, context_length=32, embed_dim=128,
             mlp_ratio=4.0, init_logit_scale=2.6592)


def causal_mask(length):
    """(L,L) additive mask: 0 on and below the diagonal, -inf above (float32)."""
    return torch.full((length, length), float("-inf")).triu_(1)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention's parameter layout, batch-first, computed as Lethe does."""

    def __init__(self, width, heads):
        super().__init__()
        assert width % heads == 0
        self.width, self.heads = width, heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.in_proj_weight)
        with torch.no_grad():
            self.out_proj.bias.zero_()

    def forward(self, x, mask=None):
        n, l, w = x.shape
        h = self.heads
        d = w // h
        # (N,L,3w) -> (3,N,h,L,d) in one copy; q, k, v are contiguous (N*h,L,d) views.
        qkv = (F.linear(x, self.in_proj_weight, self.in_proj_bias)
               .view(n, l, 3, h, d).permute(2, 0, 3, 1, 4).contiguous())
        q = qkv[0].view(n * h, l, d)
        k = qkv[1].view(n * h, l, d)
        v = qkv[2].view(n * h, l, d)
        scale = 1.0 / math.sqrt(d)
        if mask is not None:
            scores = torch.baddbmm(mask.to(q.dtype), q, k.transpose(1, 2), beta=1.0, alpha=scale)
        else:
            scores = torch.bmm(q, k.transpose(1, 2)).mul_(scale)
        ctx = torch.bmm(torch.softmax(scores, -1), v)  # (N*h,L,d)
        ctx = ctx.view(n, h, l, d).transpose(1, 2).reshape(n, l, w)
        return self.out_proj(ctx)


class Mlp(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.c_fc = nn.Linear(width, hidden)
        self.c_proj = nn.Linear(hidden, width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))  # exact GELU, not QuickGELU


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads, mlp_width):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, mlp_width)

    def forward(self, x, mask=None):
        y = x + self.attn(self.ln_1(x), mask)
        return y + self.mlp(self.ln_2(y))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_width):
        super().__init__()
        self.width, self.layers = width, layers
        self.resblocks = nn.ModuleList(
            [ResidualAttentionBlock(width, heads, mlp_width) for _ in range(layers)])

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x

    @torch.no_grad()
    def init_scaled_normal(self):
        """OpenCLIP's TextTransformer.init_parameters (text tower only)."""
        attn_std = self.width ** -0.5
        proj_std = attn_std * (2 * self.layers) ** -0.5
        fc_std = (2 * self.width) ** -0.5
        for b in self.resblocks:
            b.attn.in_proj_weight.normal_(0.0, attn_std)
            b.attn.out_proj.weight.normal_(0.0, proj_std)
            b.mlp.c_fc.weight.normal_(0.0, fc_std)
            b.mlp.c_proj.weight.normal_(0.0, proj_std)


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, width, layers, heads, mlp_width, embed_dim):
        super().__init__()
        grid = image_size // patch_size
        scale = width ** -0.5
        self.image_size, self.width = image_size, width
        self.conv1 = nn.Conv2d(3, width, patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(1 + grid * grid, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, mlp_width)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, embed_dim))

    def forward(self, images):
        n, w = images.shape[0], self.width
        # The residual stream stays in the parameters' dtype (under autocast conv1 gives bf16).
        x = self.conv1(images).flatten(2).transpose(1, 2).to(self.class_embedding.dtype)
        cls = self.class_embedding.view(1, 1, w).expand(n, 1, w)
        x = torch.cat([cls, x], 1) + self.positional_embedding  # (N,1+g^2,w)
        x = self.transformer(self.ln_pre(x))
        return torch.matmul(self.ln_post(x[:, 0]), self.proj)  # pool the class token


class CLIP(nn.Module):
    def __init__(self, cfg, vocab_size):
        super().__init__()
        c = cfg
        vm = int(c["vision_width"] * c["mlp_ratio"])
        tm = int(c["text_width"] * c["mlp_ratio"])
        w = c["text_width"]
        self.visual = VisionTransformer(c["image_size"], c["patch_size"], c["vision_width"],
                                        c["vision_layers"], c["vision_heads"], vm, c["embed_dim"])
        self.transformer = Transformer(w, c["text_layers"], c["text_heads"], tm)
        self.token_embedding = nn.Embedding(vocab_size, w)
        self.positional_embedding = nn.Parameter(torch.empty(c["context_length"], w))
        self.ln_final = nn.LayerNorm(w)
        self.text_projection = nn.Parameter(torch.empty(w, c["embed_dim"]))
        with torch.no_grad():
            self.token_embedding.weight.normal_(0.0, 0.02)
            self.positional_embedding.normal_(0.0, 0.01)
            self.transformer.init_scaled_normal()
            self.text_projection.normal_(0.0, w ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(c["init_logit_scale"]))
        self.register_buffer("attn_mask", causal_mask(c["context_length"]), persistent=False)

    def encode_image(self, images):
        return self.visual(images)

    def encode_text(self, tokens):
        n, l = tokens.shape
        x = self.token_embedding(tokens) + self.positional_embedding[:l]
        x = self.transformer(x, self.attn_mask[:l, :l])
        # Pool at <end_of_text>, the largest id of each row; ln_final is per token.
        pooled = x[torch.arange(n), tokens.argmax(-1)]
        return torch.matmul(self.ln_final(pooled), self.text_projection)

    def logit_scale_exp(self):
        return self.logit_scale.exp().clamp(max=100.0)


def clip_loss(img, txt, scale, groups):
    """Symmetric InfoNCE; same-group off-diagonal pairs are not negatives."""
    logits = scale.float() * img.float().mm(txt.float().t())
    b = img.shape[0]
    same = groups.unsqueeze(0) == groups.unsqueeze(1)
    off_diag = torch.eye(b, dtype=torch.bool).logical_not()
    logits = logits.masked_fill(same & off_diag, float("-inf"))
    target = torch.arange(b)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def make_optimizer(model, lr=1e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1):
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.dim() >= 2 else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=betas, eps=eps)


def train_step(model, opt, batch, bf16, clip_grad=1.0):
    images, tokens, groups = batch
    opt.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext():
        img = F.normalize(model.encode_image(images).float(), dim=1)
        txt = F.normalize(model.encode_text(tokens).float(), dim=1)
        loss = clip_loss(img, txt, model.logit_scale_exp(), groups)
    loss.backward()
    if clip_grad > 0:
        torch.nn.utils.clip_grad_norm_(
            [p for g in opt.param_groups for p in g["params"]], clip_grad)
    opt.step()
    value = loss.item()
    if not math.isfinite(value):
        raise RuntimeError(f"training diverged: loss is {value}")
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    ap.add_argument("--vocab", type=int, default=2514)
    ap.add_argument("--text-tokens", type=int, default=12,
                    help="non-pad tokens per caption, <end_of_text> included")
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0 = all cores)")
    a = ap.parse_args()
    if a.batch < 2 or a.steps < 1 or a.warmup < 0 or a.vocab < 16 or \
            not 3 <= a.text_tokens <= SMALL["context_length"]:
        ap.error("need batch >= 2, steps >= 1, warmup >= 0, vocab >= 16, "
                 f"3 <= text-tokens <= {SMALL['context_length']}")

    threads = a.threads if a.threads > 0 else max(1, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    bf16 = a.precision == "bf16"

    torch.manual_seed(0)
    model = CLIP(SMALL, a.vocab)
    model.train()
    opt = make_optimizer(model)
    parameters = sum(p.numel() for p in model.parameters())

    b, s, l = a.batch, SMALL["image_size"], SMALL["context_length"]
    images = torch.randn(b, 3, s, s)
    tokens = torch.zeros(b, l, dtype=torch.long)
    tokens[:, :a.text_tokens - 1].random_(1, a.vocab - 2)
    tokens[:, a.text_tokens - 1] = a.vocab - 1  # <end_of_text>
    groups = torch.arange(b)
    batch = (images, tokens, groups)

    print(f"torch {torch.__version__}, {threads} threads, {a.precision}, "
          f"{parameters:,} parameters, batch {b}", file=sys.stderr)
    for _ in range(a.warmup):
        loss = train_step(model, opt, batch, bf16)
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = train_step(model, opt, batch, bf16)
        times.append(time.perf_counter() - t0)
    times.sort()
    step_s = times[len(times) // 2]  # Lethe's time_median: t[n/2] of the sorted times
    print(f"step times (s): {', '.join(f'{t:.4f}' for t in times)}; last loss {loss:.4f}",
          file=sys.stderr)
    print(json.dumps({"framework": "pytorch", "torch": torch.__version__,
                      "precision": a.precision, "threads": threads, "batch": b,
                      "parameters": parameters, "step_s": step_s,
                      "samples_per_s": b / step_s}))


if __name__ == "__main__":
    main()
