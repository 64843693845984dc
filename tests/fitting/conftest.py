"""Shapes and models for the fitting tests (small: every fit here runs a few dozen steps)."""
from __future__ import annotations

from pathlib import Path

import pytest
import trimesh

from testkit import write_tiny_checkpoint


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("fit_model") / "tiny.pt", n_primitives=2)


@pytest.fixture(scope="session")
def capsule_obj(tmp_path_factory) -> Path:
    """A capsule away from the unit cube (the fit works in the normalised frame)."""
    path = tmp_path_factory.mktemp("fit_mesh") / "capsule.obj"
    mesh = trimesh.creation.capsule(height=2.0, radius=0.6, count=(16, 16))
    mesh.apply_translation((5.0, 1.0, -2.0))
    mesh.export(path)
    return path


@pytest.fixture(scope="session")
def humanoid_dataset(tmp_path_factory) -> Path:
    """A one-shape prepared dataset: a labelled procedural humanoid (split test)."""
    from trainer.data.manifest import reindex
    from trainer.data.pipeline import PrepareOptions, prepare_mesh
    from trainer.data.synthetic import generate

    out = tmp_path_factory.mktemp("fit_humanoid")
    mesh, labels, names = generate("humanoid", 3, segments=16)
    prepare_mesh(mesh, name="human3", category="humanoid", split="test", out_dir=out,
                 options=PrepareOptions(n_surface=6000, n_uniform=6000, n_near=3000, voxels=False),
                 face_labels=labels, part_names=names)
    reindex(out)
    return out


@pytest.fixture(scope="session")
def humanoid_dir(humanoid_dataset) -> Path:
    return next(p for p in humanoid_dataset.rglob("meta.json")).parent
