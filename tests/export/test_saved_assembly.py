"""The saved-assembly folder: exact reopen, safe replace, clear errors on bad files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from trainer.export import (
    AssemblyFileError,
    ExportError,
    ExportExistsError,
    SavedAssembly,
    SavedPart,
    load_assembly,
    resolve_reference,
    save_assembly,
)


@pytest.fixture
def assembly(parts) -> SavedAssembly:
    rng = np.random.default_rng(7)
    saved = []
    for k, p in enumerate(parts):
        t = p.transform.copy()
        t[:3, :3] *= rng.uniform(0.5, 2.0, size=3)  # non-uniform scale, awkward floats
        t[:3, 3] += rng.normal(size=3) * 1e-7
        saved.append(SavedPart(
            name=p.name, vertices=p.vertices, faces=p.faces, primitive=k,
            colour=tuple(rng.uniform(size=3)), visible=k != 1, opacity=0.3 + 0.1 * k,
            transform=t, shape="other/shape.npz" if k == 2 else None,
        ))
    saved.append(SavedPart("copy of head", parts[2].vertices, parts[2].faces, primitive=2,
                           transform=-np.eye(4) * 0.0 + np.eye(4)))  # -0.0 entries survive too
    return SavedAssembly(saved, checkpoint="/models/chair.pt", shape="../shapes/chair_001.obj",
                         resolution=3, metadata={"note": "ünïcode ok", "n": 1, "xs": [1, 2.5], "s": "[1,2]"})


def test_reopen_is_bit_exact(assembly, tmp_path):
    path = save_assembly(assembly, tmp_path / "chair.npasm")
    back = load_assembly(path)
    assert back == assembly
    for a, b in zip(assembly.parts, back.parts):
        assert a.vertices.dtype == b.vertices.dtype == np.float32
        assert a.transform.tobytes() == b.transform.tobytes()
        assert a.colour == b.colour
    assert load_assembly(path / "assembly.json") == assembly


def test_equality_notices_a_one_ulp_change(assembly, tmp_path):
    back = load_assembly(save_assembly(assembly, tmp_path / "a"))
    back.parts[0].transform[0, 3] = np.nextafter(back.parts[0].transform[0, 3], np.inf)
    assert back != assembly


def test_file_is_documented_json(assembly, tmp_path):
    path = save_assembly(assembly, tmp_path / "a")
    data = json.loads((path / "assembly.json").read_text())
    assert data["format"] == "neural-parts-studio/assembly" and data["version"] == 1
    assert data["checkpoint"] == "/models/chair.pt"
    part = data["parts"][0]
    assert set(part) >= {"name", "primitive", "colour", "visible", "opacity", "transform", "mesh"}
    assert (path / part["mesh"]).is_file()
    assert np.array(part["transform"]).shape == (4, 4)


def test_existing_save_needs_overwrite_and_foreign_folders_are_never_replaced(assembly, tmp_path):
    path = save_assembly(assembly, tmp_path / "a")
    with pytest.raises(ExportExistsError):
        save_assembly(assembly, path)
    assembly.parts[0].name = "renamed"
    save_assembly(assembly, path, overwrite=True)
    assert load_assembly(path).parts[0].name == "renamed"
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"x")
    with pytest.raises(ExportError, match="not a saved assembly folder"):
        save_assembly(assembly, foreign, overwrite=True)
    assert (foreign / "cat.jpg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "photos"]  # no temp folders


def test_unwritable_location(assembly):
    with pytest.raises(ExportError, match="^Cannot write /proc/"):
        save_assembly(assembly, "/proc/np_assembly_test")


def test_failed_save_leaves_nothing(assembly, tmp_path, monkeypatch):
    import trainer.export.assembly_file as af

    def boom(part):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(af, "_ply_bytes", boom)
    with pytest.raises(ExportError, match="disk is full"):
        save_assembly(assembly, tmp_path / "a")
    assert list(tmp_path.iterdir()) == []


def test_relative_references_resolve_from_the_assembly_folder(assembly, tmp_path):
    path = save_assembly(assembly, tmp_path / "a")
    back = load_assembly(path)
    assert resolve_reference(path, back.shape) == tmp_path / "a" / "../shapes/chair_001.obj"
    assert str(resolve_reference(path, back.checkpoint)) == "/models/chair.pt"
    assert resolve_reference(path, None) is None


def _corrupt(path, edit):
    f = path / "assembly.json"
    data = json.loads(f.read_text())
    edit(data)
    f.write_text(json.dumps(data))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(version=99), "format version 99"),
    (lambda d: d.update(format="something else"), "not a Neural Parts Studio assembly"),
    (lambda d: d["parts"][0].pop("transform"), "part 0 has no 'transform'"),
    (lambda d: d["parts"][0].update(mesh="../../etc/passwd"), "outside its folder"),
    (lambda d: d["parts"][1].update(mesh="parts/999.ply"), "missing its mesh"),
    (lambda d: d["parts"][0].update(vertex_count=1), "does not match"),
    (lambda d: d["parts"][0].update(transform=[[1, 2]]), "transform must be 4x4"),
])
def test_bad_files_give_one_clear_error(assembly, tmp_path, edit, message):
    path = save_assembly(assembly, tmp_path / "a")
    _corrupt(path, edit)
    with pytest.raises(AssemblyFileError, match=message):
        load_assembly(path)


def test_not_json_and_not_an_assembly(assembly, tmp_path):
    with pytest.raises(AssemblyFileError, match="no assembly.json"):
        load_assembly(tmp_path)
    path = save_assembly(assembly, tmp_path / "a")
    (path / "parts" / "000.ply").write_bytes(b"ply\ngarbage")
    with pytest.raises(AssemblyFileError, match="cannot be read|does not match"):
        load_assembly(path)
    (path / "assembly.json").write_text("{not json")
    with pytest.raises(AssemblyFileError, match="not valid JSON"):
        load_assembly(path)


def test_parts_without_faces_round_trip(tmp_path):
    a = SavedAssembly([SavedPart("empty", np.zeros((0, 3)), np.zeros((0, 3), int)),
                       SavedPart("points", np.random.default_rng(1).random((5, 3)), np.zeros((0, 3), int))])
    assert load_assembly(save_assembly(a, tmp_path / "a")) == a
