"""np-prepare end to end: formats, layouts, bad input, resume, shards, determinism, atomicity."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from data_helpers import pyvista_example, shared_meshes
from trainer.data import list_prepared, load_prepared, read_manifest
from trainer.data.prepare import main

SMALL = ["--surface", "800", "--uniform", "800", "--near", "800", "--quiet", "--workers", "1"]


def _run(*args: str) -> int:
    return main([*map(str, args), *SMALL])


def test_synthetic_family_prepared_with_labels(tmp_path):
    out = tmp_path / "ds"
    assert _run("--synthetic", "chair", "--count", "3", "--seed", "5", "--out", out) == 0
    entries = read_manifest(out)
    assert [e.name for e in entries] == ["chair-000005", "chair-000006", "chair-000007"]
    assert {e.split for e in entries} <= {"train", "val", "test"}
    rec = load_prepared(out / entries[0].dir)
    assert rec.category == "chair" and rec.part_names[0] == "seat"
    assert rec.surface_points.shape == (800, 3) and rec.surface_normals.shape == (800, 3)
    assert rec.volume_points.shape == (1600, 3) and rec.occupancy.dtype == bool
    assert rec.part_labels.shape == (800,) and rec.part_labels.min() >= 0
    assert 0 < rec.occupancy.mean() < 1
    assert np.allclose(np.linalg.norm(rec.surface_normals, axis=1), 1.0, atol=1e-5)
    # normalised into the unit box, and the normalisation inverts back to the generator's frame
    assert np.abs(rec.surface_points).max() <= 0.5 + 1e-5
    from trainer.data.synthetic import generate
    mesh, _, _ = generate("chair", 5)
    assert np.allclose(rec.normalization.invert(rec.load_mesh().vertices).min(0), mesh.bounds[0], atol=1e-5)
    # face labels stored with the mesh agree with the surface labels
    assert len(rec.face_part_labels) == len(rec.load_mesh().faces)


def test_normals_point_outward(tmp_path):
    out = tmp_path / "ds"
    assert _run("--synthetic", "humanoid", "--count", "1", "--out", out) == 0
    rec = load_prepared(list_prepared(out)[0])
    from trainer.data.inside import inside_mesh
    probe = rec.surface_points + 0.005 * rec.surface_normals
    assert inside_mesh(rec.load_mesh(), probe).mean() < 0.05


def test_files_folders_and_a_bad_file_in_the_batch(tmp_path, capsys):
    src = tmp_path / "src"
    (src / "animals").mkdir(parents=True)
    for p in shared_meshes()[:2]:
        shutil.copy(p, src / "animals" / p.name)
    trimesh.creation.box().export(str(src / "box.stl"))
    (src / "animals" / "broken.obj").write_text("v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    out = tmp_path / "ds"
    code = _run(src, pyvista_example("ant.ply"), "--out", out)
    assert code == 1
    text = capsys.readouterr()
    assert "failed 1" in text.out and "broken.obj" in text.err
    lines = (out / "failures.txt").read_text().splitlines()
    assert len(lines) == 1 and "broken.obj" in lines[0] and "NaN" in lines[0]
    cats = {(e.category, e.name) for e in read_manifest(out)}
    assert ("animals", shared_meshes()[0].stem) in cats and ("src", "box") in cats and ("examples", "ant") in cats
    assert len(cats) == 4
    # a clean rerun clears the failure report only if the failure went away
    (src / "animals" / "broken.obj").unlink()
    assert _run(src, "--out", out) == 0
    assert not (out / "failures.txt").exists()


def test_resume_skips_finished_shapes(tmp_path, capsys):
    out = tmp_path / "ds"
    assert _run("--synthetic", "airplane", "--count", "2", "--out", out) == 0
    first = {p: p.stat().st_mtime_ns for p in out.glob("*/*/samples.npz")}
    capsys.readouterr()
    assert _run("--synthetic", "airplane", "--count", "3", "--out", out) == 0
    assert "prepared 1, skipped 2" in capsys.readouterr().out
    assert all(p.stat().st_mtime_ns == t for p, t in first.items())
    assert len(read_manifest(out)) == 3


def test_interrupted_write_leaves_no_half_shape(tmp_path, monkeypatch):
    out = tmp_path / "ds"
    import trainer.data.prepared as prepared
    real = np.savez

    def dying(*a, **k):
        real(*a, **k)
        raise KeyboardInterrupt  # killed right after the arrays were written

    monkeypatch.setattr(prepared.np, "savez", dying)
    assert _run("--synthetic", "chair", "--count", "1", "--out", out) == 130
    monkeypatch.setattr(prepared.np, "savez", real)
    assert list(out.glob("chair/*")) == []
    assert _run("--synthetic", "chair", "--count", "1", "--out", out) == 0
    assert len(list(out.glob("chair/*/meta.json"))) == 1
    assert not (out / ".incomplete").exists() or list((out / ".incomplete").iterdir()) == []


def test_shards_partition_the_work(tmp_path):
    a, b, whole = tmp_path / "a", tmp_path / "b", tmp_path / "whole"
    for i, d in ((0, a), (1, b)):
        assert _run("--synthetic", "chair", "--count", "6", "--shard", f"{i}/2", "--out", d) == 0
    na = {e.name for e in read_manifest(a)}
    nb = {e.name for e in read_manifest(b)}
    assert na and nb and not (na & nb) and len(na | nb) == 6
    # merged shard outputs are identical to an unsharded run
    assert _run("--synthetic", "chair", "--count", "6", "--out", whole) == 0
    for e in read_manifest(whole):
        src = (a if e.name in na else b) / e.dir
        x, y = load_prepared(src), load_prepared(whole / e.dir)
        assert np.array_equal(x.volume_points, y.volume_points) and np.array_equal(x.occupancy, y.occupancy)
        assert x.split == y.split


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    for d, seed in (("s1", 0), ("s2", 0), ("s3", 1)):
        assert _run("--synthetic", "humanoid", "--count", "1", "--seed", str(seed), "--out", tmp_path / d) == 0
    r1, r2 = (load_prepared(list_prepared(tmp_path / d)[0]) for d in ("s1", "s2"))
    r3 = load_prepared(list_prepared(tmp_path / "s3")[0])
    for k in ("surface_points", "surface_normals", "volume_points", "occupancy", "part_labels"):
        assert np.array_equal(getattr(r1, k), getattr(r2, k))
    assert not np.array_equal(r1.surface_points, r3.surface_points)


def test_parallel_workers_match_serial(tmp_path):
    assert main(["--synthetic", "chair", "--count", "3", "--out", str(tmp_path / "p"), *SMALL,
                 "--workers", "2"]) == 0
    assert _run("--synthetic", "chair", "--count", "3", "--out", tmp_path / "s") == 0
    entries = read_manifest(tmp_path / "s")
    assert [e.dir for e in entries] == [e.dir for e in read_manifest(tmp_path / "p")]
    for e in entries:
        x = load_prepared(tmp_path / "p" / e.dir)
        y = load_prepared(tmp_path / "s" / e.dir)
        assert np.array_equal(x.surface_points, y.surface_points)
        assert np.array_equal(x.occupancy, y.occupancy)


def test_shapenet_and_dfaust_layouts(tmp_path):
    sn = tmp_path / "ShapeNetCore.v2"
    box = trimesh.creation.box()
    for synset, model in (("03001627", "aaa111"), ("03001627", "bbb222"), ("02691156", "ccc333")):
        d = sn / synset / model / "models"
        d.mkdir(parents=True)
        box.export(str(d / "model_normalized.obj"))
    assert _run(sn, "--out", tmp_path / "sn") == 0
    assert {(e.category, e.name) for e in read_manifest(tmp_path / "sn")} == {
        ("03001627", "aaa111"), ("03001627", "bbb222"), ("02691156", "ccc333")}

    df = tmp_path / "dfaust"
    for seq in ("50002_jumping_jacks", "50004_punching"):
        (df / seq / "mesh_seq").mkdir(parents=True)
        for frame in ("00000", "00001"):
            box.export(str(df / seq / "mesh_seq" / f"{frame}.obj"))
    splits = tmp_path / "splits.csv"
    splits.write_text("id,model_id,split\n50002_jumping_jacks,00000,test\n50004_punching,00001,val\n")
    assert _run(df, "--out", tmp_path / "df", "--splits-file", splits) == 0
    got = {(e.category, e.name): e.split for e in read_manifest(tmp_path / "df")}
    assert len(got) == 4
    assert got[("50002_jumping_jacks", "00000")] == "test" and got[("50004_punching", "00001")] == "val"


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "missing.obj"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.obj" in capsys.readouterr().err
    assert main(["--out", str(tmp_path / "o")]) == 2
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "no mesh files" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["--synthetic", "chair", "--out", str(tmp_path), "--shard", "2/2"])
    assert e.value.code == 2


def test_console_script_help():
    exe = Path(sys.executable).parent / "np-prepare"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "trainer.data.prepare"]
    res = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    for flag in ("--out", "--synthetic", "--count", "--seed", "--workers", "--shard"):
        assert flag in res.stdout


def test_manifest_json_is_the_documented_shape(tmp_path):
    out = tmp_path / "ds"
    assert _run("--synthetic", "chair", "--count", "1", "--out", out, "--split", "val") == 0
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["format"] == "neural-parts-studio/prepared" and doc["version"] == 1
    assert doc["shapes"] == [{"name": "chair-000000", "category": "chair", "split": "val",
                              "dir": "chair/chair-000000"}]
    assert list_prepared(out, "val") == [out / "chair" / "chair-000000"]
    assert list_prepared(out, "train") == []


def test_a_crashing_worker_does_not_stop_the_batch(tmp_path, monkeypatch, capsys):
    import trainer.data.prepare as prep
    from data_helpers import crashing_run_task  # importable by name: workers are spawned, not forked
    monkeypatch.setattr(prep, "run_task", crashing_run_task)
    code = main(["--synthetic", "chair", "--count", "4", "--out", str(tmp_path / "ds"), *SMALL, "--workers", "2"])
    assert code == 1
    names = {e.name for e in read_manifest(tmp_path / "ds")}
    assert names == {"chair-000000", "chair-000002", "chair-000003"}
    report = (tmp_path / "ds" / "failures.txt").read_text()
    assert "chair:1" in report and "crashed" in report


def test_output_inside_the_input_folder_is_not_reingested(tmp_path):
    src = tmp_path / "meshes"
    src.mkdir()
    trimesh.creation.box().export(str(src / "box.obj"))
    assert _run(src, "--out", src / "prepared") == 0
    assert _run(src, "--out", src / "prepared") == 0     # mesh.ply files in the output are ignored
    assert [e.name for e in read_manifest(src / "prepared")] == ["box"]
