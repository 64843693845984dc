"""np-infer end to end with a tiny random checkpoint and synthetic input files."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import trimesh

from testkit import write_tiny_checkpoint
from trainer.data.normalize import compute_normalization
from trainer.export import load_assembly
from trainer.inference.cli import main

M = 3  # primitives of the tiny model
RES = 1  # icosphere level 1: 42 vertices, 80 faces per primitive


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return write_tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt")


@pytest.fixture
def inputs(tmp_path):
    box = trimesh.creation.box(extents=(2.0, 1.0, 0.5))
    box.apply_translation((10.0, -3.0, 1.0))  # far from the unit cube: the frame matters
    box.export(tmp_path / "box.obj")
    trimesh.creation.icosphere(2, radius=3.0).export(tmp_path / "ball.ply")
    (tmp_path / "corrupt.obj").write_text("v 0 0 0\nf 1 2 3\nnot an obj line\n")
    return tmp_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_batch_completes_good_shapes_and_lists_bad_ones(ckpt, inputs, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, ckpt, inputs / "box.obj", inputs / "corrupt.obj",
                            inputs / "missing.stl", inputs / "ball.ply", "--out", out,
                            "--resolution", RES, "--format", "stl", "--device", "cpu")
    assert code == 1
    assert "2 of 4 shape(s) written" in stdout
    assert "2 input(s) failed" in err
    assert "corrupt.obj" in err and "missing.stl" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["ball", "box", "np-infer.json"]  # nothing for the bad ones
    for shape in ("box", "ball"):
        names = sorted(p.name for p in (out / shape).iterdir())
        assert names == [f"part_{k}.stl" for k in range(M)] + ["union.stl"]
        for k in range(M):  # each primitive comes out closed, with the icosphere's counts
            mesh = trimesh.load(out / shape / f"part_{k}.stl")
            assert mesh.is_watertight and mesh.is_winding_consistent
            assert (len(mesh.vertices), len(mesh.faces)) == (42, 80)
        assert trimesh.load(out / shape / "union.stl").is_watertight


def test_glb_scene_has_named_nodes(ckpt, inputs, tmp_path, capsys):
    code, _, _ = run(capsys, ckpt, inputs / "box.obj", "--out", tmp_path / "o", "--format", "glb",
                     "--resolution", RES, "--quiet")
    assert code == 0
    scene = trimesh.load(tmp_path / "o" / "box" / "parts.glb", force="scene")
    assert sorted(scene.graph.nodes_geometry) == [f"part_{k}" for k in range(M)]
    union = trimesh.load(tmp_path / "o" / "box" / "union.glb", force="mesh")
    assert union.is_watertight


def test_original_frame_undoes_the_normalisation(ckpt, inputs, tmp_path, capsys):
    args = [ckpt, inputs / "box.obj", "--resolution", RES, "--format", "ply", "--no-union", "--quiet"]
    assert run(capsys, *args, "--out", tmp_path / "a", "--frame", "original")[0] == 0
    assert run(capsys, *args, "--out", tmp_path / "b", "--frame", "normalised")[0] == 0
    orig = trimesh.load(tmp_path / "a" / "box" / "part_0.ply", process=False).vertices
    norm = trimesh.load(tmp_path / "b" / "box" / "part_0.ply", process=False).vertices
    n = compute_normalization(trimesh.load(inputs / "box.obj").vertices)
    np.testing.assert_allclose(orig, n.invert(norm), atol=1e-5)
    assert np.abs(norm).max() < 5 and orig[:, 0].mean() > 5  # really moved to the box's place


def test_segmentation_and_saved_assembly(ckpt, inputs, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, _ = run(capsys, ckpt, inputs / "ball.ply", "--out", out, "--resolution", RES,
                     "--segment", "--save-assembly", "--layout", "single", "--quiet")
    assert code == 0
    seg = trimesh.load(out / "ball" / "segments.obj", force="scene", process=False)
    assert sum(len(g.faces) for g in seg.geometry.values()) == 320  # icosphere(2) faces
    saved = load_assembly(out / "ball" / "assembly.npasm")
    assert [p.primitive for p in saved.parts] == list(range(M))
    assert saved.resolution == RES and saved.shape.endswith("ball.ply")
    parts = trimesh.load(out / "ball" / "parts.obj", force="scene", process=False)
    # the saved assembly is in the normalised frame (identity transforms), the files in the
    # input's frame; the metadata maps one to the other
    assert all(np.array_equal(p.transform, np.eye(4)) for p in saved.parts)
    norm = saved.metadata["normalization"]
    local = np.concatenate([p.vertices for p in saved.parts]).astype(np.float64)
    world = (local - np.array(norm["translation"])) / norm["scale"]
    got = np.concatenate([parts.geometry[f"part_{k}"].vertices for k in range(M)])
    np.testing.assert_allclose(got, world, atol=1e-5)


def test_existing_outputs_need_overwrite(ckpt, inputs, tmp_path, capsys):
    args = [ckpt, inputs / "box.obj", "--out", tmp_path / "o", "--resolution", RES, "--quiet"]
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args)
    assert code == 1 and "use --overwrite" in err
    assert run(capsys, *args, "--overwrite")[0] == 0


def test_bad_checkpoint_is_one_message_and_exit_2(inputs, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    code, _, err = run(capsys, bad, inputs / "box.obj", "--out", tmp_path / "o", "--quiet")
    assert code == 2
    assert err.startswith("np-infer: error:") and "bad.pt" in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_unusable_output_folder_and_resolution(ckpt, inputs, tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    code, _, err = run(capsys, ckpt, inputs / "box.obj", "--out", tmp_path / "f" / "o")
    assert code == 2 and "cannot use" in err
    code, _, err = run(capsys, ckpt, inputs / "box.obj", "--out", tmp_path / "o", "--resolution", 9)
    assert code == 2 and "--resolution" in err


def test_cuda_request(ckpt, inputs, tmp_path, capsys):
    code, stdout, err = run(capsys, ckpt, inputs / "box.obj", "--out", tmp_path / "o",
                            "--device", "cuda", "--resolution", RES, "--quiet")
    assert code == 0
    if torch.cuda.is_available():
        assert "on cuda" in stdout
    else:
        assert "running on the CPU" in err and "on cpu" in stdout


def test_console_entry_point_has_help():
    res = subprocess.run([sys.executable, "-m", "trainer.inference.cli", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    for flag in ("--out", "--format", "--resolution", "--device"):
        assert flag in res.stdout


@pytest.mark.parametrize("fmt", ["obj", "ply", "stl", "glb"])
def test_every_predicted_primitive_exports_watertight(ckpt, inputs, tmp_path, fmt):
    from trainer.export import ExportPart, export_parts
    from trainer.inference import Predictor, load_shape

    prediction = Predictor(ckpt, device="cpu").predict(load_shape(inputs / "box.obj"), 3)
    parts = [ExportPart(f"p{k}", v, f) for k, (v, f) in enumerate(prediction.meshes)]
    paths = [p for p in export_parts(parts, tmp_path / f"x.{fmt}", per_part=True)
             if p.suffix == f".{fmt}"]
    assert len(paths) == M
    for path in paths:
        mesh = trimesh.load(path, force="mesh")
        assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
        assert (len(mesh.vertices), len(mesh.faces)) == (642, 1280)


def test_prepared_dataset_input_with_segmentation(ckpt, tmp_path, capsys):
    """A prepared dataset (the bundled samples, or a freshly prepared synthetic one) as input."""
    from pathlib import Path

    from trainer.inference import list_shapes

    samples = Path(__file__).resolve().parents[2] / "assets" / "shapes"
    if not (samples / "manifest.json").is_file():
        from trainer.data.prepare import main as np_prepare

        samples = tmp_path / "ds"
        assert np_prepare(["--synthetic", "chair", "--count", "2", "--out", str(samples),
                           "--surface", "500", "--uniform", "500", "--near", "500", "--quiet"]) == 0
    refs = list_shapes(samples)
    code, stdout, _ = run(capsys, ckpt, refs[0].path, refs[1].path, "--out", tmp_path / "o",
                          "--resolution", RES, "--format", "ply", "--segment", "--quiet")
    assert code == 0 and "2 of 2 shape(s)" in stdout
    from trainer.export.parts import safe_name
    from trainer.inference import load_shape

    assert len([p for p in (tmp_path / "o").iterdir() if p.is_dir()]) == 2
    for ref in refs[:2]:
        seg = sorted((tmp_path / "o" / safe_name(ref.name)).glob("segment_*.ply"))
        assert seg, "a prepared shape with a mesh must be segmented"
        n_faces = sum(len(trimesh.load(p, process=False).faces) for p in seg)
        assert n_faces == len(load_shape(ref.path).faces)
