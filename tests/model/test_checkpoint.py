"""Checkpoint files: round trips, published state dicts, and hostile or wrong files."""
import os
import pickle

import pytest
import torch
import yaml

from trainer import checkpoint
from trainer.checkpoint import CheckpointError

from testkit import tiny_config


def _same_weights(a, b):
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        assert torch.equal(va, vb), ka


def test_round_trip_keeps_config_weights_and_extras(tiny_model, tmp_path):
    path = checkpoint.save(tmp_path / "m.pt", tiny_model, tiny_model.config, step=7, note="hi")
    model, cfg = checkpoint.load(path)
    _same_weights(tiny_model, model)
    assert cfg["network"]["n_primitives"] == 3
    raw = checkpoint.read(path)
    assert raw["step"] == 7 and raw["note"] == "hi"
    assert not model.training
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"], "no temporary file left behind"


def test_loading_draws_no_random_numbers_and_leaves_no_meta_tensor(tiny_model, tmp_path):
    """The model is built on the meta device and takes every tensor from the file: no random
    initialisation is run (and thrown away), so torch's RNG is untouched by a load."""
    path = checkpoint.save(tmp_path / "m.pt", tiny_model, tiny_model.config)
    torch.manual_seed(3)
    before = torch.get_rng_state()
    model, _ = checkpoint.load(path)
    assert torch.equal(torch.get_rng_state(), before)
    assert not any(t.is_meta for t in [*model.parameters(), *model.buffers()])
    assert all(p.requires_grad for p in model.parameters())
    _same_weights(tiny_model, model)


def test_a_model_tensor_the_file_cannot_fill_is_refused_by_name(tiny_model, tmp_path, monkeypatch):
    from trainer import model as model_package
    path = checkpoint.save(tmp_path / "m.pt", tiny_model, tiny_model.config)
    real = model_package.build_model

    def with_a_plain_tensor(cfg):
        built = real(cfg)
        built.table = torch.zeros(4)      # neither parameter nor buffer: the file cannot hold it
        return built

    monkeypatch.setattr(model_package, "build_model", with_a_plain_tensor)
    with pytest.raises(CheckpointError, match="table"):
        checkpoint.load(path)


def test_published_state_dict_with_yaml_beside_it(tiny_model, tmp_path):
    torch.save(tiny_model.state_dict(), tmp_path / "model_00100")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(tiny_config()))
    model, cfg = checkpoint.load(tmp_path / "model_00100")
    _same_weights(tiny_model, model)
    assert cfg["feature_extractor"]["feature_size"] == 16


def test_published_state_dict_without_config_asks_for_it(tiny_model, tmp_path):
    torch.save(tiny_model.state_dict(), tmp_path / "model_00100")
    with pytest.raises(CheckpointError, match="needs its YAML config"):
        checkpoint.load(tmp_path / "model_00100")


def test_a_missing_config_has_its_own_error_type(tiny_model, tmp_path):
    torch.save(tiny_model.state_dict(), tmp_path / "model_00100")
    (tmp_path / "a.yaml").write_text("network: {}\n")
    (tmp_path / "b.yaml").write_text("network: {}\n")
    with pytest.raises(checkpoint.ConfigNeeded, match="a.yaml, b.yaml"):     # two beside it: which one?
        checkpoint.load(tmp_path / "model_00100")
    (tmp_path / "bad.yaml").write_text("network: [unclosed\n")
    with pytest.raises(CheckpointError) as raised:                          # a config that cannot load
        checkpoint.load(tmp_path / "model_00100", config=tmp_path / "bad.yaml")
    assert not isinstance(raised.value, checkpoint.ConfigNeeded)


class _Payload:
    def __reduce__(self):
        return (os.system, (f"touch {_Payload.marker}",))


def test_code_running_pickle_is_refused_and_never_runs(tmp_path):
    _Payload.marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": checkpoint.FORMAT, "model": {}, "config": {}, "x": _Payload()}, path)
    with pytest.raises(CheckpointError, match="refused"):
        checkpoint.load(path)
    with pytest.raises(CheckpointError, match="refused"):
        checkpoint.read(path)
    # a raw pickle (not a torch zip) with the same trick
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(CheckpointError):
        checkpoint.load(raw)
    assert not _Payload.marker.exists(), "the payload ran"


def test_wrong_shape_names_the_key(tiny_model, tmp_path):
    path = checkpoint.save(tmp_path / "m.pt", tiny_model, tiny_model.config)
    other = dict(tiny_config())
    other["invertible_network"] = {"n_blocks": 4, "hidden_size": 48}
    with pytest.raises(CheckpointError, match=r"'invertible_network\.layers\.0\.map_s\.0\.weight' has shape"):
        checkpoint.load(path, config=other)


def test_nan_weights_and_garbage_files_are_refused(tiny_model, tmp_path):
    state = tiny_model.state_dict()
    state["primitive_embedding"][0, 0] = float("nan")
    path = checkpoint.save(tmp_path / "nan.pt", state, tiny_model.config)
    with pytest.raises(CheckpointError, match="primitive_embedding.*NaN"):
        checkpoint.load(path)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt"):
        checkpoint.load(junk)
    with pytest.raises(CheckpointError, match="does not exist"):
        checkpoint.load(tmp_path / "missing.pt")
    torch.save({"a": 1}, tmp_path / "dict.pt")
    with pytest.raises(CheckpointError, match="neither"):
        checkpoint.load(tmp_path / "dict.pt")


def test_unwritable_destination_raises_and_leaves_nothing(tiny_model, tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        if os.access(target, os.W_OK):  # root ignores permissions: use a path under a file instead
            target = tmp_path / "file"
            target.write_text("x")
        with pytest.raises(OSError):
            checkpoint.save(target / "m.pt", tiny_model, tiny_model.config)
    finally:
        (tmp_path / "ro").chmod(0o700)


def test_non_allowlisted_class_is_refused_by_name(tmp_path):
    import argparse

    path = tmp_path / "obj.pt"
    torch.save({"format": checkpoint.FORMAT, "model": {}, "config": argparse.Namespace(a=1)}, path)
    with pytest.raises(CheckpointError, match=r"refused: it asks to run or build 'argparse.Namespace'"):
        checkpoint.read(path)


def test_saved_file_gets_normal_permissions(tiny_model, tmp_path):
    from trainer.fsutil import new_file_mode

    path = checkpoint.save(tmp_path / "m.pt", tiny_model, tiny_model.config)
    assert path.stat().st_mode & 0o777 == new_file_mode()
