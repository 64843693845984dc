"""The evaluation protocol, per shape.

All quantities are in the prepared data's normalised frame (the shape fits the
[-0.5, 0.5]^3 box; see README.md, "Data"), so distances are comparable across shapes.

- Prediction surface: the surface of the *union* of the primitive meshes. Each
  primitive's mesh (icosphere of subdivision ``mesh_resolution`` pushed through the flow)
  is sampled area-uniformly, the number of samples per primitive proportional to its
  area; a sample is kept only if it lies outside every other primitive (phi_other >= 0),
  i.e. on the union's boundary. Sampling repeats until ``n_points`` points are kept.
  Normals are the face normals of the sampled triangles.
- Chamfer-L1, F-score and normal consistency compare those points with the prepared
  ground-truth surface samples (see ``trainer.metrics.pointcloud``); F-score threshold
  tau = 1% of the largest side of the ground truth's bounding box (0.01 for shapes
  normalised to the unit box).
- IoU: the union's occupancy, inside iff min_m phi_m < 0 (the exact implicit union that
  the meshes discretise), at the prepared *uniform* volume samples, against their
  ground-truth occupancy.
- Part ownership: the owner of a ground-truth surface point is argmin_m phi_m there.
- Part connectedness: on the union-surface samples above, each labelled by the primitive
  whose mesh it came from (what the viewer shows of each part), the fraction that lies in
  its primitive's largest connected region (``trainer.metrics.part_connectedness``): 1.0
  when every primitive shows as one piece, lower when two primitives' surfaces interleave
  in patches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import trimesh

from ..metrics import compare_point_clouds, iou, part_connectedness


@dataclass
class EvalSettings:
    n_points: int = 10000          # union-surface samples of the prediction
    mesh_resolution: int = 4       # icosphere subdivision level (2562 vertices per primitive)
    fscore_fraction: float = 0.01  # tau = fraction x largest side of the GT bounding box
    chunk_size: int = 20000        # points per implicit() call
    seed: int = 0


@dataclass
class ShapeScores:
    iou: float
    chamfer_l1: float
    fscore: float
    normal_consistency: float
    accuracy: float
    completeness: float
    precision: float
    recall: float
    union_surface_fraction: float  # fraction of primitive-surface samples on the union
    part_connectedness: float      # union-surface samples in their primitive's largest region


def union_surface_samples(model, F: torch.Tensor, settings: EvalSettings
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(points (n,3), normals (n,3), primitive index (n,), kept fraction) on the union of
    one shape's primitive meshes; F is (1, M, 2f)."""
    rng = np.random.default_rng(settings.seed)
    meshes = [trimesh.Trimesh(v, f, process=False) for v, f in model.primitive_meshes(F, settings.mesh_resolution)[0]]
    areas = np.array([m.area for m in meshes], dtype=np.float64)
    if not np.isfinite(areas).all() or areas.sum() <= 0:
        raise ValueError("the predicted primitives have no surface area")
    probs = areas / areas.sum()
    kept_p, kept_n, kept_m, tried, kept = [], [], [], 0, 0
    batch = max(settings.n_points, 1000)
    for _ in range(50):  # a union always has some boundary; this bound only guards against NaNs
        counts = rng.multinomial(batch, probs)
        for m, (mesh, c) in enumerate(zip(meshes, counts)):
            if c == 0:
                continue
            pts, face = trimesh.sample.sample_surface(mesh, int(c), seed=int(rng.integers(2 ** 31)))
            x = torch.as_tensor(np.asarray(pts), dtype=F.dtype, device=F.device)[None]
            with torch.no_grad():
                phi = model.implicit(F, x, chunk_size=settings.chunk_size)[0]
            others = phi.clone()
            others[:, m] = float("inf")
            outside = (others >= 0).all(-1).cpu().numpy()
            kept_p.append(np.asarray(pts)[outside])
            kept_n.append(np.asarray(mesh.face_normals)[face][outside])
            kept_m.append(np.full(int(outside.sum()), m, np.int64))
            tried += int(c)
            kept += int(outside.sum())
        if kept >= settings.n_points:
            break
    if kept == 0:
        raise ValueError("no primitive surface sample lies on the union's surface")
    P, N, owner = np.concatenate(kept_p), np.concatenate(kept_n), np.concatenate(kept_m)
    pick = rng.choice(len(P), size=min(settings.n_points, len(P)), replace=False)
    return P[pick], N[pick], owner[pick], kept / max(tried, 1)


def score_shape(model, F: torch.Tensor, gt_surface: np.ndarray, gt_normals: np.ndarray | None,
                volume_points: np.ndarray, occupancy: np.ndarray, settings: EvalSettings) -> ShapeScores:
    pts, nrm, owner, frac = union_surface_samples(model, F, settings)
    extent = float((gt_surface.max(0) - gt_surface.min(0)).max())
    pc = compare_point_clouds(pts, gt_surface, settings.fscore_fraction * extent, nrm, gt_normals)
    x = torch.as_tensor(volume_points, dtype=F.dtype, device=F.device)[None]
    with torch.no_grad():
        inside = (model.implicit(F, x, chunk_size=settings.chunk_size)[0].min(-1)[0] < 0).cpu().numpy()
    return ShapeScores(
        iou=iou(inside, occupancy), chamfer_l1=pc.chamfer_l1, fscore=pc.fscore,
        normal_consistency=pc.normal_consistency, accuracy=pc.accuracy, completeness=pc.completeness,
        precision=pc.precision, recall=pc.recall, union_surface_fraction=frac,
        part_connectedness=part_connectedness(pts, owner),
    )


def owners(model, F: torch.Tensor, points: np.ndarray, chunk_size: int = 20000) -> np.ndarray:
    """argmin_m phi_m at each point (int64 (N,))."""
    x = torch.as_tensor(points, dtype=F.dtype, device=F.device)[None]
    with torch.no_grad():
        return model.implicit(F, x, chunk_size=chunk_size)[0].argmin(-1).cpu().numpy()
