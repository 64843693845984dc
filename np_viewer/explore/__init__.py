"""Inside the model (issue 7): blend two shapes in feature space, and slice the implicit functions.

``ExploreWindow`` (Qt); ``lerp_features``/``meshes_for`` and ``slice_plane``/``slice_meshes`` are
plain functions usable from scripts.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ExploreWindow", "PlaneSlice", "cli_explore", "lerp_features", "meshes_for", "slice_meshes",
           "slice_plane"]

_LAZY = {"ExploreWindow": ".window", "PlaneSlice": ".slice", "slice_plane": ".slice", "slice_meshes": ".slice",
         "lerp_features": ".interpolate", "meshes_for": ".interpolate", "cli_explore": ".cli"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
