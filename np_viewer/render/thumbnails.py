"""Small shaded thumbnails of a point set, in pure numpy so they can be made on worker threads
(VTK rendering must stay on the GUI thread)."""
from __future__ import annotations

import numpy as np

_VIEW_DIR = np.array([1.0, 0.7, 1.6]) / np.linalg.norm([1.0, 0.7, 1.6])


def _view_basis() -> np.ndarray:
    z = _VIEW_DIR
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])   # rows: screen x, screen y, towards the viewer


def render_thumbnail(points: np.ndarray, normals: np.ndarray | None = None, size: int = 96,
                     colour: tuple[float, float, float] = (0.47, 0.58, 0.72),
                     background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """(size, size, 3) uint8 image of ``points`` seen from the viewer's default direction, with
    Lambert shading from ``normals`` when given (depth shading otherwise)."""
    img = np.empty((size, size, 3), np.uint8)
    img[:] = background
    pts = np.asarray(points, np.float64)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        return img
    cam = (pts - pts.mean(0)) @ _view_basis().T
    extent = max(float(np.abs(cam[:, :2]).max()), 1e-9)
    margin = 0.08 * size
    scale = (size / 2 - margin) / extent
    px = np.clip((cam[:, 0] * scale + size / 2).astype(int), 0, size - 1)
    py = np.clip((size / 2 - cam[:, 1] * scale).astype(int), 0, size - 1)
    depth = cam[:, 2]
    if normals is not None and len(normals) == len(points):
        n = np.asarray(normals, np.float64)[np.all(np.isfinite(np.asarray(points, np.float64)), axis=1)]
        n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        light = _view_basis().T @ np.array([-0.3, 0.5, 0.8])
        shade = 0.35 + 0.65 * np.abs(n @ (light / np.linalg.norm(light)))
    else:
        dn = (depth - depth.min()) / max(np.ptp(depth), 1e-9)
        shade = 0.45 + 0.55 * dn
    # z-buffer: keep the nearest point per pixel, splatted 2x2 so sparse samples read as surfaces
    order = np.argsort(depth)      # far first; later (nearer) writes win
    for dx in (0, 1):
        for dy in (0, 1):
            x = np.clip(px + dx, 0, size - 1)[order]
            y = np.clip(py + dy, 0, size - 1)[order]
            img[y, x] = (np.outer(shade[order], colour) * 255).clip(0, 255).astype(np.uint8)
    return img
