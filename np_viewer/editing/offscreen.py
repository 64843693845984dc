"""Render the document off screen at any size: screenshots and turntable GIFs.

A fresh off-screen plotter mirrors the document through the same render adapter as the viewport
(the adapter owns no state), with the viewport's camera and no selection highlight or gizmo.
"""
from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Iterator

import numpy as np
import pyvista as pv

from ..document import Document, Selection
from ..render import SceneRenderer


def _mirror(doc: Document, camera: pv.Camera | None, size: tuple[int, int]) -> tuple[pv.Plotter, SceneRenderer]:
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    view = SimpleNamespace(assembly=doc.assembly, view=doc.view, selection=Selection())
    renderer = SceneRenderer(plotter, view)   # type: ignore[arg-type] - duck-typed document
    if camera is not None:
        plotter.camera.position = camera.position
        plotter.camera.focal_point = camera.focal_point
        plotter.camera.up = camera.up
        plotter.camera.view_angle = camera.view_angle
        plotter.camera.parallel_projection = camera.parallel_projection
        plotter.camera.parallel_scale = camera.parallel_scale
        plotter.reset_camera_clipping_range()
    return plotter, renderer


def render_image(doc: Document, size: tuple[int, int], camera: pv.Camera | None = None,
                 transparent: bool = False) -> np.ndarray:
    """(H, W, 3) uint8, or (H, W, 4) with a transparent background."""
    plotter, renderer = _mirror(doc, camera, size)
    try:
        if transparent:     # a gradient background ignores the alpha setting
            plotter.set_background("white")
        img = plotter.screenshot(transparent_background=transparent, return_img=True)
    finally:
        renderer.detach()
        plotter.close()
    return np.asarray(img)


def turntable_frames(doc: Document, size: tuple[int, int], camera: pv.Camera | None = None,
                     frames: int = 36) -> list[np.ndarray]:
    """One full turn of the camera about the view's up axis, ``frames`` images."""
    return list(turntable_iter(doc, size, camera, frames))


def turntable_iter(doc: Document, size: tuple[int, int], camera: pv.Camera | None = None,
                   frames: int = 36) -> Iterator[np.ndarray]:
    """The turntable's frames one at a time (the app renders one per event-loop turn); the
    off-screen plotter is closed when the iteration ends or is closed, on the calling thread."""
    if frames < 2:
        raise ValueError("a turntable needs at least 2 frames")
    plotter, renderer = _mirror(doc, camera, size)
    try:
        for _ in range(frames):
            plotter.render()
            yield np.asarray(plotter.screenshot(return_img=True))[..., :3].copy()
            plotter.camera.Azimuth(360.0 / frames)    # pyvista's ``azimuth`` property is absolute
            plotter.reset_camera_clipping_range()
    finally:
        renderer.detach()
        plotter.close()


def png_bytes(img: np.ndarray) -> bytes:
    import imageio.v3 as iio
    return iio.imwrite("<bytes>", np.ascontiguousarray(img), extension=".png")


def gif_bytes(frames: list[np.ndarray], fps: float = 15.0) -> bytes:
    import imageio.v3 as iio
    buf = io.BytesIO()
    iio.imwrite(buf, np.stack(frames), extension=".gif", duration=1000.0 / fps, loop=0)
    return buf.getvalue()
