"""Compare view (issue 15): one shape under 1 to 4 models side by side with linked cameras and
each model's numbers; Fit all fits every primitive type to the shape with the same budget.

Entry points: ``install_compare_action(window)`` (View > Compare models… in the app) and
``cli_compare`` (``np-viewer --compare CK1 CK2 ... SHAPE [--screenshot PNG]``).
"""
from __future__ import annotations

from typing import Any

__all__ = ["ARMS", "CompareDialog", "CompareWindow", "PaneResult", "cli_compare", "install_compare_action",
           "open_compare_for", "pane_metrics"]

_LAZY = {"ARMS": "trainer.fitting.arms", "CompareDialog": ".dialog", "CompareWindow": ".window", "PaneResult": ".panes",
         "pane_metrics": ".panes", "cli_compare": ".cli", "install_compare_action": ".link",
         "open_compare_for": ".link"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
