"""An OpenCLIP-layout CLIP in plain PyTorch: the reference Lethe's numerics are checked against.

Written from OpenCLIP's architecture (open_clip/model.py, transformer.py) for the standard CLIP
with a ViT image tower, so its state dict has OpenCLIP's tensor names and shapes and loads the
same files:
  image: conv1 (patchify, no bias) -> [class_embedding; patches] + positional_embedding -> ln_pre
         -> pre-LN residual blocks (nn.MultiheadAttention, MLP c_fc -> GELU|QuickGELU -> c_proj)
         -> ln_post on the class token -> @ proj
  text:  token_embedding + positional_embedding -> the same blocks under a causal mask
         -> ln_final -> the end token (largest id of each row) -> @ text_projection
OpenCLIP's preprocessing (open_clip/transform.py with OpenAI's mean/std) is `preprocess`:
RGB, shortest side resized to image_size (PIL bicubic), centre crop, normalise. Lethe composites
an alpha channel over white where OpenCLIP's `convert("RGB")` drops it; this reference does what
Lethe documents. Used by tests/python and bench/pytorch_embed.py; needs torch and PIL.
"""
import json
import math
import struct
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads, mlp_ratio, act):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(width, hidden)), ("gelu", act()), ("c_proj", nn.Linear(hidden, width))]))

    def forward(self, x, attn_mask=None):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio, act):
        super().__init__()
        self.resblocks = nn.ModuleList(
            [ResidualAttentionBlock(width, heads, mlp_ratio, act) for _ in range(layers)])

    def forward(self, x, attn_mask=None):
        for block in self.resblocks:
            x = block(x, attn_mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, width, layers, heads, mlp_ratio, embed_dim, act):
        super().__init__()
        grid = image_size // patch_size
        scale = width ** -0.5
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, mlp_ratio, act)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, embed_dim))

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)  # (N, grid^2, width)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding)
        x = self.transformer(x)
        return self.ln_post(x[:, 0]) @ self.proj


class CLIP(nn.Module):
    """cfg: an OpenCLIP model config dict (embed_dim, quick_gelu, vision_cfg, text_cfg)."""

    def __init__(self, cfg):
        super().__init__()
        v, t = cfg["vision_cfg"], cfg["text_cfg"]
        act = QuickGELU if cfg.get("quick_gelu", False) else nn.GELU
        embed_dim = cfg["embed_dim"]
        width = v["width"]
        self.visual = VisionTransformer(v["image_size"], v["patch_size"], width, v["layers"],
                                        width // v.get("head_width", 64), v.get("mlp_ratio", 4.0),
                                        embed_dim, act)
        tw = t["width"]
        self.context_length = t["context_length"]
        self.transformer = Transformer(tw, t["layers"], t["heads"], t.get("mlp_ratio", 4.0), act)
        self.token_embedding = nn.Embedding(t["vocab_size"], tw)
        self.positional_embedding = nn.Parameter(torch.empty(self.context_length, tw))
        self.ln_final = nn.LayerNorm(tw)
        self.text_projection = nn.Parameter(torch.empty(tw, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        mask = torch.full((self.context_length, self.context_length), float("-inf")).triu_(1)
        self.register_buffer("attn_mask", mask, persistent=False)
        # OpenCLIP's text-tower initialisation; the image tower keeps PyTorch's defaults.
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=tw ** -0.5)

    def encode_image(self, images):
        return self.visual(images)

    def encode_text(self, tokens):
        n, length = tokens.shape
        x = self.token_embedding(tokens) + self.positional_embedding[:length]
        x = self.transformer(x, self.attn_mask[:length, :length])
        x = self.ln_final(x)
        return x[torch.arange(n), tokens.argmax(dim=-1)] @ self.text_projection


def preprocess(path, image_size):
    """OpenCLIP's image transform (OpenAI mean/std), alpha over white: (3, S, S) float32."""
    from PIL import Image
    img = Image.open(path)
    img = img.convert("RGBA")
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    img = Image.alpha_composite(white, img).convert("RGB")
    w, h = img.size
    if w <= h:
        ow, oh = image_size, int(image_size * h / w)
    else:
        ow, oh = int(image_size * w / h), image_size
    if (ow, oh) != (w, h):
        img = img.resize((ow, oh), Image.BICUBIC)
    top, left = int(round((oh - image_size) / 2.0)), int(round((ow - image_size) / 2.0))
    img = img.crop((left, top, left + image_size, top + image_size))
    x = torch.tensor(list(img.getdata()), dtype=torch.float32).view(image_size, image_size, 3)
    x = x.permute(2, 0, 1) / 255.0
    mean = torch.tensor(OPENAI_MEAN).view(3, 1, 1)
    std = torch.tensor(OPENAI_STD).view(3, 1, 1)
    return (x - mean) / std


# -------------------------------------------------------------------- safetensors, by hand

_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}
_TORCH = {v: k for k, v in _DTYPES.items()}
_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}


def save_safetensors(path, tensors):
    """{name: tensor} -> a safetensors file (the format's spec; no package needed)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """A safetensors file -> {name: tensor}."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        dtype = _TORCH[e["dtype"]]
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out
