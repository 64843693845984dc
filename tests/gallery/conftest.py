"""Fixtures for the gallery tests: a tiny random checkpoint and a tiny labelled prepared dataset
(procedural humanoids through the data code), made once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from testkit import no_plotter_outlives_its_test, write_tiny_checkpoint  # noqa: F401 - an autouse fixture

N_SHAPES = 6


def make_dataset(root: Path, n: int = N_SHAPES, n_other: int = 2) -> Path:
    """n humanoids h00.. (every third in train, the rest in test) and n_other chairs t00.. in a
    second category "toy" (test split)."""
    from trainer.data.manifest import reindex
    from trainer.data.pipeline import PrepareOptions, prepare_mesh
    from trainer.data.synthetic import generate

    opts = PrepareOptions(n_surface=600, n_uniform=300, n_near=100, voxels=False)
    for i in range(n):
        mesh, labels, names = generate("humanoid", seed=i, segments=8)
        prepare_mesh(mesh, name=f"h{i:02d}", category="humanoid", split="test" if i % 3 else "train",
                     out_dir=root, options=opts, face_labels=labels, part_names=names)
    for i in range(n_other):
        mesh, labels, names = generate("chair", seed=i, segments=8)
        prepare_mesh(mesh, name=f"t{i:02d}", category="toy", split="test", out_dir=root, options=opts,
                     face_labels=labels, part_names=names)
    reindex(root)
    return root


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("gallery-data"))


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("gallery-model") / "tiny.pt", seed=1, n_primitives=4)
