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


# Keys that must hold a whole number >= 1 when set (their loaders would fail deep inside
# with an IndexError or a ValueError that names neither the file nor the key).
POSITIVE_INTS: tuple[tuple[str, str], ...] = (
    ("training", "batch_size"), ("training", "epochs"), ("training", "steps_per_epoch"),
    ("training", "aggregate"), ("validation", "batch_size"), ("network", "n_primitives"),
    ("network", "n_points_on_sphere"), ("data", "n_points_on_mesh"), ("data", "n_input_points"),
)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {path} is not a YAML text file (binary data at byte {exc.start})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ConfigError(f"config {path} is not valid YAML{where}: {problem}") from None


def _check_values(cfg: Mapping[str, Any], source: object) -> None:
    for section, key in POSITIVE_INTS:
        block = cfg.get(section)
        if not isinstance(block, Mapping) or key not in block:
            continue
        value = block[key]
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or value < 1:
            raise ConfigError(f"config {source}: {section}.{key} must be a whole number of at least 1, "
                              f"not {value!r}")


def load_config(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A full config from a YAML file path or a dict, defaults filled in."""
    raw: Any = source if isinstance(source, Mapping) else _read_yaml(Path(source))
    name = "(in memory)" if isinstance(source, Mapping) else source
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"config {name} must be a mapping of sections, got {type(raw).__name__}")
    for section, block in raw.items():
        if section in DEFAULTS and block is not None and not isinstance(block, Mapping):
            raise ConfigError(f"config {name}: section '{section}' must be a mapping of keys, "
                              f"not {type(block).__name__}")
    cfg = merge(DEFAULTS, raw)
    _check_values(cfg, name)
    return cfg


def save_config(config: Mapping[str, Any], path: str | Path) -> None:
    """Write ``config`` as YAML (plain types only)."""
    Path(path).write_text(yaml.safe_dump(dict(config), sort_keys=False))
