"""Fixtures for the bundled-model tests (tests/bundled, tests/viewer/test_bundled_models.py import
them): a folder of two tiny throwaway "bundled" models (NP_BUNDLED_MODELS points at it), a
prepared dataset of three categories (one with no model of its own), and uncategorised meshes
that each model clearly fits best."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import trimesh

from testkit import tiny_config

# Every part of these models is the same sphere at the centre, whatever the input: humanoid.pt's
# has a ball's radius (0.45), chair.pt's a small one (0.2). The part count (3 vs 5) tells in every
# output which model made it.
MODELS = {"humanoid": (3, 0.45), "chair": (5, 0.2)}


def write_model(path: Path, n_primitives: int, radius: float) -> Path:
    """A model whose parts are spheres of ``radius`` about the origin (no coupling layers, scale
    1; translations shrunk to a few hundredths, so that the parts still have a union surface)."""
    from trainer import checkpoint
    from trainer.model import NeuralParts
    torch.manual_seed(0)
    cfg = tiny_config(n_primitives=n_primitives, n_blocks=0)
    cfg["network"]["sphere_radius"] = radius
    model = NeuralParts.from_config(cfg)
    with torch.no_grad():
        scale, translation = ([m for m in head.modules() if isinstance(m, torch.nn.Linear)][-1]
                              for head in (model.invertible_network.scales, model.invertible_network.translations))
        scale.weight.zero_()
        scale.bias.zero_()
        translation.weight.mul_(0.1)
        translation.bias.zero_()
    return checkpoint.save(path, model, model.config)


@pytest.fixture(scope="session")
def models_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bundled-models")
    for category, (m, radius) in MODELS.items():
        write_model(folder / f"{category}.pt", m, radius)
    (folder / "default.pt").symlink_to("humanoid.pt")      # the alias, as in assets/models
    return folder


@pytest.fixture
def bundled(models_folder, monkeypatch) -> Path:
    """The throwaway models are the bundled ones for this test."""
    monkeypatch.setenv("NP_BUNDLED_MODELS", str(models_folder))
    return models_folder


@pytest.fixture(scope="session")
def families(tmp_path_factory) -> Path:
    """Prepared dataset (test split): humanoid h0, h1; chair c0, c1; lamp l0 (no bundled model)."""
    from trainer.data.manifest import reindex
    from trainer.data.pipeline import PrepareOptions, prepare_mesh
    from trainer.data.synthetic import generate

    root = tmp_path_factory.mktemp("families")
    opts = PrepareOptions(n_surface=600, n_uniform=300, n_near=100, voxels=False)
    for family, category, prefix, n in (("humanoid", "humanoid", "h", 2), ("chair", "chair", "c", 2),
                                        ("chair", "lamp", "l", 1)):
        for i in range(n):
            mesh, labels, names = generate(family, seed=i, segments=8)
            prepare_mesh(mesh, name=f"{prefix}{i}", category=category, split="test", out_dir=root,
                         options=opts, face_labels=labels, part_names=names)
    reindex(root)
    return root


@pytest.fixture(scope="session")
def one_family(tmp_path_factory, families) -> Path:
    """The chairs of ``families`` alone, as a dataset of one category."""
    import shutil

    from trainer.data.manifest import reindex
    root = tmp_path_factory.mktemp("chairs")
    shutil.copytree(families / "chair", root / "chair")
    reindex(root)
    return root


@pytest.fixture(scope="session")
def meshes(tmp_path_factory) -> dict[str, Path]:
    """Uncategorised meshes: a ball (humanoid.pt's big sphere fits it) and a thin stick (chair.pt's
    small sphere is nearer to it than the big one)."""
    d = tmp_path_factory.mktemp("user-meshes")
    trimesh.creation.icosphere(3, radius=1.0).export(d / "ball.obj")
    trimesh.creation.box(extents=(1.0, 0.02, 0.02)).export(d / "stick.obj")
    return {"ball": d / "ball.obj", "stick": d / "stick.obj"}
