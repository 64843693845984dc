"""np-infer exports every primitive type the same way: one watertight node per part."""
from __future__ import annotations

import pytest
import trimesh

from primitive_kit import TYPES, write_checkpoints
from trainer.inference.cli import main

M = 3


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    return write_checkpoints(tmp_path_factory.mktemp("types"), n_primitives=M)


@pytest.mark.parametrize("name", list(TYPES))
def test_np_infer_writes_one_watertight_node_per_part(checkpoints, tmp_path, capsys, name):
    shape = tmp_path / "box.obj"
    trimesh.creation.box(extents=(1.0, 0.6, 0.4)).export(shape)
    out = tmp_path / "out"
    code = main([str(checkpoints[name]), str(shape), "--out", str(out), "--format", "glb",
                 "--resolution", "2", "--device", "cpu", "--quiet"])
    assert code == 0, capsys.readouterr().err
    scene = trimesh.load(out / "box" / "parts.glb", force="scene")
    nodes = sorted(scene.graph.nodes_geometry)
    assert nodes == [f"part_{k}" for k in range(M)]
    for node in nodes:
        transform, geometry = scene.graph[node]
        mesh = scene.geometry[geometry]
        assert mesh.is_watertight and mesh.is_winding_consistent and mesh.euler_number == 2, node
    assert trimesh.load(out / "box" / "union.glb", force="mesh").is_watertight
