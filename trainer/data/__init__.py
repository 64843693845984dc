"""Data: mesh files and procedural families -> prepared samples for training, evaluation, viewing.

Light imports only here; the torch datasets load on first use (``trainer.data.PreparedDataset``).
"""
from __future__ import annotations

from typing import Any

from trainer.data.manifest import ManifestEntry, ManifestError, list_prepared, read_manifest
from trainer.data.mesh_io import MeshLoadError, load_mesh
from trainer.data.normalize import Normalization, compute_normalization
from trainer.data.prepared import PreparedFormatError, PreparedShape, load_prepared

__all__ = [
    "ManifestEntry", "ManifestError", "MeshLoadError", "Normalization", "PreparedDataset",
    "PreparedFormatError", "PreparedShape", "compute_normalization", "list_prepared",
    "load_mesh", "load_prepared", "read_manifest",
]


def __getattr__(name: str) -> Any:
    if name == "PreparedDataset":
        from trainer.data.datasets import PreparedDataset
        return PreparedDataset
    raise AttributeError(f"module 'trainer.data' has no attribute {name!r}")
