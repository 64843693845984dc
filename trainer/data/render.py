"""Small headless renderer for the optional input views of image-based models.

No OpenGL: dense surface samples are projected with a perspective camera, a z-buffer keeps
the nearest sample per pixel, and pixels are Lambert-shaded from a light at the camera.
Good enough for encoder input and thumbnails; it needs no display and no GPU.
"""
from __future__ import annotations

import numpy as np
import trimesh

from trainer.data.sampling import sample_surface

BACKGROUND = 255


def look_at(azimuth_deg: float, elevation_deg: float, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """Camera position and world->camera rotation (rows: right, up, backward) for a y-up scene."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    eye = distance * np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
    back = eye / np.linalg.norm(eye)
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    up = np.cross(back, right)
    return eye, np.stack([right, up, back])


def render(mesh: trimesh.Trimesh, azimuth_deg: float = 30.0, elevation_deg: float = 20.0,
           size: int = 224, distance: float = 2.0, fov_deg: float = 40.0,
           face_colours: np.ndarray | None = None, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Render ``mesh`` (normalised coordinates) to a (size, size, 3) uint8 image."""
    eye, rot = look_at(azimuth_deg, elevation_deg, distance)
    focal = 0.5 * size / np.tan(np.radians(fov_deg) / 2)
    # Enough samples that every visible pixel of a unit-size shape gets several.
    pixel = 2 * distance * np.tan(np.radians(fov_deg) / 2) / size
    n = int(min(3_000_000, max(20_000, 12 * mesh.area / pixel ** 2)))
    pts, normals, face = sample_surface(mesh, n, seed)
    cam = (pts - eye) @ rot.T
    depth = -cam[:, 2]
    ok = depth > 1e-6
    x = np.floor(focal * cam[ok, 0] / depth[ok] + size / 2).astype(np.int64)
    y = np.floor(-focal * cam[ok, 1] / depth[ok] + size / 2).astype(np.int64)
    idx = np.flatnonzero(ok)
    inb = (x >= 0) & (x < size) & (y >= 0) & (y < size)
    x, y, idx = x[inb], y[inb], idx[inb]
    pix = y * size + x
    order = np.lexsort((depth[idx], pix))
    first = np.unique(pix[order], return_index=True)[1]
    win = idx[order[first]]
    view_dir = eye - pts[win]
    view_dir /= np.linalg.norm(view_dir, axis=1, keepdims=True)
    shade = 0.25 + 0.75 * np.abs(np.einsum("ij,ij->i", normals[win], view_dir))
    base = np.full((len(win), 3), 0.75) if face_colours is None else np.asarray(face_colours)[face[win], :3]
    img = np.full((size * size, 3), BACKGROUND, dtype=np.uint8)
    img[pix[order[first]]] = np.clip(base * shade[:, None] * 255, 0, 255).astype(np.uint8)
    return img.reshape(size, size, 3)


def render_views(mesh: trimesh.Trimesh, k: int, size: int = 224,
                 seed: int | np.random.Generator = 0) -> tuple[list[np.ndarray], list[dict]]:
    """``k`` views at evenly spaced azimuths (random offset) and random elevations."""
    rng = np.random.default_rng(seed)
    offset = rng.uniform(0, 360)
    views, cameras = [], []
    for i in range(k):
        az = (offset + 360.0 * i / k) % 360.0
        el = float(rng.uniform(10, 40))
        views.append(render(mesh, az, el, size=size, seed=rng))
        cameras.append({"azimuth_deg": az, "elevation_deg": el, "distance": 2.0, "fov_deg": 40.0,
                        "up": [0, 1, 0], "target": [0, 0, 0]})
    return views, cameras
