"""Find a part's colour in a rendered image (tests, benchmarks and the screenshot check).

Lighting scales a surface's colour but mostly keeps its chromaticity (r, g, b) / (r + g + b), so a
pixel "shows" colour c when its chromaticity is near c's and it is neither too dark nor white.
"""
from __future__ import annotations

import numpy as np


def chromaticity(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, np.float64)
    return rgb / np.maximum(rgb.sum(-1, keepdims=True), 1e-9)


def colour_mask(img: np.ndarray, colour: tuple[float, float, float], tol: float = 0.03) -> np.ndarray:
    """(H, W) bool: pixels whose chromaticity is within ``tol`` of ``colour`` (floats in [0, 1])."""
    img = np.asarray(img[..., :3], np.float64)
    target = chromaticity(np.asarray(colour, np.float64))
    dist = np.linalg.norm(chromaticity(img) - target, axis=-1)
    brightness = img.sum(-1)
    return (dist < tol) & (brightness > 60) & (img.min(-1) < 235)


def colour_counts(img: np.ndarray, colours: list[tuple[float, float, float]], tol: float = 0.03) -> list[int]:
    """Pixels of each colour, each pixel counted for its nearest colour only (within ``tol``)."""
    img = np.asarray(img[..., :3], np.float64)
    chroma = chromaticity(img)
    targets = chromaticity(np.asarray(colours, np.float64))
    dist = np.linalg.norm(chroma[..., None, :] - targets, axis=-1)         # (H, W, K)
    nearest = dist.argmin(-1)
    ok = (dist.min(-1) < tol) & (img.sum(-1) > 60) & (img.min(-1) < 235)
    return [int(np.count_nonzero(ok & (nearest == k))) for k in range(len(colours))]
