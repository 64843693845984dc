"""How the scene is drawn (not what is in it)."""
from __future__ import annotations

from .evented import Evented

OVERLAY_MODES = ("none", "mesh", "points")


class ViewOptions(Evented):
    """``overlay``: draw the input as a translucent mesh or as its points over the parts.
    ``segmentation``: draw the input coloured by owning primitive instead of the parts.
    ``resolution``: icosphere subdivision level of the part meshes (3 -> 642 vertices)."""

    _fields = {
        "wireframe": False,
        "show_edges": False,
        "overlay": "none",
        "overlay_opacity": 0.25,
        "segmentation": False,
        "resolution": 3,
        "show_legend": True,
    }

    def __setattr__(self, name, value):  # validate the two fields a user can get wrong
        if name == "overlay" and value not in OVERLAY_MODES:
            raise ValueError(f"overlay must be one of {OVERLAY_MODES}, got {value!r}")
        if name == "resolution" and not (0 <= int(value) <= 6):
            raise ValueError(f"resolution must be 0..6, got {value}")
        super().__setattr__(name, value)
