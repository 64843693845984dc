"""Shared test helpers (importable from any test thanks to ``pythonpath = ["tests"]``)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch


def tiny_config(encoder: str = "pointcloud", n_primitives: int = 3, **flow) -> dict:
    """A model config small enough for fast tests (about 40k parameters)."""
    return {
        "network": {"n_primitives": n_primitives, "sphere_radius": 0.25},
        "feature_extractor": {"type": encoder, "feature_size": 16, "freeze_bn": True},
        "invertible_network": {"n_blocks": 4, "hidden_size": 32, **flow},
        "projection_layer": {"proj_dims": 8},
    }


def write_tiny_checkpoint(path: Path, seed: int = 0, **config_kwargs) -> Path:
    """A randomly initialised tiny model saved in our checkpoint format."""
    from trainer import checkpoint
    from trainer.model import NeuralParts

    torch.manual_seed(seed)
    model = NeuralParts.from_config(tiny_config(**config_kwargs))
    return checkpoint.save(path, model, model.config)


@pytest.fixture(autouse=True)
def no_plotter_outlives_its_test():
    """Every pyvista plotter created during a test must be closed by its end (GUI test folders
    import this autouse fixture into their conftest), and none may leave a wrapper of its Qt
    surface behind: Shiboken would hand that stale wrapper out for the next Qt object allocated at
    the same address (a QMenu once came back as a QSurface)."""
    from pyvista.plotting.plotter import _ALL_PLOTTERS
    before = set(_ALL_PLOTTERS)
    surfaces_before = {id(w) for w in _qt_surface_wrappers()}
    yield
    alive = [p for k, p in list(_ALL_PLOTTERS.items()) if k not in before and not getattr(p, "_closed", True)]
    assert not alive, f"{len(alive)} plotter(s) left open by this test"
    stale = [w for w in _qt_surface_wrappers() if id(w) not in surfaces_before]
    assert not stale, f"{len(stale)} Qt surface wrapper(s) outlived their closed plotters"


def _qt_surface_wrappers() -> list:
    import sys
    if "PySide6.QtGui" not in sys.modules:
        return []
    from PySide6.QtGui import QSurface
    from shiboken6 import Shiboken
    return [w for w in Shiboken.getAllValidWrappers() if isinstance(w, QSurface)]
