"""Every promised format loads; every kind of bad file gives one clear sentence naming it."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from data_helpers import pyvista_example, shared_meshes
from trainer.data import MeshLoadError, compute_normalization, load_mesh


def _box() -> trimesh.Trimesh:
    return trimesh.creation.box(extents=[2.0, 1.0, 0.5])


@pytest.mark.parametrize("ext", ["obj", "ply", "stl", "off", "glb", "gltf"])
def test_formats_roundtrip(tmp_path, ext):
    path = tmp_path / f"box.{ext}"
    _box().export(str(path))
    mesh = load_mesh(path)
    assert len(mesh.faces) == 12 and mesh.is_watertight
    assert np.allclose(mesh.extents, [2.0, 1.0, 0.5])


def test_real_files_load():
    for path in shared_meshes() + [pyvista_example("ant.ply"), pyvista_example("airplane.ply")]:
        mesh = load_mesh(path)
        assert len(mesh.faces) > 100 and np.isfinite(mesh.vertices).all()


def test_textured_obj_is_welded_closed():
    spot = [p for p in shared_meshes() if p.stem == "spot"][0]
    assert load_mesh(spot).is_watertight       # UV seams do not split the surface


def test_multi_object_scene_is_merged(tmp_path):
    a = _box()
    b = trimesh.creation.icosphere(2)
    scene = trimesh.Scene()
    scene.add_geometry(a, node_name="a", geom_name="a")
    scene.add_geometry(b, node_name="b", geom_name="b", transform=trimesh.transformations.translation_matrix([5, 0, 0]))
    path = tmp_path / "scene.glb"
    scene.export(str(path))
    mesh = load_mesh(path)
    assert len(mesh.faces) == len(a.faces) + len(b.faces)
    assert mesh.bounds[1][0] == pytest.approx(6.0, abs=1e-5)   # the node transform was applied


def test_multi_object_obj_is_merged(tmp_path):
    text = ("o first\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
            "o second\nv 0 0 2\nv 1 0 2\nv 0 1 2\nf 4 5 6\n")
    path = tmp_path / "two.obj"
    path.write_text(text)
    assert len(load_mesh(path).faces) == 2


BAD = {
    "empty.obj": b"",
    "garbage.ply": b"ply\nformat binary_little_endian 1.0\nelement vertex 99\x00\x01garbage",
    "garbage.glb": b"glTF\x02\x00\x00\x00nonsense-bytes",
    "novertices.obj": b"# nothing here\n",
    "nan.obj": b"v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n",
    "inf.obj": b"v 0 0 0\nv 1 0 0\nv inf 1 0\nf 1 2 3\n",
    "zeroarea.obj": b"v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n",
    "onepoint.obj": b"v 1 1 1\nv 1 1 1\nv 1 1 1\nf 1 2 3\n",
    "huge.obj": b"v 0 0 0\nv 1e300 0 0\nv 0 1e300 0\nf 1 2 3\n",
    "missingbuffer.gltf": b'{"asset": {"version": "2.0"}, "buffers": [{"uri": "gone.bin", "byteLength": 36}]}',
    "nofaces.stl": b"solid x\nendsolid x\n",
    "truncated.off": b"OFF\n3 1 0\n0 0 0\n1 0 0\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_raise_one_clear_sentence(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD[name])
    with pytest.raises(MeshLoadError) as info:
        load_mesh(path)
    msg = str(info.value)
    assert str(path) in msg and "\n" not in msg and msg.endswith(".")


def test_missing_unsupported_and_too_many_faces(tmp_path):
    with pytest.raises(MeshLoadError, match="no such file"):
        load_mesh(tmp_path / "nope.obj")
    (tmp_path / "a.txt").write_text("v 0 0 0")
    with pytest.raises(MeshLoadError, match="unsupported extension"):
        load_mesh(tmp_path / "a.txt")
    path = tmp_path / "box.stl"
    _box().export(str(path))
    with pytest.raises(MeshLoadError, match="more than the limit"):
        load_mesh(path, max_faces=10)
    with pytest.raises(MeshLoadError, match="too large"):   # refused before parsing
        load_mesh(path, max_faces=1)


def test_normalization_convention_and_inverse():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 3)) * [3.0, 1.0, 0.2] + [10.0, -4.0, 2.0]
    norm = compute_normalization(v)
    n = norm.apply(v)
    assert np.allclose((n.max(0) + n.min(0)) / 2, 0.0, atol=1e-12)
    assert (n.max(0) - n.min(0)).max() == pytest.approx(1.0)
    assert np.allclose(n, v * norm.scale + norm.translation)
    assert np.allclose(norm.invert(n), v)
    with pytest.raises(ValueError):
        compute_normalization(np.ones((4, 3)))
