"""Tiny models and an in-memory dataset of ellipsoids, so loop tests run in seconds
without depending on prepared data on disk."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from np_train_ellipsoids import EllipsoidDataset  # noqa: E402


def _tiny_config(**training):
    t = {"epochs": 2, "steps_per_epoch": 3, "batch_size": 2, "aggregate": 1, "optimizer": "Adam",
         "lr": 1e-3, "seed": 3, "checkpoint_every": 2}
    t.update(training)
    return {
        "data": {"dataset_type": "prepared", "n_points_on_mesh": 64, "n_points_in_mesh": 64,
                 "n_input_points": 64},
        "network": {"n_primitives": 2, "n_points_on_sphere": 16, "sphere_radius": 0.25},
        "feature_extractor": {"type": "pointcloud", "feature_size": 16},
        "invertible_network": {"n_blocks": 1, "hidden_size": 16},
        "projection_layer": {"proj_dims": 8},
        "loss": {"sharpness": 50},
        "training": t,
    }


@pytest.fixture
def ellipsoids():
    return EllipsoidDataset()


@pytest.fixture
def tiny_config():
    return _tiny_config
