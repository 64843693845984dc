"""Helpers for the data tests: the shared real meshes, pyvista's bundled examples, a reference."""
from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np

SHARED_DATA = Path(os.environ.get("NP_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def shared_meshes() -> list[Path]:
    """The real OBJ files; their absence is an error, never a skip."""
    files = sorted(Path(p) for p in glob.glob(str(SHARED_DATA / "*.obj")))
    if not files:
        raise FileNotFoundError(
            f"the shared test meshes are missing: no *.obj in {SHARED_DATA} "
            "(set NP_SHARED_DATA to the folder that holds cow.obj, spot.obj, ...)")
    return files


def pyvista_example(name: str) -> Path:
    """A mesh shipped inside the pyvista package (no download)."""
    import pyvista.examples
    path = Path(pyvista.examples.__file__).parent / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: pyvista's bundled example is missing")
    return path


def reference_meshes() -> list[Path]:
    return shared_meshes() + [pyvista_example("ant.ply"), pyvista_example("airplane.ply")]


def exact_winding_numbers(vertices: np.ndarray, faces: np.ndarray, points: np.ndarray,
                          chunk: int = 64) -> np.ndarray:
    """Brute-force generalised winding number: the sum of signed solid angles of every
    triangle (Van Oosterom & Strackee), no hierarchy, no approximation. Slow; test only."""
    tri = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]
    out = np.empty(len(points))
    for s in range(0, len(points), chunk):
        p = np.asarray(points[s:s + chunk], dtype=np.float64)[:, None, None, :]
        d = tri[None] - p                                   # (c, T, 3, 3)
        a, b, c = d[:, :, 0], d[:, :, 1], d[:, :, 2]
        la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (a, b, c))
        det = np.einsum("ptk,ptk->pt", a, np.cross(b, c))
        den = (la * lb * lc + np.einsum("ptk,ptk->pt", a, b) * lc
               + np.einsum("ptk,ptk->pt", b, c) * la + np.einsum("ptk,ptk->pt", c, a) * lb)
        out[s:s + chunk] = (2.0 * np.arctan2(det, den)).sum(axis=1) / (4.0 * np.pi)
    return out


def crashing_run_task(task):
    """``np-prepare``'s ``run_task``, except that shape 1 kills its worker (a segfault, an OOM kill)."""
    if task.job.name.endswith("000001"):
        os._exit(3)
    from trainer.data.prepare import run_task  # the real one: a spawned worker imports it afresh
    return run_task(task)
