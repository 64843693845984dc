"""np-train and np-eval end to end on a few prepared procedural humanoids."""
import csv
import json
import subprocess
import sys

import pytest
import torch
import yaml

from trainer import checkpoint
from trainer.evaluate import main as eval_main
from trainer.train import main as train_main


@pytest.fixture(scope="module")
def humanoids(tmp_path_factory):
    out = tmp_path_factory.mktemp("humanoids")
    cmd = [sys.executable, "-m", "trainer.data.prepare", "--synthetic", "humanoid", "--count", "3",
           "--seed", "7", "--out", str(out), "--surface", "3000", "--uniform", "3000", "--near", "1000",
           "--split", "test", "--workers", "1", "--quiet", "--segments", "12"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _config(tmp_path, data_dir):
    cfg = {
        "data": {"dataset_type": "prepared", "dataset_directory": str(data_dir), "n_points_on_mesh": 64,
                 "n_points_in_mesh": 64, "n_input_points": 64},
        "network": {"n_primitives": 3, "n_points_on_sphere": 16},
        "feature_extractor": {"type": "pointcloud", "feature_size": 16},
        "invertible_network": {"n_blocks": 1, "hidden_size": 16},
        "projection_layer": {"proj_dims": 8},
        "training": {"splits": ["test"], "epochs": 1, "steps_per_epoch": 3, "batch_size": 2, "lr": 1e-3},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_np_train_then_np_eval(tmp_path, humanoids, capsys):
    cfg = _config(tmp_path, humanoids)
    assert train_main([str(cfg), str(tmp_path / "run"), "--no-progress"]) == 0
    ck = tmp_path / "run" / "model.pt"
    assert checkpoint.read(ck)["step"] == 3
    out = tmp_path / "eval.json"
    rc = eval_main([str(ck), str(humanoids), "--out", str(out), "--n-points", "2000",
                    "--mesh-resolution", "2", "--no-progress"])
    assert rc == 0
    res = json.loads(out.read_text())
    for key in ("iou", "chamfer_l1", "fscore", "normal_consistency", "part_purity", "part_connectedness"):
        assert isinstance(res[key], float), key
    connected = [r["part_connectedness"] for r in res["per_shape"]]
    assert all(0 < c <= 1 for c in connected)
    assert res["part_connectedness"] == pytest.approx(sum(connected) / len(connected))
    assert 0 <= res["iou"] <= 1 and res["chamfer_l1"] > 0 and 0 < res["part_purity"] <= 1
    assert len(res["per_shape"]) == 3 and len(res["per_primitive"]) == 3
    assert res["per_primitive"][0]["part_name"] in res["part_names"] + [None]
    trained = checkpoint.read(ck)   # the report outlives the checkpoint: it keeps how the model was trained
    assert res["training"]["step"] == 3 and res["training"]["seconds"] == pytest.approx(trained["seconds"])
    table = capsys.readouterr().out
    assert "Chamfer-L1" in table and "Part purity" in table and "Connectedness" in table


def test_cli_errors_are_one_clear_line(tmp_path, humanoids, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("loss:\n  type: [no_such_loss]\n")
    assert train_main([str(bad), str(tmp_path / "r"), "--dataset-directory", str(humanoids)]) == 2
    assert "Unknown loss 'no_such_loss'" in capsys.readouterr().err
    assert train_main([str(_config(tmp_path, humanoids)), str(tmp_path / "r2"), "--resume"]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert eval_main([str(junk), str(humanoids)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("np-eval: error:") and "Traceback" not in err
    assert eval_main([str(junk), str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def _two_epochs(path, **validation):
    """Two epochs of 3 single-batch updates; validation after each epoch if given."""
    cfg = yaml.safe_load(path.read_text())
    cfg["training"].update(epochs=2, steps_per_epoch=3, aggregate=1)
    cfg["validation"] = {"splits": ["test"], "frequency": 1, "batch_size": 2, **validation} if validation \
        else {"frequency": 0}
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_validation_pass_logs_iou_equal_to_np_eval(tmp_path, humanoids):
    cfg = _two_epochs(_config(tmp_path, humanoids), frequency=1)
    assert train_main([str(cfg), str(tmp_path / "run"), "--no-progress"]) == 0
    rows = list(csv.DictReader((tmp_path / "run" / "validation.csv").open()))
    assert [int(r["step"]) for r in rows] == [3, 6]
    assert {"loss", "true_chamfer_loss", "implicit_surface_loss", "iou"} <= set(rows[0])
    out = tmp_path / "eval.json"
    assert eval_main([str(tmp_path / "run" / "model.pt"), str(humanoids), "--split", "test", "--out", str(out),
                      "--n-points", "1000", "--mesh-resolution", "1", "--no-progress"]) == 0
    assert float(rows[-1]["iou"]) == pytest.approx(json.loads(out.read_text())["iou"], abs=1e-3)


def test_validation_does_not_change_the_training_trajectory(tmp_path, humanoids):
    plain = _config(tmp_path, humanoids)
    validated = tmp_path / "validated.yaml"
    validated.write_text(plain.read_text())
    _two_epochs(plain)
    _two_epochs(validated, batch_size=1)
    for cfg, run in ((plain, "a"), (validated, "b")):
        assert train_main([str(cfg), str(tmp_path / run), "--no-progress"]) == 0
    a = checkpoint.read(tmp_path / "a" / "model.pt")["model"]
    b = checkpoint.read(tmp_path / "b" / "model.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (tmp_path / "a" / "validation.csv").exists() and (tmp_path / "b" / "validation.csv").exists()


def test_validation_on_a_missing_split_warns_and_trains_on(tmp_path, humanoids, capsys):
    cfg = _two_epochs(_config(tmp_path, humanoids), splits=["val"])
    assert train_main([str(cfg), str(tmp_path / "run"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "validation disabled" in err and "'val'" in err
    assert (tmp_path / "run" / "model.pt").exists() and not (tmp_path / "run" / "validation.csv").exists()
