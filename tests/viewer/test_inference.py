"""trainer.inference: Predictor and shape loading (no display needed)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from trainer.checkpoint import CheckpointError
from trainer.inference import Predictor, ShapeLoadError, list_shapes, load_shape, resolve_device


def test_predict_gives_one_closed_mesh_per_primitive(tiny_checkpoint, shape_dir):
    pred = Predictor(tiny_checkpoint, device="cpu")
    assert pred.n_primitives == 4 and pred.device.type == "cpu" and pred.device_note == ""
    shape = load_shape(shape_dir / "a_box.obj")
    out = pred.predict(shape, resolution=2)
    assert len(out.meshes) == 4
    for v, f in out.meshes:
        assert v.dtype == np.float32 and f.dtype == np.int64 and v.shape == (162, 3)
        assert trimesh.Trimesh(v, f, process=False).is_watertight
    assert out.features.shape[:2] == (1, 4)
    assert set(out.timing) >= {"encode", "meshes", "total"}
    again = pred.predict(shape, resolution=2)      # same input subset -> same parts
    np.testing.assert_array_equal(out.meshes[0][0], again.meshes[0][0])


def test_implicit_owner_is_argmin_and_vertices_sit_on_the_surface(tiny_checkpoint, shape_dir):
    pred = Predictor(tiny_checkpoint, device="cpu")
    out = pred.predict(load_shape(shape_dir / "b_sphere.obj"), resolution=2)
    v0 = out.meshes[0][0]
    phi = pred.implicit(out, v0)
    assert phi.shape == (len(v0), 4)
    np.testing.assert_allclose(phi[:, 0], 0.0, atol=1e-4)   # primitive 0's own surface
    phi_f = pred.implicit(out.features, v0)
    np.testing.assert_array_equal(phi, phi_f)
    pts = np.random.default_rng(0).uniform(-0.5, 0.5, (100, 3))
    np.testing.assert_array_equal(pred.owners(out, pts), pred.implicit(out, pts).argmin(1))


def test_cuda_request_without_cuda_falls_back_with_a_note(tiny_checkpoint, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    dev, note = resolve_device("cuda")
    assert dev.type == "cpu" and "CUDA" in note
    assert resolve_device("auto") == (torch.device("cpu"), "")
    pred = Predictor(tiny_checkpoint, device="cuda")
    assert pred.device.type == "cpu" and "CPU" in pred.device_note
    with pytest.raises(ValueError):
        resolve_device("tpu")


def test_bad_checkpoint_is_one_clear_error(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=str(bad)):
        Predictor(bad)


def test_point_clouds_load_in_every_format(tmp_path):
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(500, 3)) * [2.0, 1.0, 0.5] + 10.0
    np.save(tmp_path / "c.npy", pts)
    np.savetxt(tmp_path / "c.xyz", np.hstack([pts, pts]))      # extra columns (normals) are ignored
    trimesh.PointCloud(pts).export(tmp_path / "c.ply")
    for name in ("c.npy", "c.xyz", "c.ply"):
        s = load_shape(tmp_path / name)
        assert s.kind == "points" and s.vertices is None and s.points.shape == (500, 3)
        extent = s.points.max(0) - s.points.min(0)
        assert extent.max() == pytest.approx(1.0, abs=1e-5)           # the normalised frame
        np.testing.assert_allclose(s.normalization.invert(s.points), pts, atol=1e-4)


def test_meshes_are_prepared_on_the_fly(shape_dir):
    s = load_shape(shape_dir / "d_capsule.ply")
    assert s.kind == "mesh" and s.faces is not None and s.normals is not None
    assert np.abs(s.vertices).max() == pytest.approx(0.5, abs=1e-5)
    assert len(s.points) == 4096


@pytest.mark.parametrize("content,suffix", [(b"", ".obj"), (b"garbage\x00\x01", ".stl"),
                                            (b"1 2\n3 4\n", ".xyz"), (b"hello", ".npy"),
                                            (b"abc", ".txt")])
def test_bad_shape_files_name_the_file(tmp_path, content, suffix):
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(content)
    with pytest.raises(ShapeLoadError, match=str(bad)):
        load_shape(bad)


def test_nan_point_cloud_is_refused(tmp_path):
    pts = np.ones((10, 3))
    pts[3, 1] = np.nan
    np.save(tmp_path / "nan.npy", pts)
    with pytest.raises(ShapeLoadError, match="NaN"):
        load_shape(tmp_path / "nan.npy")


def test_listing_folders_and_datasets(shape_dir, prepared_dataset, tmp_path):
    refs = list_shapes(shape_dir)
    assert [r.name for r in refs] == ["a_box", "b_sphere", "c_cylinder", "d_capsule"]
    refs = list_shapes(prepared_dataset)
    assert sorted(r.name for r in refs) == ["ball", "tall_box"] and {r.category for r in refs} == {"toys"}
    one = list_shapes(refs[0].path)
    assert len(one) == 1 and one[0].name == refs[0].name
    (tmp_path / "empty").mkdir()
    with pytest.raises(ShapeLoadError, match="empty"):
        list_shapes(tmp_path / "empty")
    with pytest.raises(ShapeLoadError, match="no such"):
        list_shapes(tmp_path / "missing")


def test_prepared_shape_has_mesh_ground_truth_and_metrics(tiny_checkpoint, prepared_dataset):
    from np_viewer.metrics import shape_metrics
    ref = [r for r in list_shapes(prepared_dataset) if r.name == "ball"][0]
    s = load_shape(ref.path)
    assert s.kind == "prepared" and s.category == "toys" and s.ground_truth is not None
    assert s.vertices is not None and len(s.points) == 2000
    pred = Predictor(tiny_checkpoint, device="cpu")
    m = shape_metrics(pred, pred.predict(s, 2), s)
    assert 0.0 <= m["IoU"] <= 1.0 and m["Chamfer-L1"] > 0.0


def test_user_messages_for_out_of_memory_and_errors():
    from np_viewer.session import user_message
    assert "Out of memory" in user_message(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert "Out of memory" in user_message(MemoryError())
    assert user_message(ValueError("first line\nsecond")) == "first line"
