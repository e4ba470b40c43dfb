"""OpenCLIP in and out, checked against PyTorch (issue 30).

A reference CLIP in OpenCLIP's layout (tests/reference/openclip_model.py) is built with random
weights, saved as OpenCLIP safetensors, and `lethe embed` must give the reference's embeddings
row by row (cosine >= 0.9999) through OpenCLIP's preprocessing and tokenizer: for GELU and
QuickGELU, F32/F16/BF16 weights, a model-config JSON, a hub open_clip_config.json beside the
weights, shapes inferred from the tensors, and the ViT-B-32 shapes. A ViT-B-32-shaped
checkpoint then trains one federated round (LoRA), is exported, and the export embeds like the
run and loads strictly into the reference. Bad inputs are one-line errors with exit 2.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("LETHE_SOURCE", os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SOURCE, "tests", "reference"))
import clip_tokenizer  # noqa: E402
import make_merges  # noqa: E402
import openclip_model as ref  # noqa: E402

LETHE = os.environ.get("LETHE_BIN", os.path.join(SOURCE, "build", "bin", "lethe"))
MIN_COSINE = 0.9999

TEXTS = [
    "a red circle",
    "Two BLUE squares, side by side!!!",
    "it's the cat's toy; they're here and we've 12 of 'em",
    "route 66 -- 1984... 3.14159",
    "café, piñata, naïve Ωμέγα СЛОВО",
    "",
    "a very long caption " + " ".join(f"word{i}" for i in range(120)),
]
WORDS = ["a", "red", "circle", "two", "blue", "squares", "side", "by", "cat", "long", "caption", "word"]

TINY = {"embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "head_width": 32, "patch_size": 8},
        "text_cfg": {"context_length": 16, "vocab_size": 1000, "width": 64, "heads": 2, "layers": 2}}
VIT_B_32 = {"embed_dim": 512,
            "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}}


def run(*args, check=True):
    env = dict(os.environ, LETHE_QUIET="1")
    p = subprocess.run([LETHE, *map(str, args)], capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"lethe {' '.join(map(str, args))} exited {p.returncode}: {p.stderr.strip()}")
    return p


def make_images(folder):
    """PNG (RGB, RGBA, grey), JPEG; several sizes and aspects."""
    from PIL import Image, ImageDraw
    paths = []
    specs = [("rgb.png", "RGB", (40, 32)), ("wide.jpg", "RGB", (300, 200)),
             ("alpha.png", "RGBA", (64, 64)), ("grey.png", "L", (50, 70)), ("square.png", "RGB", (224, 224))]
    for i, (name, mode, size) in enumerate(specs):
        img = Image.new(mode, size, (30 + 40 * i, 90, 200, 128)[:len(mode)] if mode != "L" else 60)
        d = ImageDraw.Draw(img)
        w, h = size
        d.ellipse([w // 5, h // 5, 3 * w // 4, 4 * h // 5], fill=(220, 40 * i, 60, 255)[:len(mode)] if mode != "L" else 200)
        d.rectangle([0, 0, w // 3, h // 4], fill=(10, 200, 30 * i, 40)[:len(mode)] if mode != "L" else 20)
        path = os.path.join(folder, name)
        img.save(path, quality=95) if name.endswith(".jpg") else img.save(path)
        paths.append(path)
    return paths


def random_model(cfg, seed):
    torch.manual_seed(seed)
    return ref.CLIP(cfg).eval()


def save_model(model, path, dtype):
    """Saves in `dtype` and loads those rounded values back, so both sides compute from them."""
    sd = {k: v.to(dtype) for k, v in model.state_dict().items()}
    ref.save_safetensors(path, sd)
    model.load_state_dict({k: v.float() for k, v in sd.items()})


def reference_embeddings(model, cfg, images, merges_path, texts):
    tok = clip_tokenizer.SimpleTokenizer(merges_path, cfg["text_cfg"]["vocab_size"])
    tokens = torch.tensor(tok(texts, cfg["text_cfg"]["context_length"]), dtype=torch.long)
    pixels = torch.stack([ref.preprocess(p, cfg["vision_cfg"]["image_size"]) for p in images])
    with torch.no_grad():
        img = model.encode_image(pixels)
        txt = model.encode_text(tokens)
    return img, txt


def normalized(x):
    return x / x.norm(dim=-1, keepdim=True)


def worst_cosine(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return (normalized(a) * normalized(b)).sum(-1).min().item()


def read_embeddings(path):
    e = ref.load_safetensors(path)
    for k, v in e.items():
        assert v.dtype == torch.float32
        assert torch.allclose(v.norm(dim=-1), torch.ones(v.shape[0]), atol=1e-5), k
    return e


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    images = make_images(str(d))
    texts = os.path.join(d, "texts.txt")
    with open(texts, "w", encoding="utf-8") as f:
        f.write("\n".join(TEXTS) + "\n")
    return images, texts


# layout: "config" passes --openclip-config; "hub" writes open_clip_config.json (+ gzip merges)
# beside the weights; "inferred" gives neither (OpenAI-style: heads = width/64, QuickGELU).
CASES = [
    ("tiny-gelu-f32-config", TINY, False, torch.float32, "config"),
    ("tiny-quickgelu-bf16-hub", TINY, True, torch.bfloat16, "hub"),
    ("vit-b-32-gelu-bf16-config", VIT_B_32, False, torch.bfloat16, "config"),
    ("vit-b-32-quickgelu-f16-inferred", VIT_B_32, True, torch.float16, "inferred"),
]


@pytest.mark.parametrize("name,shape,quick,dtype,layout", CASES, ids=[c[0] for c in CASES])
def test_embed_matches_pytorch(tmp_path, inputs, name, shape, quick, dtype, layout):
    images, texts = inputs
    cfg = dict(shape, quick_gelu=quick)
    model = random_model(cfg, seed=len(name))
    weights = tmp_path / "open_clip_model.safetensors"
    save_model(model, weights, dtype)
    merges = make_merges.write(str(tmp_path / "bpe_simple_vocab_16e6.txt"), cfg["text_cfg"]["vocab_size"], WORDS)
    args = ["embed", "--model", f"openclip:{weights}", "--images", *images, "--texts", texts,
            "--out", tmp_path / "out.safetensors"]
    if layout == "config":
        (tmp_path / "model.json").write_text(json.dumps(cfg))
        args += ["--openclip-config", tmp_path / "model.json", "--merges", merges]
    elif layout == "hub":
        (tmp_path / "open_clip_config.json").write_text(json.dumps(
            {"model_cfg": cfg, "preprocess_cfg": {"mean": list(ref.OPENAI_MEAN), "std": list(ref.OPENAI_STD),
                                                  "interpolation": "bicubic", "resize_mode": "shortest"}}))
        with open(merges, "rb") as f, gzip.open(merges + ".gz", "wb") as g:
            g.write(f.read())
        os.remove(merges)  # found beside the weights as bpe_simple_vocab_16e6.txt.gz
    else:
        args += ["--merges", merges]
    run(*args)
    got = read_embeddings(tmp_path / "out.safetensors")
    img, txt = reference_embeddings(model, cfg, images, merges + (".gz" if layout == "hub" else ""), TEXTS)
    wi, wt = worst_cosine(got["image_embeds"], img), worst_cosine(got["text_embeds"], txt)
    print(f"{name}: worst cosine images {wi:.7f}, texts {wt:.7f}")
    assert wi >= MIN_COSINE and wt >= MIN_COSINE, (wi, wt)


def test_vit_b_32_trains_a_federated_round_and_exports(tmp_path, inputs):
    """OpenCLIP ViT-B-32 weights -> federated LoRA round -> export -> OpenCLIP layout again."""
    images, texts = inputs
    cfg = dict(VIT_B_32, quick_gelu=False)
    model = random_model(cfg, seed=7)
    weights = tmp_path / "vit.safetensors"
    save_model(model, weights, torch.float16)
    (tmp_path / "vit.json").write_text(json.dumps(cfg))
    merges = make_merges.write(str(tmp_path / "merges.txt"), 49408, WORDS)
    run_dir = tmp_path / "run"
    run("train", "--config", os.path.join(SOURCE, "configs", "shapes-quick.toml"), "--out", run_dir,
        "run.mode=federated", "run.precision=fp32", f"model.init=openclip:{weights}",
        f"model.openclip_config={tmp_path / 'vit.json'}", f"model.merges={merges}", "model.lora_rank=4",
        "model.lora_targets=[\"attn\", \"mlp\"]", "data.image_size=224", "data.shapes_train=48",
        "data.shapes_test=16", "train.batch_size=16", "eval.train_units=16", "fl.rounds=1", "fl.clients=2",
        "fl.partition=iid", "fl.val_fraction=0.0", "fl.min_units_per_client=0")
    summary = json.load(open(run_dir / "summary.json"))
    assert summary["training"]["rounds"] == 1, summary["training"]
    export = tmp_path / "export"
    run("export", "--run", run_dir, "--format", "openclip", "--out", export)
    for f in ("open_clip_model.safetensors", "open_clip_config.json", "bpe_merges.txt.gz"):
        assert (export / f).is_file(), f
    run("embed", "--model", run_dir, "--images", *images, "--texts", texts, "--out", tmp_path / "run.safetensors")
    run("embed", "--model", f"openclip:{export / 'open_clip_model.safetensors'}", "--images", *images,
        "--texts", texts, "--out", tmp_path / "export.safetensors")
    a, b = read_embeddings(tmp_path / "run.safetensors"), read_embeddings(tmp_path / "export.safetensors")
    assert worst_cosine(a["image_embeds"], b["image_embeds"]) >= MIN_COSINE
    assert worst_cosine(a["text_embeds"], b["text_embeds"]) >= MIN_COSINE
    # The trained adapters moved the model: the export is not the starting checkpoint.
    start = ref.load_safetensors(weights)
    exported = ref.load_safetensors(export / "open_clip_model.safetensors")
    assert set(exported) == set(start)
    moved = max((exported[k].float() - start[k].float()).abs().max().item() for k in start)
    assert moved > 1e-4, moved
    # OpenCLIP's layout: the export loads strictly into the reference and embeds as Lethe does.
    hub = json.load(open(export / "open_clip_config.json"))
    again = ref.CLIP(hub["model_cfg"]).eval()
    again.load_state_dict(exported, strict=True)
    img, txt = reference_embeddings(again, hub["model_cfg"], images, str(export / "bpe_merges.txt.gz"), TEXTS)
    assert worst_cosine(a["image_embeds"], img) >= MIN_COSINE
    assert worst_cosine(a["text_embeds"], txt) >= MIN_COSINE


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    cfg = dict(TINY, quick_gelu=False)
    model = random_model(cfg, seed=3)
    save_model(model, d / "w.safetensors", torch.float32)
    (d / "model.json").write_text(json.dumps(cfg))
    make_merges.write(str(d / "merges.txt"), 1000, WORDS)
    return d, model.state_dict()


def expect_input_error(args, *fragments):
    p = run(*args, check=False)
    assert p.returncode == 2, (p.returncode, p.stderr)
    errors = [line for line in p.stderr.splitlines() if line.startswith("lethe: error:")]
    assert len(errors) == 1 and p.stderr.rstrip().endswith(errors[0]), p.stderr
    for frag in fragments:
        assert frag in errors[0], (frag, errors[0])
    return errors[0]


def test_bad_openclip_inputs_are_one_line_errors(tmp_path, inputs, tiny_files):
    d, sd = tiny_files
    images, texts = inputs
    out = tmp_path / "o.safetensors"
    base = ["--images", images[0], "--texts", texts, "--out", out,
            "--openclip-config", d / "model.json", "--merges", d / "merges.txt"]

    missing = {k: v for k, v in sd.items() if k != "visual.proj"}
    ref.save_safetensors(tmp_path / "missing.safetensors", missing)
    expect_input_error(["embed", "--model", f"openclip:{tmp_path / 'missing.safetensors'}", *base], "visual.proj")

    misshaped = dict(sd, text_projection=torch.zeros(64, 16))
    ref.save_safetensors(tmp_path / "misshaped.safetensors", misshaped)
    expect_input_error(["embed", "--model", f"openclip:{tmp_path / 'misshaped.safetensors'}", *base],
                       "text_projection", "embed_dim")

    wide = dict(TINY, quick_gelu=False, text_cfg=dict(TINY["text_cfg"], width=128))
    (tmp_path / "wide.json").write_text(json.dumps(wide))
    bad_cfg = ["--openclip-config", tmp_path / "wide.json"]
    expect_input_error(["embed", "--model", f"openclip:{d / 'w.safetensors'}", *bad_cfg, "--merges",
                        d / "merges.txt", "--texts", texts, "--out", out], "text_cfg.width", "token_embedding.weight")

    short = make_merges.write(str(tmp_path / "short.txt"), 600, WORDS)
    expect_input_error(["embed", "--model", f"openclip:{d / 'w.safetensors'}", "--openclip-config",
                        d / "model.json", "--merges", short, "--texts", texts, "--out", out], "short.txt", "1000")

    unknown = dict(TINY, vision_cfg=dict(TINY["vision_cfg"], attentional_pool=True))
    (tmp_path / "pool.json").write_text(json.dumps(unknown))
    expect_input_error(["embed", "--model", f"openclip:{d / 'w.safetensors'}", "--openclip-config",
                        tmp_path / "pool.json", "--images", images[0], "--out", out], "vision_cfg.attentional_pool")

    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    expect_input_error(["embed", "--model", f"openclip:{d / 'w.safetensors'}", "--openclip-config",
                        d / "model.json", "--images", tmp_path / "broken.png", "--out", out], "broken.png")

    (tmp_path / "empty.txt").write_text("")
    expect_input_error(["embed", "--model", f"openclip:{d / 'w.safetensors'}", "--openclip-config",
                        d / "model.json", "--merges", d / "merges.txt", "--texts", tmp_path / "empty.txt",
                        "--out", out], "empty.txt")
    expect_input_error(["embed", "--model", f"openclip:{d / 'nothere.safetensors'}", "--images", images[0],
                        "--out", out], "nothere.safetensors")
    assert not out.exists()  # nothing written by a failed command
