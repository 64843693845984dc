"""np-train and np-eval: bad configs, datasets, checkpoints and outputs are one clear message
naming the file or key, exit 2, before any work and without leaving anything behind."""
from __future__ import annotations

import pytest
import torch
import yaml

from cli_helpers import assert_one_error, run, tiny_train_config


def test_train_on_a_missing_dataset(tmp_path):
    cfg = tiny_train_config(tmp_path / "cfg.yaml")
    res = run("np-train", cfg, tmp_path / "run", "--dataset-directory", tmp_path / "nonexistent")
    assert_one_error(res, 2, "np-train", tmp_path / "nonexistent", "dataset directory does not exist")
    assert not (tmp_path / "run").exists()


def test_binary_yaml_names_the_file(tmp_path, tiny_dataset):
    cfg = tmp_path / "model.yaml"
    cfg.write_bytes(bytes(range(256)) * 4)
    res = run("np-train", cfg, tmp_path / "run", "--dataset-directory", tiny_dataset)
    assert_one_error(res, 2, "np-train", cfg, "not a YAML text file")


def test_batch_size_in_words_names_file_and_key(tmp_path, tiny_dataset):
    cfg = tiny_train_config(tmp_path / "cfg.yaml", tiny_dataset, batch_size="two")
    res = run("np-train", cfg, tmp_path / "run")
    assert_one_error(res, 2, "np-train", cfg, "training.batch_size", "'two'")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("size", [0, -4])
def test_batch_size_not_positive_names_file_and_key(tmp_path, tiny_dataset, size):
    cfg = tiny_train_config(tmp_path / "cfg.yaml", tiny_dataset, batch_size=size)
    res = run("np-train", cfg, tmp_path / "run")
    assert_one_error(res, 2, "np-train", cfg, "training.batch_size", str(size))


def test_train_into_an_unwritable_out(tmp_path, tiny_dataset):
    cfg = tiny_train_config(tmp_path / "cfg.yaml", tiny_dataset)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    res = run("np-train", cfg, blocker / "run")
    assert_one_error(res, 2, "np-train", blocker / "run", "is a file, not a folder")


def test_resume_from_a_text_file(tmp_path, tiny_dataset, text_file):
    cfg = tiny_train_config(tmp_path / "cfg.yaml", tiny_dataset)
    res = run("np-train", cfg, tmp_path / "run", "--resume", text_file)
    assert_one_error(res, 2, "np-train", text_file, "holds text")


def test_resume_with_another_configs_checkpoint_says_what_differs_in_a_few_lines(tmp_path, tiny_dataset):
    from trainer import checkpoint
    from trainer.model import NeuralParts
    cfg = tiny_train_config(tmp_path / "cfg.yaml", tiny_dataset)
    other = yaml.safe_load(cfg.read_text())
    other["invertible_network"] = {"n_blocks": 2, "hidden_size": 24}  # another run's model
    model = NeuralParts.from_config(other)
    optimizer = torch.optim.Adam(model.parameters())
    theirs = checkpoint.save(tmp_path / "other" / "last.pt", model, other, optimizer=optimizer.state_dict(), step=2)
    res = run("np-train", cfg, tmp_path / "run", "--resume", theirs)
    msg = assert_one_error(res, 2, "np-train", theirs, "does not match the config of this run")
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) <= 7, res.stderr
    assert "missing 34 keys" in res.stderr and "29 tensors differ in shape" in res.stderr  # 2 blocks of 24 vs 4 of 32
    assert "'invertible_network.layers." in res.stderr and "in the file but the config needs" in res.stderr
    assert "load_state_dict" not in res.stderr and msg


def test_resume_from_a_model_without_training_state(tmp_path, tiny_dataset, tiny_checkpoint):
    cfg = tiny_train_config(tmp_path / "cfg.yaml", tiny_dataset)
    res = run("np-train", cfg, tmp_path / "run", "--resume", tiny_checkpoint)
    assert_one_error(res, 2, "np-train", tiny_checkpoint, "holds no training state")


def test_eval_a_text_file_as_checkpoint(tmp_path, tiny_dataset, text_file):
    res = run("np-eval", text_file, tiny_dataset, "--split", "train", "--no-progress")
    assert_one_error(res, 2, "np-eval", text_file, "holds text")


def test_eval_a_truncated_checkpoint(tmp_path, tiny_dataset, tiny_checkpoint):
    cut = tmp_path / "cut.pt"
    cut.write_bytes(tiny_checkpoint.read_bytes()[:2000])
    res = run("np-eval", cut, tiny_dataset, "--split", "train", "--no-progress")
    msg = assert_one_error(res, 2, "np-eval", cut, "incomplete")
    assert len(msg) < 300 and msg.rstrip().endswith(")")  # whole sentence, not cut at 160 characters


def test_eval_an_empty_folder(tmp_path, tiny_checkpoint):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("np-eval", tiny_checkpoint, empty, "--no-progress")
    assert_one_error(res, 2, "np-eval", empty, "empty folder")


def test_eval_a_mesh_file_as_dataset(tmp_path, tiny_checkpoint):
    mesh = tmp_path / "some_mesh.obj"
    mesh.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    res = run("np-eval", tiny_checkpoint, mesh, "--no-progress")
    msg = assert_one_error(res, 2, "np-eval", mesh, "is a file, not a prepared dataset")
    assert "does not exist" not in msg


def test_eval_into_an_unwritable_out_is_refused_before_evaluating(tmp_path, tiny_dataset, tiny_checkpoint):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    res = run("np-eval", tiny_checkpoint, tiny_dataset, "--split", "train", "--out", blocker / "x.json",
              "--no-progress")
    assert_one_error(res, 2, "np-eval", blocker / "x.json", "is a file, not a folder")
    assert "IoU" not in res.stdout  # refused before the evaluation, not after it
