"""In-process prepare of one shape for fitting: the same normalisation, surface and volume
sampling and inside test as ``np-prepare`` (``trainer.data.pipeline``), held in memory."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.prepared import PreparedShape
from ..inference.shapes import ShapeInput, ShapeLoadError, load_shape

# Sample counts for a fit. Each step draws the config's n_points_on_mesh / n_points_in_mesh
# from these pools; the inside test of the volume pool is what a prepare costs
# (benchmarks/README.md, "Per-shape fitting").
FIT_SURFACE = 20_000
FIT_UNIFORM = 8_000
FIT_NEAR = 8_000


@dataclass
class FitShape:
    """A shape ready to fit: what the encoder sees (``input``) and the training samples (``record``)."""

    input: ShapeInput
    record: PreparedShape
    seconds: float = 0.0          # time the prepare took

    @property
    def name(self) -> str:
        return self.input.name

    @property
    def part_labels(self) -> np.ndarray | None:
        """Ground-truth part label of each surface sample in ``record`` (or None)."""
        return self.record.part_labels

    @property
    def uniform(self) -> tuple[np.ndarray, np.ndarray]:
        """(points, occupancy) uniform in the padded box: what IoU is measured on."""
        r = self.record
        if r.n_uniform > 0:
            return np.asarray(r.uniform_points), np.asarray(r.uniform_occupancy, bool)
        return np.asarray(r.volume_points), np.asarray(r.occupancy, bool)


def prepare_shape(shape: ShapeInput | FitShape | str | os.PathLike, n_surface: int = FIT_SURFACE,
                  n_uniform: int = FIT_UNIFORM, n_near: int = FIT_NEAR, seed: int = 0,
                  voxels: bool = False) -> FitShape:
    """Samples of one mesh file, prepared shape folder or loaded ``ShapeInput``.

    A prepared shape keeps its stored samples (and part labels). A mesh is sampled here,
    in its normalised frame (``ShapeInput.normalization``). A bare point cloud cannot be
    fitted (the objective needs inside/outside) and raises ``ShapeLoadError``.
    """
    import time

    import trimesh

    from ..data.inside import orient_outward
    from ..data.pipeline import PrepareOptions, sample_normalised

    if isinstance(shape, FitShape):
        return shape
    t0 = time.perf_counter()
    if not isinstance(shape, ShapeInput):
        shape = load_shape(Path(shape))
    if shape.kind == "prepared" and shape.ground_truth is not None:
        return FitShape(shape, shape.ground_truth, time.perf_counter() - t0)
    if shape.vertices is None or shape.faces is None or len(shape.faces) == 0:
        raise ShapeLoadError(f"{shape.source}: a point cloud cannot be fitted (the fit needs a mesh "
                             "to tell inside from outside); give a mesh file or a prepared shape.")
    mesh = orient_outward(trimesh.Trimesh(shape.vertices, shape.faces, process=False))
    options = PrepareOptions(n_surface=n_surface, n_uniform=n_uniform, n_near=n_near, voxels=voxels,
                             seed=seed)
    s = sample_normalised(mesh, options, np.random.default_rng(seed))
    norm = shape.normalization
    record = PreparedShape(
        name=shape.name, category=shape.category, source=shape.source,
        surface_points=s.surface_points.astype(np.float32), surface_normals=s.surface_normals.astype(np.float32),
        volume_points=s.volume_points.astype(np.float32), occupancy=s.occupancy,
        scale=float(norm.scale), translation=np.asarray(norm.translation, np.float64),
        n_uniform=s.n_uniform, voxels=s.voxels, padding=options.padding)
    return FitShape(shape, record, time.perf_counter() - t0)
