"""Configs in the published Neural Parts YAML schema, merged over documented defaults.

Missing keys take the defaults below (the values of the authors' published configs);
unknown keys are kept untouched so that users' extensions survive a load/save round trip.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping

import yaml

DEFAULTS: dict[str, Any] = {
    "data": {
        "dataset_factory": "ImageDatasetForChamferAndIOU",
        "dataset_type": "prepared",
        "dataset_directory": None,
        "splits_file": None,
        "n_points_in_mesh": 5000,
        "n_points_on_mesh": 2000,
        "n_input_points": 2048,
        "equal": True,
        "normalize": True,
        "input_dims": 3,
        "random_view": False,
    },
    "network": {
        "type": "flexible_primitives",
        "sphere_radius": 0.25,
        "n_primitives": 5,
        "n_points_on_sphere": 500,
        "euclidean_phi_volume": True,
        "phi_surface": True,
        "y_prim": True,
        "with_dropout": False,
    },
    "feature_extractor": {"type": "pointcloud", "feature_size": 256, "freeze_bn": True},
    "invertible_network": {
        "type": "simple_nvp",
        "n_blocks": 4,
        "hidden_size": 256,
        "checkpoint": False,
        "normalize": True,
        "explicit_affine": True,
    },
    "projection_layer": {"type": "simple", "proj_dims": 128},
    "loss": {
        "type": [
            "true_chamfer_loss",
            "normal_consistency_loss",
            "implicit_surface_loss",
            "min_points_loss",
            "non_overlapping_regularizer",
        ],
        "weights": [0.3, 0.01, 1.0, 0.01, 0.1],
        "sharpness": 250,
        "min_n_points": 10,
        "max_shared_points": 1.95,
    },
    "training": {
        "splits": ["train", "val"],
        "epochs": 3000,
        "steps_per_epoch": 500,
        "save_frequency": 10,
        "batch_size": 3,
        "aggregate": 4,
        "optimizer": "Adam",
        "momentum": 0.9,
        "lr": 5e-5,
        "weight_decay": 0.0,
    },
    "validation": {"splits": ["test"], "frequency": 100, "batch_size": 1},
}


class ConfigError(ValueError):
    """A config that cannot describe a model (one clear sentence)."""


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Recursively merge ``override`` over ``base``; neither is modified."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A full config from a YAML file path or a dict, defaults filled in."""
    if isinstance(source, Mapping):
        raw: Any = source
    else:
        path = Path(source)
        try:
            raw = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"config {path} is not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"config {source} must be a mapping of sections, got {type(raw).__name__}")
    return merge(DEFAULTS, raw)


def save_config(config: Mapping[str, Any], path: str | Path) -> None:
    """Write ``config`` as YAML (plain types only)."""
    Path(path).write_text(yaml.safe_dump(dict(config), sort_keys=False))
