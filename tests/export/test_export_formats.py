"""Round trips through every export format, reloaded with trimesh as a user's tool would."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import trimesh

from trainer.export import ExportError, ExportPart, export_parts, part_paths


def glb_json(path: Path) -> dict:
    data = path.read_bytes()
    magic, version, _ = struct.unpack("<4sII", data[:12])
    assert magic == b"glTF" and version == 2
    length, kind = struct.unpack("<I4s", data[12:20])
    assert kind == b"JSON"
    return json.loads(data[20:20 + length])


def test_glb_keeps_node_names_transforms_and_colours(parts, tmp_path):
    out = tmp_path / "scene.glb"
    assert export_parts(parts, out) == [out]
    scene = trimesh.load(out, force="scene")
    assert sorted(scene.graph.nodes_geometry) == sorted(p.name for p in parts)
    for p in parts:
        matrix, geom = scene.graph[p.name]
        np.testing.assert_allclose(matrix, p.transform, rtol=0, atol=1e-12)
        mesh = scene.geometry[geom]
        np.testing.assert_allclose(mesh.vertices, p.vertices, atol=1e-6)  # local, not baked
        np.testing.assert_array_equal(mesh.faces, p.faces)
        rgb = np.asarray(mesh.visual.material.baseColorFactor[:3]) / 255
        np.testing.assert_allclose(rgb, p.colour, atol=1 / 255)
    # the file itself holds the exact float colours and matrices
    tree = glb_json(out)
    by_name = {n["name"]: n for n in tree["nodes"]}
    materials = tree["materials"]
    for p in parts:
        node = by_name[p.name]
        np.testing.assert_array_equal(np.array(node["matrix"]).reshape(4, 4).T, p.transform)
        prim = tree["meshes"][node["mesh"]]["primitives"][0]
        factor = materials[prim["material"]]["pbrMetallicRoughness"]["baseColorFactor"]
        assert factor == [*p.colour, 1.0]


def test_glb_baked_puts_world_vertices_under_identity_nodes(parts, tmp_path):
    out = tmp_path / "baked.glb"
    export_parts(parts, out, bake_transforms=True)
    scene = trimesh.load(out, force="scene")
    for p in parts:
        matrix, geom = scene.graph[p.name]
        np.testing.assert_allclose(matrix, np.eye(4), atol=1e-12)
        np.testing.assert_allclose(scene.geometry[geom].vertices, p.world_vertices(), atol=1e-5)


def test_glb_and_gltf_give_the_same_world_geometry(parts, tmp_path):
    export_parts(parts, tmp_path / "a.glb")
    export_parts(parts, tmp_path / "a.gltf")
    a = trimesh.load(tmp_path / "a.glb", force="scene").to_geometry()
    b = trimesh.load(tmp_path / "a.gltf", force="scene").to_geometry()
    np.testing.assert_allclose(np.sort(a.vertices, axis=0), np.sort(b.vertices, axis=0), atol=1e-6)


def test_duplicate_part_names_get_distinct_nodes(parts, tmp_path):
    twins = [parts[0], ExportPart(parts[0].name, parts[1].vertices, parts[1].faces)]
    export_parts(twins, tmp_path / "t.glb")
    names = trimesh.load(tmp_path / "t.glb", force="scene").graph.nodes_geometry
    assert len(set(names)) == 2 and parts[0].name in names


def test_obj_single_file_has_one_object_and_material_per_part(parts, tmp_path):
    out = tmp_path / "parts.obj"
    written = export_parts(parts, out)
    assert sorted(written) == sorted([out, tmp_path / "parts.mtl"])
    text = out.read_text()
    assert "mtllib parts.mtl" in text
    objects = [line.split()[1] for line in text.splitlines() if line.startswith("o ")]
    assert objects == ["left_leg", "torso", "head"]
    mtl = (tmp_path / "parts.mtl").read_text().split("newmtl ")[1:]
    kd = {block.split()[0]: [float(x) for x in block.split("Kd ")[1].split()[:3]] for block in mtl}
    for p, name in zip(parts, objects):
        np.testing.assert_allclose(kd[name], p.colour, atol=1 / 255)
    scene = trimesh.load(out, force="scene", process=False)
    assert sum(len(g.vertices) for g in scene.geometry.values()) == sum(len(p.vertices) for p in parts)
    # vertices are baked: the first object's vertices are part 0 in world space
    v = np.array([[float(x) for x in line.split()[1:4]] for line in text.splitlines()
                  if line.startswith("v ")])
    np.testing.assert_allclose(v[:len(parts[0].vertices)], parts[0].world_vertices(), atol=1e-7)


def test_obj_per_part_writes_obj_and_mtl_each(parts, tmp_path):
    written = export_parts(parts, tmp_path / "chair.obj", per_part=True)
    assert len(written) == 2 * len(parts)
    for p, path in zip(parts, part_paths(parts, tmp_path / "chair.obj")):
        mesh = trimesh.load(path, force="mesh", process=False)
        assert len(mesh.vertices) == len(p.vertices) and len(mesh.faces) == len(p.faces)
        assert path.with_suffix(".mtl").is_file()


@pytest.mark.parametrize("fmt", ["ply", "stl", "obj", "glb"])
def test_per_part_files_reload_watertight_with_right_counts(parts, tmp_path, fmt):
    # Each primitive is closed and genus 0; the exported file must keep it so.
    paths = export_parts(parts, tmp_path / f"p.{fmt}", per_part=True)
    meshes = [trimesh.load(p, force="mesh") for p in paths if p.suffix == f".{fmt}"]
    assert len(meshes) == len(parts)
    for mesh, part in zip(meshes, parts):
        assert mesh.is_watertight and mesh.is_winding_consistent
        assert len(mesh.faces) == len(part.faces)
        assert len(mesh.vertices) == len(part.vertices)  # STL is re-welded on load
        assert mesh.volume > 0  # outward normals survive the transform


def test_ply_single_file_colours_vertices_by_part(parts, tmp_path):
    export_parts(parts, tmp_path / "all.ply")
    mesh = trimesh.load(tmp_path / "all.ply", process=False)
    assert len(mesh.vertices) == sum(len(p.vertices) for p in parts)
    colours = mesh.visual.vertex_colors[:, :3] / 255
    start = 0
    for p in parts:
        block = colours[start:start + len(p.vertices)]
        np.testing.assert_allclose(block, np.tile(p.colour, (len(block), 1)), atol=1 / 255)
        start += len(p.vertices)


def test_stl_single_file_holds_all_faces_in_world_space(parts, tmp_path):
    export_parts(parts, tmp_path / "all.stl")
    mesh = trimesh.load(tmp_path / "all.stl")
    assert len(mesh.faces) == sum(len(p.faces) for p in parts)
    lo = np.min([p.world_vertices().min(0) for p in parts], axis=0)
    np.testing.assert_allclose(mesh.bounds[0], lo, atol=1e-5)


def test_mirroring_transform_keeps_normals_outward(parts, tmp_path):
    mirror = np.diag([-1.0, 1.0, 1.0, 1.0])
    p = ExportPart("m", parts[0].vertices, parts[0].faces, transform=mirror)
    export_parts([p], tmp_path / "m.stl")
    assert trimesh.load(tmp_path / "m.stl").volume > 0


def test_unknown_format_and_empty_list_are_clear_errors(parts, tmp_path):
    with pytest.raises(ExportError, match="format must be one of"):
        export_parts(parts, tmp_path / "x.fbx")
    with pytest.raises(ExportError, match="nothing to export"):
        export_parts([], tmp_path / "x.obj")
    assert list(tmp_path.iterdir()) == []


def test_bad_part_arrays_are_rejected():
    with pytest.raises(ValueError, match="vertices must be"):
        ExportPart("x", np.zeros((4, 2)), np.zeros((1, 3), int))
    with pytest.raises(ValueError, match="does not exist"):
        ExportPart("x", np.zeros((3, 3)), np.array([[0, 1, 3]]))


def test_glb_opacity_becomes_alpha_blend(parts, tmp_path):
    p = parts[0]
    ghost = ExportPart("ghost", p.vertices, p.faces, p.colour, opacity=0.25)
    export_parts([ghost, parts[1]], tmp_path / "g.glb")
    materials = {m["name"]: m for m in glb_json(tmp_path / "g.glb")["materials"]}
    assert materials["ghost"]["pbrMetallicRoughness"]["baseColorFactor"] == [*p.colour, 0.25]
    assert materials["ghost"]["alphaMode"] == "BLEND"
    assert materials[parts[1].name].get("alphaMode", "OPAQUE") == "OPAQUE"
