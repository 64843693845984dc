"""np-fit end to end: files as np-infer writes them, a model.pt that np-infer / np-eval / Predictor
open and that reproduces the fitted parts, bad inputs, and Ctrl-C / SIGTERM keeping the best state."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import trimesh

from trainer import checkpoint
from trainer.fitting.cli import main as np_fit
from trainer.inference import Predictor, load_shape
from trainer.inference.cli import main as np_infer

pytestmark = pytest.mark.timeout(180, method="thread")
FAST = ["--threads", "1", "--resolution", "1", "--quiet"]


def test_np_fit_writes_a_model_that_reproduces_the_parts(tmp_path, humanoid_dataset, humanoid_dir, capsys):
    from trainer.evaluate import main as np_eval
    out = tmp_path / "fit"
    assert np_fit([str(humanoid_dir), "--out", str(out), "--steps", "15", *FAST]) == 0
    folder = out / "human3"
    fit = json.loads((folder / "fit.json").read_text())
    assert fit["steps"] == 15 and fit["stopped"] == "steps" and 0.0 <= fit["iou_after"] <= 1.0
    # the objective on the fixed ranking draw fell (the IoU rise needs more steps: test_fit_shape.py)
    assert fit["objective"] < fit["ranking"][0]["objective"] and fit["ranking"][0]["step"] == 0
    n_parts = checkpoint.read(folder / "model.pt")["config"]["network"]["n_primitives"]   # the bundled model's M
    assert sorted(p.name for p in folder.glob("*.obj")) == [f"part_{k}.obj" for k in range(n_parts)] + ["union.obj"]

    # np-infer with the fitted checkpoint writes the same parts, byte for byte
    again = tmp_path / "infer"
    assert np_infer([str(folder / "model.pt"), str(humanoid_dir), "--out", str(again), "--resolution", "1",
                     "--quiet"]) == 0
    for k in range(n_parts):
        assert (again / "human3" / f"part_{k}.obj").read_bytes() == (folder / f"part_{k}.obj").read_bytes()

    # Predictor gives the exported parts (in the shape's original frame)
    shape = load_shape(humanoid_dir)
    pred = Predictor(folder / "model.pt", device="cpu").predict(shape, 1)
    part = trimesh.load(folder / "part_2.obj", process=False, force="mesh")
    np.testing.assert_allclose(shape.normalization.invert(pred.meshes[2][0]), part.vertices, atol=1e-4)

    # np-eval scores the fitted model on the one-shape dataset close to the fit's own estimate
    capsys.readouterr()
    report = tmp_path / "eval.json"
    assert np_eval([str(folder / "model.pt"), str(humanoid_dataset), "--split", "test", "--out", str(report),
                    "--n-points", "2000", "--mesh-resolution", "2", "--no-progress", "--threads", "1"]) == 0
    scores = json.loads(report.read_text())
    assert abs(scores["iou"] - fit["iou_after"]) < 0.1


def test_bad_inputs_are_listed_and_the_rest_completes(tmp_path, capsule_obj, tiny_ckpt, capsys):
    cloud = tmp_path / "cloud.xyz"
    np.savetxt(cloud, np.random.default_rng(0).normal(size=(50, 3)))
    code = np_fit([str(capsule_obj), str(cloud), str(tmp_path / "missing.obj"), "--out", str(tmp_path / "o"),
                   "--checkpoint", str(tiny_ckpt), "--steps", "3", *FAST])
    err = capsys.readouterr().err
    assert code == 1
    assert "2 input(s) failed" in err and "missing.obj: no such file" in err and "point cloud cannot be fitted" in err
    assert (tmp_path / "o" / "capsule" / "model.pt").is_file()
    # existing results are not overwritten without --overwrite
    code = np_fit([str(capsule_obj), "--out", str(tmp_path / "o"), "--checkpoint", str(tiny_ckpt),
                   "--steps", "3", *FAST])
    assert code == 1 and "already exists (use --overwrite" in capsys.readouterr().err


def test_nothing_can_run_exit_2(tmp_path, capsule_obj, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert np_fit([str(capsule_obj), "--out", str(tmp_path / "o"), "--checkpoint", str(bad), *FAST]) == 2
    assert np_fit([str(capsule_obj), "--out", str(tmp_path / "o"), "--steps", "0", *FAST]) == 2


def test_sigterm_keeps_the_best_state(tmp_path, capsule_obj, tiny_ckpt):
    out = tmp_path / "o"
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "trainer.fitting.cli", str(capsule_obj), "--out", str(out),
                             "--checkpoint", str(tiny_ckpt), "--seconds", "120", "--threads", "1",
                             "--resolution", "1"], stderr=subprocess.PIPE, text=True, env=env, cwd=repo)
    seen = threading.Event()
    lines: list[str] = []

    def read():
        buf = ""
        while True:
            ch = proc.stderr.read(1)
            if not ch:
                return
            buf += ch
            if "objective" in buf and "step 2" in buf:
                seen.set()
            if ch in "\r\n":
                lines.append(buf)
                buf = ""

    threading.Thread(target=read, daemon=True).start()
    assert seen.wait(90), "".join(lines)[-2000:]
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(60)
    finally:
        proc.kill()
    assert code == 130, "".join(lines)[-2000:]
    fit = json.loads((out / "capsule" / "fit.json").read_text())
    assert fit["stopped"] == "interrupted" and fit["steps"] >= 2
    scores = {r["step"]: r["objective"] for r in fit["ranking"]}     # the kept state is the best-scored one
    assert fit["objective"] == min(scores.values()) == scores[fit["best_step"]]
    assert fit["steps"] in scores                                    # the state at the stop was scored too
    assert (out / "capsule" / "model.pt").is_file() and (out / "capsule" / "part_0.obj").is_file()


@pytest.mark.parametrize("kind, network_type, parts", [("superquadrics", "superquadrics", 4),
                                                       ("cuboids", "cuboids", 3),
                                                       ("ellipsoids", "flexible_primitives", 2)])
def test_type_fits_that_primitive_type_from_scratch(tmp_path, capsule_obj, kind, network_type, parts):
    from trainer import checkpoint
    out = tmp_path / "o"
    assert np_fit([str(capsule_obj), "--out", str(out), "--type", kind, "--primitives", str(parts),
                   "--steps", "4", *FAST]) == 0
    folder = next(out.iterdir())
    fit = json.loads((folder / "fit.json").read_text())
    assert fit["network_type"] == network_type and fit["n_primitives"] == parts and fit["mode"] == "scratch"
    cfg = checkpoint.read(folder / "model.pt")["config"]
    assert cfg["network"]["type"] == network_type
    assert (kind != "ellipsoids") or cfg["invertible_network"]["n_blocks"] == 0
    p = Predictor(folder / "model.pt", device="cpu")
    assert p.n_primitives == parts
    assert sorted(x.name for x in folder.glob("part_*.obj")) == [f"part_{k}.obj" for k in range(parts)]


def test_type_refuses_a_checkpoint(tmp_path, capsule_obj, tiny_ckpt, capsys):
    assert np_fit([str(capsule_obj), "--out", str(tmp_path / "o"), "--type", "cuboids",
                   "--checkpoint", str(tiny_ckpt), *FAST]) == 2
    assert "--type fits from scratch" in capsys.readouterr().err
