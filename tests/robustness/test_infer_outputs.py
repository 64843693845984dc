"""np-infer's output folders: readable, stable across batches, recorded; checked before any work."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import trimesh

from cli_helpers import assert_one_error, run, start, wait_until_gone

FAST = ["--resolution", "1", "--device", "cpu", "--quiet", "--no-union"]


@pytest.fixture
def meshes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    box = trimesh.creation.box(extents=(1.0, 0.6, 0.3))
    for name in ("椅子", "桌子", "a b", "a_b"):
        box.export(src / f"{name}.obj")
    return src


def _manifest(out):
    return {e["input"]: e for e in json.loads((out / "np-infer.json").read_text(encoding="utf-8"))["shapes"]}


def test_names_are_readable_stable_and_recorded(tiny_checkpoint, meshes, tmp_path):
    out = tmp_path / "out"
    res = run("np-infer", tiny_checkpoint, meshes, "--out", out, *FAST)
    assert res.returncode == 0, res.stderr
    recorded = _manifest(out)
    folders = {os.path.basename(k): v["output"] for k, v in recorded.items()}
    assert folders["椅子.obj"] == "椅子" and folders["桌子.obj"] == "桌子" and folders["a_b.obj"] == "a_b"
    assert folders["a b.obj"].startswith("a_b-")  # changed to be safe, so tagged: never a_b
    for entry in recorded.values():
        assert sorted(p.name for p in (out / entry["output"]).iterdir()) == entry["files"]
    # "a b" alone, with --overwrite, lands in the same folder and leaves a_b's results alone
    before = {p: p.stat().st_mtime_ns for p in (out / "a_b").iterdir()}
    res = run("np-infer", tiny_checkpoint, meshes / "a b.obj", "--out", out, "--overwrite", *FAST)
    assert res.returncode == 0, res.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "a_b").iterdir()} == before
    assert _manifest(out)[str(meshes / "a b.obj")]["output"] == folders["a b.obj"]
    assert len(_manifest(out)) == 4  # the earlier entries are kept


def test_overwrite_with_another_layout_leaves_no_stale_files(tiny_checkpoint, meshes, tmp_path):
    out = tmp_path / "out"
    shape = meshes / "a_b.obj"
    assert run("np-infer", tiny_checkpoint, shape, "--out", out, *FAST).returncode == 0
    assert (out / "a_b" / "part_0.obj").exists()
    res = run("np-infer", tiny_checkpoint, shape, "--out", out, "--layout", "single", "--overwrite", *FAST)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (out / "a_b").iterdir()) == ["parts.mtl", "parts.obj"]


def test_unusable_out_is_refused_before_the_model_runs(tiny_checkpoint, meshes, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    res = run("np-infer", tiny_checkpoint, meshes, "--out", blocker / "out", *FAST)
    assert_one_error(res, 2, "np-infer", blocker / "out", "is a file, not a folder")
    assert "written" not in res.stdout  # no shape was processed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "in"]


def test_bad_checkpoint_leaves_no_output_folder(text_file, meshes, tmp_path):
    res = run("np-infer", text_file, meshes, "--out", tmp_path / "out", *FAST)
    msg = assert_one_error(res, 2, "np-infer", text_file, "holds text")
    assert "CheckpointError" not in msg
    assert not (tmp_path / "out").exists()


def test_empty_checkpoint_is_named_without_a_type_prefix(meshes, tmp_path):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    res = run("np-infer", empty, meshes, "--out", tmp_path / "out", *FAST)
    msg = assert_one_error(res, 2, "np-infer", empty, "empty file")
    assert "CheckpointError" not in msg and "()" not in msg
    assert not (tmp_path / "out").exists()


def test_flat_mesh_is_decomposed_and_says_volume_metrics_are_unavailable(tiny_checkpoint, tmp_path):
    flat = tmp_path / "sheet.obj"
    flat.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n")
    res = run("np-infer", tiny_checkpoint, flat, "--out", tmp_path / "out", *FAST)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert "sheet.obj: flat: no inside" in res.stderr and "volume metrics are unavailable" in res.stderr
    assert (tmp_path / "out" / "sheet" / "part_0.obj").exists()


def test_ctrl_c_keeps_finished_shapes_and_says_so(tiny_checkpoint, tmp_path):
    src = tmp_path / "many"
    src.mkdir()
    mesh = trimesh.creation.icosphere(2)
    for k in range(200):
        mesh.export(src / f"s{k:03d}.obj")
    out = tmp_path / "out"
    proc = start("np-infer", tiny_checkpoint, src, "--out", out, "--resolution", "3", "--device", "cpu", "--quiet")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not list(out.glob("*/union.obj")):
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    os.killpg(proc.pid, signal.SIGINT)
    try:
        stdout, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("np-infer did not stop on Ctrl-C")
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err and "interrupted" in err, err[-3000:]
    assert wait_until_gone(proc.pid) == []
    recorded = _manifest(out)
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert 0 < len(folders) < 200 and sorted(e["output"] for e in recorded.values()) == folders
    for entry in recorded.values():  # every kept shape is complete
        assert sorted(p.name for p in (out / entry["output"]).iterdir()) == entry["files"]
        assert "union.obj" in entry["files"]
    assert f"{len(folders)} of 200 shape(s) written" in stdout and "--skip-done" in err
    # resuming does only the rest (here: the first 3 inputs are kept, the others removed)
    keep = sorted(src.iterdir())[:3]
    for extra in sorted(src.iterdir())[3:]:
        extra.unlink()
    res = run("np-infer", tiny_checkpoint, src, "--out", out, "--resolution", "3", "--device", "cpu", "--quiet",
              "--skip-done")
    assert res.returncode == 0, res.stderr
    done_before = sum(1 for k in keep if k.stem in folders)
    assert f"{3 - done_before} of 3 shape(s) written" in res.stdout and f"{done_before} skipped" in res.stdout
    shutil.rmtree(out)
