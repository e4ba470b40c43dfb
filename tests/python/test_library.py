"""`import lethe` (issue 32): the Python module gives what the CLI gives.

A tiny federation is trained from Python, a `client:0` request is honoured with EASE from Python,
and the same config, seed and request through the CLI must give the same audit numbers. Weights
cross as torch tensors both ways; embeddings come back as unit-norm tensors; bad input raises
lethe.Error with the CLI's message.
"""
import json
import os
import subprocess
import sys

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("LETHE_SOURCE", os.path.dirname(os.path.dirname(HERE)))
BUILD = os.path.join(SOURCE, "build")
LETHE = os.environ.get("LETHE_BIN", os.path.join(BUILD, "bin", "lethe"))
if os.environ.get("LETHE_PYTHON", "ON") == "OFF":
    pytest.skip("built with -DLETHE_WITH_PYTHON=OFF", allow_module_level=True)
sys.path.insert(0, os.environ.get("LETHE_PYTHONPATH", os.path.join(BUILD, "python")))
import lethe  # noqa: E402

TINY = """
[run]
name = "py-tiny"
mode = "federated"
threads = 1
precision = "fp32"
seed = 3
[data]
name = "shapes"
image_size = 16
shapes_train = 160
shapes_test = 32
[model]
preset = "tiny"
[train]
batch_size = 16
num_merges = 50
[eval]
train_units = 32
[fl]
clients = 3
partition = "iid"
min_units_per_client = 4
rounds = 2
local_epochs = 1
history_every = 1
sketch_max_rank = 4
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    config = root / "tiny.toml"
    config.write_text(TINY)
    run_dir = root / "run"
    summary = lethe.train(str(config), out=str(run_dir))
    return root, config, run_dir, summary


def test_config_overrides_and_errors(tmp_path):
    cfg = lethe.load_config("emoji-lora-bench", ["fl.rounds=2", "run.seed=7"])
    assert cfg.seed == 7 and cfg.mode == "federated"
    assert "rounds = 2" in cfg.toml
    with pytest.raises(lethe.Error, match="unknown config key 'fl.roundz'"):
        lethe.load_config("emoji-lora-bench", ["fl.roundz=2"])
    with pytest.raises(lethe.Error, match="no such file, and no embedded config"):
        lethe.load_config(str(tmp_path / "missing.toml"))
    assert ValueError in lethe.Error.__mro__
    names = dict(lethe.methods())
    assert "ease" in names and "federaser" in names


def test_train_then_unlearn_matches_the_cli(trained):
    root, config, run_dir, summary = trained
    assert summary["eval"]["test"]["r1"] >= 0
    assert (run_dir / "checkpoints" / "final.safetensors").exists()

    audit = lethe.unlearn(str(run_dir), "client:0", ["ease"], out=str(root / "py-audit"))
    ease = audit["methods"]["ease"]
    assert set(audit) >= {"original", "reference", "methods"}

    # The same config and seed through the CLI, into a separate run folder.
    cli_run = root / "cli-run"
    env = dict(os.environ, LETHE_QUIET="1")
    subprocess.run([LETHE, "train", "--config", str(config), "--out", str(cli_run)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    subprocess.run([LETHE, "unlearn", "--run", str(cli_run), "--forget", "client:0", "--method", "ease",
                    "--out", str(root / "cli-audit")], check=True, env=env, stdout=subprocess.DEVNULL)
    cli = json.loads((root / "cli-audit" / "audit.json").read_text())
    for model in ("original", "reference"):
        for split in ("forget", "retain", "test"):
            assert audit[model][split]["r1"] == pytest.approx(cli[model][split]["r1"], abs=1e-9), (model, split)
    for split in ("forget", "retain", "test"):
        assert ease[split]["r1"] == pytest.approx(cli["methods"]["ease"][split]["r1"], abs=1e-9), split
        assert ease["gap"][split + "_r1"] == pytest.approx(cli["methods"]["ease"]["gap"][split + "_r1"], abs=1e-9)
    assert ease["weights_sha256"] == cli["methods"]["ease"]["weights_sha256"]

    with pytest.raises(lethe.Error, match="unknown unlearning method 'eas'"):
        lethe.unlearn(str(run_dir), "client:0", "eas")
    with pytest.raises(lethe.Error, match="client 9"):
        lethe.unlearn(str(run_dir), "client:9", ["ease"])


def test_a_run_folder_opens_with_its_state_summary_and_audits(trained, tmp_path):
    _, _, run_dir, summary = trained
    run = lethe.Run(str(run_dir))
    assert run.state == "finished" and run.config.seed == 3 and run.config.mode == "federated"
    assert run.summary["eval"]["test"]["r1"] == summary["eval"]["test"]["r1"]
    before = run.audits()
    audit = lethe.unlearn(str(run_dir), "client:1", "finetune")  # default out: <run>/unlearn/client-1
    after = run.audits()
    assert "client-1" in after and "client-1" not in before
    assert after["client-1"]["methods"]["finetune"]["weights_sha256"] == audit["methods"]["finetune"]["weights_sha256"]
    with pytest.raises(lethe.Error, match="not a Lethe run folder"):
        lethe.Run(str(tmp_path))


def test_weights_and_embeddings_are_torch_tensors(trained, tmp_path):
    _, _, run_dir, _ = trained
    model = lethe.Model(str(run_dir))
    weights = model.state_dict()
    assert all(isinstance(t, torch.Tensor) for t in weights.values())
    assert "logit_scale" in weights

    texts = ["a red circle", "a blue square"]
    before = model.embed_texts(texts)
    assert before.shape == (2, model.embed_dim) and before.dtype == torch.float32
    assert torch.allclose(before.norm(dim=1), torch.ones(2), atol=1e-5)
    images = torch.randint(0, 256, (3, 3, model.image_size, model.image_size), dtype=torch.uint8)
    assert model.encode_images(images).shape == (3, model.embed_dim)
    with pytest.raises(lethe.Error, match="expected a uint8 tensor"):
        model.encode_images(images.float())

    # Weights go out, are changed in PyTorch, come back, and the model embeds differently;
    # through a safetensors file they round-trip bit for bit.
    changed = {k: (v * 0.5 if k.startswith("transformer.") else v) for k, v in weights.items()}
    model.load_state_dict(changed)
    assert not torch.allclose(model.embed_texts(texts), before)
    path = str(tmp_path / "w.safetensors")
    lethe.save_weights(path, changed)
    back = lethe.load_weights(path)
    assert set(back) == set(changed) and all(torch.equal(back[k], changed[k]) for k in changed)
    with pytest.raises(lethe.Error, match="does not have"):
        model.load_state_dict({"no.such.tensor": torch.zeros(1)})
