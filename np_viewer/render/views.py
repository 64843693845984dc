"""Camera presets: the six standard views and the default three-quarter view (y is up)."""
from __future__ import annotations

import numpy as np

# direction from the focal point to the camera, and the up vector
STANDARD_VIEWS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "+x": ((1, 0, 0), (0, 1, 0)),
    "-x": ((-1, 0, 0), (0, 1, 0)),
    "+y": ((0, 1, 0), (0, 0, -1)),
    "-y": ((0, -1, 0), (0, 0, 1)),
    "+z": ((0, 0, 1), (0, 1, 0)),
    "-z": ((0, 0, -1), (0, 1, 0)),
    "iso": ((1.0, 0.7, 1.6), (0, 1, 0)),
}


def camera_pose(name: str, distance: float = 3.0) -> tuple[np.ndarray, tuple[float, float, float]]:
    """(position, up) of a camera looking at the origin from the named direction."""
    if name not in STANDARD_VIEWS:
        raise ValueError(f"unknown view {name!r}; expected one of {sorted(STANDARD_VIEWS)}")
    direction, up = STANDARD_VIEWS[name]
    d = np.asarray(direction, dtype=float)
    return d / np.linalg.norm(d) * distance, up


def set_view(plotter, name: str) -> None:  # noqa: ANN001 - any pyvista plotter
    """Look at the visible scene from a named direction and fit it in view."""
    position, up = camera_pose(name)
    cam = plotter.camera
    cam.focal_point = (0.0, 0.0, 0.0)
    cam.position = tuple(position)
    cam.up = up
    plotter.reset_camera()
    cam.zoom(1.15)     # reset_camera leaves a wide margin; the parts should fill the view
