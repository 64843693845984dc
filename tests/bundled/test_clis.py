"""np-infer, np-eval and np-fit with no checkpoint: each shape (dataset category) under its own
bundled model, the closest one for the rest; a checkpoint given overrides the choice."""
from __future__ import annotations

import json

import pytest

from trainer.evaluate import main as np_eval
from trainer.fitting.cli import main as np_fit
from trainer.inference.cli import main as np_infer

PARTS = {"humanoid": 3, "chair": 5}       # the tiny bundled models' part counts (conftest.MODELS)


def n_parts(folder) -> int:
    return len(list(folder.glob("part_*.obj")))


def test_np_infer_picks_each_shapes_model(bundled, families, meshes, tmp_path, capsys):
    out = tmp_path / "out"
    assert np_infer([str(families), str(meshes["stick"]), "--out", str(out), "--resolution", "0",
                     "--device", "cpu", "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert {name: n_parts(out / name) for name in ("h0", "h1", "c0", "c1", "stick")} == \
        {"h0": 3, "h1": 3, "c0": 5, "c1": 5, "stick": 5}
    assert "c0: chair.pt (category chair)" in stdout and "h1: humanoid.pt (category humanoid)" in stdout
    assert "l0: " in stdout and "no bundled model for category lamp" in stdout
    assert "stick: chair.pt (closest of 2: Chamfer-L1" in stdout
    entries = {e["output"]: e for e in json.loads((out / "np-infer.json").read_text())["shapes"]}
    assert entries["c0"]["checkpoint"] == str((bundled / "chair.pt").resolve())
    assert entries["stick"]["model_choice"]["reason"] == "closest"
    assert set(entries["stick"]["model_choice"]["distances"]) == {"chair", "humanoid"}


def test_np_infer_checkpoint_overrides(bundled, families, tmp_path, capsys):
    out = tmp_path / "out"
    assert np_infer([str(bundled / "humanoid.pt"), str(families), "--out", str(out), "--resolution", "0",
                     "--device", "cpu", "--quiet"]) == 0
    assert "bundled models" not in capsys.readouterr().out
    assert {n_parts(out / name) for name in ("h0", "c0", "c1", "l0")} == {3}
    entry = json.loads((out / "np-infer.json").read_text())["shapes"][0]
    assert "model_choice" not in entry


def test_np_infer_without_bundled_models_stops_with_one_line(families, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NP_BUNDLED_MODELS", str(tmp_path / "none"))
    assert np_infer([str(families), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "holds no bundled models" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_np_infer_checkpoint_without_inputs_is_a_usage_error(bundled, tmp_path):
    with pytest.raises(SystemExit) as exc:
        np_infer([str(bundled / "chair.pt"), "--out", str(tmp_path / "out")])
    assert exc.value.code == 2


def eval_json(args, tmp_path, capsys) -> tuple[dict, str]:
    out = tmp_path / "eval.json"
    assert np_eval([*map(str, args), "--out", str(out), "--n-points", "200", "--device", "cpu",
                    "--no-progress"]) == 0
    return json.loads(out.read_text()), capsys.readouterr().out


def test_np_eval_one_category_uses_its_model(bundled, one_family, tmp_path, capsys):
    report, stdout = eval_json([one_family], tmp_path, capsys)
    assert report["checkpoint"] == str(bundled / "chair.pt") and report["n_shapes"] == 2
    assert report["model_choice"]["reason"] == "category"
    assert "chair: chair.pt (category chair)" in stdout


def test_np_eval_mixed_dataset_evaluates_each_category_with_its_own_model(bundled, families, tmp_path, capsys):
    report, stdout = eval_json([families], tmp_path, capsys)
    per = report["categories"]
    assert {c: (r["checkpoint"].rsplit("/", 1)[-1], r["n_shapes"]) for c, r in per.items() if c != "lamp"} == \
        {"chair": ("chair.pt", 2), "humanoid": ("humanoid.pt", 2)}
    assert per["lamp"]["n_shapes"] == 1 and per["lamp"]["model_choice"]["reason"] == "closest"
    assert stdout.count("shapes, split 'test'") == 3       # one table per category


def test_np_eval_checkpoint_overrides(bundled, families, tmp_path, capsys):
    report, stdout = eval_json([bundled / "humanoid.pt", families], tmp_path, capsys)
    assert report["checkpoint"] == str(bundled / "humanoid.pt") and report["n_shapes"] == 5
    assert "model_choice" not in report and "categories" not in report


def test_np_fit_refines_each_shapes_own_model(bundled, families, meshes, tmp_path, capsys):
    from trainer import checkpoint
    out = tmp_path / "fit"
    assert np_fit([str(families / "chair" / "c0"), str(meshes["ball"]), "--out", str(out), "--steps", "1",
                   "--resolution", "0", "--device", "cpu", "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert n_parts(out / "c0") == 5 and n_parts(out / "ball") == 3
    assert checkpoint.read(out / "c0" / "model.pt")["config"]["network"]["n_primitives"] == 5
    assert json.loads((out / "c0" / "fit.json").read_text())["model_choice"]["reason"] == "category"
    assert json.loads((out / "ball" / "fit.json").read_text())["model_choice"]["category"] == "humanoid"
    assert "from chair.pt (category chair)" in stdout and "from humanoid.pt (closest of 2" in stdout


def test_np_fit_checkpoint_overrides(bundled, families, tmp_path):
    out = tmp_path / "fit"
    assert np_fit([str(families / "chair" / "c0"), "--checkpoint", str(bundled / "humanoid.pt"), "--out", str(out),
                   "--steps", "1", "--resolution", "0", "--device", "cpu", "--quiet"]) == 0
    assert n_parts(out / "c0") == 3
    assert "model_choice" not in json.loads((out / "c0" / "fit.json").read_text())


@pytest.mark.parametrize("first, is_checkpoint", [("model.pt", True), ("missing.pth", True), ("shape.obj", False),
                                                  ("cloud.xyz", False), ("missing_folder", False)])
def test_the_first_argument_is_the_checkpoint_only_when_it_names_one(first, is_checkpoint, families):
    from trainer.inference.cli import parse_args
    args = parse_args([first, str(families), "--out", "x"])
    assert (args.checkpoint == first) is is_checkpoint
    assert args.inputs == ([str(families)] if is_checkpoint else [first, str(families)])
