"""training.lr_schedule (ours): cosine decay that resumes exactly, and bad values refused by name."""
import csv
import math

import pytest
import torch

from trainer import checkpoint
from trainer.config import ConfigError
from trainer.training import TrainOptions, train
from trainer.training.optim import lr_at


def test_cosine_runs_from_lr_to_its_final_fraction():
    t = {"lr": 1e-3, "lr_schedule": {"type": "cosine", "final_fraction": 0.1}}
    lrs = [lr_at(t, s, 100) for s in range(101)]
    assert lrs[0] == pytest.approx(1e-3) and lrs[100] == pytest.approx(1e-4)
    assert lrs[50] == pytest.approx(0.55e-3)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert lr_at({"lr": 1e-3}, 73, 100) == 1e-3                      # constant, as published
    warm = {"lr": 1e-3, "lr_schedule": {"type": "cosine", "warmup_steps": 10}}
    assert lr_at(warm, 0, 100) == pytest.approx(1e-4) and lr_at(warm, 9, 100) == pytest.approx(1e-3)


def test_the_optimizer_follows_the_schedule_and_resume_is_exact(tmp_path, ellipsoids, tiny_config):
    cfg = tiny_config(epochs=2, steps_per_epoch=4, checkpoint_every=2,
                      lr_schedule={"type": "cosine", "final_fraction": 0.25})
    full = train(cfg, TrainOptions(tmp_path / "full", progress=False), dataset=ellipsoids)
    rows = list(csv.DictReader((tmp_path / "full" / "log.csv").open()))
    logged = [float(r["lr"]) for r in rows]
    assert logged == pytest.approx([lr_at(cfg["training"], s, 8) for s in range(8)])
    assert logged[-1] < 0.3e-3 and math.isclose(logged[0], 1e-3)
    train(cfg, TrainOptions(tmp_path / "part", progress=False, max_steps=3), dataset=ellipsoids)
    train(cfg, TrainOptions(tmp_path / "part", progress=False, resume=True), dataset=ellipsoids)
    a = checkpoint.read(tmp_path / "full" / "model.pt")["model"]
    b = checkpoint.read(tmp_path / "part" / "model.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert full.step == 8


@pytest.mark.parametrize("schedule, named", [("linear", "training.lr_schedule"),
                                             ({"type": "cosine", "final": 0.1}, "training.lr_schedule.final"),
                                             ({"type": "cosine", "final_fraction": 2}, "final_fraction")])
def test_unknown_schedules_are_refused_by_name(tmp_path, ellipsoids, tiny_config, schedule, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        train(tiny_config(lr_schedule=schedule), TrainOptions(tmp_path, progress=False), dataset=ellipsoids)
    assert not (tmp_path / "last.pt").exists()
