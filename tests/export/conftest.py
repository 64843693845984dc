"""Synthetic 'primitives' for the export tests: icospheres pushed through smooth coupling
maps (invertible, like the model's flow), so each is closed and genus 0 but not a sphere."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from trainer.export import ExportPart
from trainer.palette import part_colour


def coupled_sphere(seed: int, subdivisions: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s = trimesh.creation.icosphere(subdivisions, radius=0.25)
    v = np.array(s.vertices)
    for axis in range(3):  # x_a += f(other two coordinates): invertible by construction
        a, b = [k for k in range(3) if k != axis]
        w = rng.normal(size=3)
        v[:, axis] += 0.08 * np.sin(4 * v[:, a] * w[0] + w[1]) * np.cos(3 * v[:, b] + w[2])
    v *= rng.uniform(0.6, 1.4, size=3)
    return v.astype(np.float32), np.asarray(s.faces, dtype=np.int64)


def rigid(seed: int, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(100 + seed)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    t = np.eye(4)
    t[:3, :3] = q * scale
    t[:3, 3] = rng.uniform(-0.3, 0.3, size=3)
    return t


@pytest.fixture
def parts() -> list[ExportPart]:
    out = []
    for k, name in enumerate(["left leg", "torso", "head"]):
        v, f = coupled_sphere(k)
        # colours off the 1/255 grid, so an exporter that rounds to bytes is caught
        colour = tuple(min(c + 0.0013, 1.0) for c in part_colour(k))
        out.append(ExportPart(name, v, f, colour, rigid(k, 1.0 + 0.1 * k)))
    return out
