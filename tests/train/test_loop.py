"""A few-step training run lowers the loss, checkpoints, and resumes bit-for-bit."""
import csv

import pytest
import torch

from trainer import checkpoint
from trainer.training import TrainOptions, train


def _params(path):
    return checkpoint.read(path)["model"]


def test_training_lowers_the_loss_and_writes_logs(tmp_path, ellipsoids, tiny_config):
    cfg = tiny_config(epochs=1, steps_per_epoch=30, lr=3e-3, checkpoint_every=10)
    r = train(cfg, TrainOptions(tmp_path, progress=False), dataset=ellipsoids)
    assert r.step == 30 and not r.interrupted
    first = sum(h["loss"] for h in r.history[:5]) / 5
    last = sum(h["loss"] for h in r.history[-5:]) / 5
    assert last < first
    assert (tmp_path / "model.pt").exists() and (tmp_path / "last.pt").exists()
    rows = list(csv.DictReader((tmp_path / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == list(range(1, 31))
    assert {"loss", "true_chamfer_loss", "implicit_surface_loss", "lr", "grad_norm"} <= set(rows[0])
    assert any((tmp_path / "tensorboard").iterdir())
    model, cfg_back = checkpoint.load(tmp_path / "model.pt")
    assert cfg_back["network"]["n_primitives"] == 2


def test_resume_is_bit_for_bit(tmp_path, ellipsoids, tiny_config):
    cfg = tiny_config(aggregate=2, epochs=2, steps_per_epoch=4, checkpoint_every=2)
    full = train(cfg, TrainOptions(tmp_path / "full", progress=False), dataset=ellipsoids)
    part = train(cfg, TrainOptions(tmp_path / "part", progress=False, max_steps=4), dataset=ellipsoids)
    assert part.step == 4 and not (tmp_path / "part" / "model.pt").exists()
    rest = train(cfg, TrainOptions(tmp_path / "part", progress=False, resume=True), dataset=ellipsoids)
    assert rest.step == full.step == 8
    a, b = _params(tmp_path / "full" / "model.pt"), _params(tmp_path / "part" / "model.pt")
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert [h["loss"] for h in full.history[2:]] == [h["loss"] for h in rest.history]
    rows = list(csv.DictReader((tmp_path / "part" / "log.csv").open()))
    assert [int(r["step"]) for r in rows] == [2, 4, 6, 8]
    ck = checkpoint.read(tmp_path / "part" / "last.pt")
    assert ck["step"] == 8 and "optimizer" in ck and "rng" in ck


def test_published_biased_flag_gives_unit_volume_weights(tmp_path, ellipsoids, tiny_config):
    for item in ellipsoids.items:
        item["volume_weights"] = torch.zeros_like(item["volume_weights"])
    terms = {}
    for biased in (False, True):
        cfg = tiny_config(epochs=1, steps_per_epoch=1)
        cfg["data"]["biased"] = biased
        r = train(cfg, TrainOptions(tmp_path / str(biased), progress=False), dataset=ellipsoids)
        terms[biased] = r.history[0]["implicit_surface_loss"]
    assert terms[False] == 0.0 and terms[True] > 0.0


def test_release_keeps_model_and_facts_only(tmp_path, ellipsoids, tiny_config):
    from trainer.training.release import release

    r = train(tiny_config(epochs=1, steps_per_epoch=2), TrainOptions(tmp_path, progress=False), dataset=ellipsoids)
    out = release(r.checkpoint, tmp_path / "small.pt", eval={"iou": 0.5})
    data = checkpoint.read(out)
    assert data["step"] == 2 and data["eval"] == {"iou": 0.5}
    assert "optimizer" not in data and "rng" not in data
    model, _ = checkpoint.load(out)
    for k, v in model.state_dict().items():
        assert torch.equal(v, r.model.state_dict()[k])


def _first_step_from(tmp_path, name, cfg, ellipsoids, init):
    r = train(cfg, TrainOptions(tmp_path / name, progress=False, init_weights=init), dataset=ellipsoids)
    return r, checkpoint.read(r.checkpoint)


def test_init_weights_starts_a_fresh_run_from_a_trained_model(tmp_path, ellipsoids, tiny_config):
    trained = train(tiny_config(epochs=1, steps_per_epoch=30, lr=3e-3), TrainOptions(tmp_path / "a", progress=False),
                    dataset=ellipsoids)
    cfg = tiny_config(epochs=1, steps_per_epoch=1, lr=0.0)  # lr 0: the weights stay what they started as
    tuned, ck = _first_step_from(tmp_path, "ours", cfg, ellipsoids, trained.checkpoint)
    fresh, _ = _first_step_from(tmp_path, "fresh", cfg, ellipsoids, None)
    for k, v in trained.model.state_dict().items():
        assert torch.equal(ck["model"][k], v), k
    assert ck["step"] == 1 and ck["init_weights"] == str(trained.checkpoint)
    assert tuned.history[0]["loss"] < fresh.history[0]["loss"]
    # a published bare state dict works the same
    bare = tmp_path / "published.pt"
    torch.save(trained.model.state_dict(), bare)
    _, ck_bare = _first_step_from(tmp_path, "bare", cfg, ellipsoids, bare)
    assert all(torch.equal(ck_bare["model"][k], v) for k, v in ck["model"].items())


def test_init_weights_survives_resume_and_a_mismatch_is_refused(tmp_path, ellipsoids, tiny_config):
    start = train(tiny_config(epochs=1, steps_per_epoch=2), TrainOptions(tmp_path / "a", progress=False),
                  dataset=ellipsoids)
    cfg = tiny_config(epochs=1, steps_per_epoch=4)
    train(cfg, TrainOptions(tmp_path / "b", progress=False, init_weights=start.checkpoint, max_steps=2),
          dataset=ellipsoids)
    rest = train(cfg, TrainOptions(tmp_path / "b", progress=False, resume=True), dataset=ellipsoids)
    assert rest.step == 4 and checkpoint.read(rest.checkpoint)["init_weights"] == str(start.checkpoint)
    other = tiny_config(epochs=1, steps_per_epoch=1)
    other["network"]["n_primitives"] = 3
    with pytest.raises(checkpoint.CheckpointError, match="n_primitives|shape|differ"):
        train(other, TrainOptions(tmp_path / "c", progress=False, init_weights=start.checkpoint), dataset=ellipsoids)
