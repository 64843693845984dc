"""The gallery: many instances side by side with a linked camera, primitive styles shared by all,
paging, and a part-consistency panel (issue 7).

``GalleryWindow`` is a standalone QMainWindow (its ``open_instance(path)`` signal asks the main view
to open an instance); ``cli_gallery`` implements ``np-viewer --gallery RxC [--screenshot FILE.png]``.
"""
from __future__ import annotations

from typing import Any

__all__ = ["GalleryModel", "GalleryWindow", "GalleryView", "ConsistencyReport", "cli_gallery",
           "compute_consistency", "parse_grid", "predict_batch"]

_LAZY = {
    "GalleryModel": ".model", "parse_grid": ".model", "GalleryWindow": ".window", "GalleryView": ".view",
    "ConsistencyReport": ".consistency", "compute_consistency": ".consistency", "cli_gallery": ".cli",
    "predict_batch": ".predict",
}


def __getattr__(name: str) -> Any:   # Qt and torch load only when asked for
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
