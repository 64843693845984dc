"""Watertight union with manifold3d, and segmentation of a mesh by owning primitive."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from trainer.export import (
    ExportError,
    ExportPart,
    export_parts,
    face_labels_from_vertex_labels,
    owners_from_implicit,
    split_by_labels,
    union_parts,
)
from trainer.palette import part_colour


def test_union_is_watertight_and_no_bigger_than_the_sum(parts, tmp_path):
    result = union_parts(parts)
    assert result.ok, result.problems
    mesh = trimesh.Trimesh(result.vertices, result.faces, process=False)
    assert mesh.is_watertight and mesh.is_winding_consistent
    volumes = [trimesh.Trimesh(p.world_vertices(), p.world_faces()).volume for p in parts]
    assert max(volumes) - 1e-9 <= mesh.volume <= sum(volumes) + 1e-9
    # and it survives export
    export_parts([result.as_part()], tmp_path / "u.stl")
    assert trimesh.load(tmp_path / "u.stl").is_watertight


def test_disjoint_union_keeps_every_volume(parts):
    far = []
    for i, p in enumerate(parts):
        t = np.eye(4)
        t[0, 3] = 3.0 * i
        far.append(ExportPart(p.name, p.vertices, p.faces, transform=t))
    result = union_parts(far)
    total = sum(trimesh.Trimesh(p.world_vertices(), p.faces).volume for p in far)
    assert result.ok
    assert trimesh.Trimesh(result.vertices, result.faces).volume == pytest.approx(total, rel=1e-6)


def test_open_part_is_reported_and_left_out(parts):
    holey = ExportPart("holey", parts[0].vertices, parts[0].faces[:-1])
    result = union_parts([holey, parts[1]])
    assert not result.is_manifold and not result.ok
    assert any("'holey'" in p and "not a closed manifold" in p for p in result.problems)
    assert result.is_watertight  # the rest still forms a closed mesh


def test_union_of_unusable_parts_is_an_error(parts):
    holey = ExportPart("holey", parts[0].vertices, parts[0].faces[:-1])
    with pytest.raises(ExportError, match="none of the parts"):
        union_parts([holey])


def test_union_welds_a_triangle_soup():
    box = trimesh.creation.box()
    soup_v = box.vertices[box.faces].reshape(-1, 3)
    soup_f = np.arange(len(soup_v)).reshape(-1, 3)
    result = union_parts([ExportPart("soup", soup_v, soup_f)])
    assert result.ok
    assert trimesh.Trimesh(result.vertices, result.faces).volume == pytest.approx(1.0)


def _labelled_mesh():
    mesh = trimesh.creation.icosphere(3)
    phi = np.stack([mesh.vertices[:, 0], -mesh.vertices[:, 0], mesh.vertices[:, 2] * 0.5], axis=1)
    return mesh, phi


def test_face_labels_split_adds_up_and_keeps_positions():
    mesh, _ = _labelled_mesh()
    centres = mesh.triangles_center
    phi = np.stack([centres[:, 0], -centres[:, 0], np.abs(centres[:, 2]) - 0.9], axis=1)
    labels = owners_from_implicit(phi)
    parts = split_by_labels(mesh.vertices, mesh.faces, labels)
    assert [p.name for p in parts] == [f"part {k}" for k in np.unique(labels)]
    assert sum(len(p.faces) for p in parts) == len(mesh.faces)
    for p, k in zip(parts, np.unique(labels)):
        assert p.colour == part_colour(int(k))
        got = np.sort(p.vertices[p.faces].reshape(-1, 9), axis=0)
        want = np.sort(mesh.vertices[mesh.faces[labels == k]].reshape(-1, 9), axis=0)
        np.testing.assert_array_equal(got, want)
        assert p.faces.max() == len(p.vertices) - 1  # only used vertices are kept


def test_vertex_labels_vote_per_face():
    faces = np.array([[0, 1, 2], [1, 2, 3], [0, 2, 3]])
    vlab = np.array([0, 1, 1, 2])
    assert face_labels_from_vertex_labels(faces, vlab).tolist() == [1, 1, 0]
    parts = split_by_labels(np.zeros((4, 3)), faces, vlab, per="vertex", names=["a", "b", "c"])
    assert [(p.name, len(p.faces)) for p in parts] == [("a", 1), ("b", 2)]


def test_vertex_label_split_of_a_mesh_adds_up():
    mesh, phi = _labelled_mesh()
    parts = split_by_labels(mesh.vertices, mesh.faces, owners_from_implicit(phi),
                            keep_empty=True)
    assert sum(len(p.faces) for p in parts) == len(mesh.faces)
    assert len(parts) == int(owners_from_implicit(phi).max()) + 1


def test_bad_labels_are_rejected():
    faces = np.array([[0, 1, 2]])
    with pytest.raises(ValueError, match="labels for"):
        split_by_labels(np.zeros((4, 3)), faces, np.array([0, 1]))
    with pytest.raises(ValueError, match="pass per="):
        split_by_labels(np.zeros((3, 3)), np.array([[0, 1, 2]] * 3), np.array([0, 1, 2]))
