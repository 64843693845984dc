"""Turning one mesh into one prepared shape (normalise, sample, label, write)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from trainer.data.inside import INSIDE_THRESHOLD, orient_outward, robust_winding_numbers
from trainer.data.mesh_io import FLAT_NOTE
from trainer.data.normalize import compute_normalization
from trainer.data.prepared import VOXEL_RESOLUTION, PreparedShape, save_prepared
from trainer.data.sampling import (DEFAULT_PADDING, NEAR_SURFACE_SIGMAS, sample_near_surface,
                                   sample_surface, sample_uniform_box)


class NoInsideError(ValueError):
    """The surface encloses no volume (flat, a single triangle): every volume sample would be outside."""


@dataclass(frozen=True)
class PrepareOptions:
    n_surface: int = 100_000        # surface points (with normals, and part labels if known)
    n_uniform: int = 100_000        # volume points uniform in the padded box (IoU, "equal")
    n_near: int = 25_000            # volume points near the surface (sharper boundaries)
    padding: float = DEFAULT_PADDING
    voxels: bool = True             # 32^3 occupancy grid for the voxel encoder
    views: int = 0                  # rendered views for image encoders
    view_size: int = 224
    compress: bool = False          # np.savez_compressed (smaller, slower)
    seed: int = 0


def shape_seed(category: str, name: str, seed: int) -> int:
    """Per-shape seed: independent of worker, shard and order."""
    digest = hashlib.sha1(f"{seed}:{category}/{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def voxel_centres(resolution: int = VOXEL_RESOLUTION) -> np.ndarray:
    """Cell centres of the voxel grid over [-0.5, 0.5]^3, ordered [x, y, z] (C order)."""
    c = (np.arange(resolution) + 0.5) / resolution - 0.5
    return np.stack(np.meshgrid(c, c, c, indexing="ij"), axis=-1).reshape(-1, 3)


@dataclass
class Samples:
    """What sampling one normalised mesh gives (the arrays of a prepared shape)."""
    surface_points: np.ndarray
    surface_normals: np.ndarray
    surface_faces: np.ndarray           # face index of each surface point
    part_labels: np.ndarray | None
    volume_points: np.ndarray           # the first n_uniform are uniform in the padded box
    occupancy: np.ndarray
    n_uniform: int
    voxels: np.ndarray | None


def sample_normalised(normalised: trimesh.Trimesh, options: PrepareOptions, rng: np.random.Generator,
                      face_labels: np.ndarray | None = None) -> Samples:
    """Surface and volume samples (with inside/outside) of an outward-oriented mesh that is
    already in the normalised frame; ``np-prepare`` and the in-process fit share this."""
    points, normals, face = sample_surface(normalised, options.n_surface, rng)
    labels = None
    if face_labels is not None:
        face_labels = np.asarray(face_labels, dtype=np.int64)
        if len(face_labels) != len(normalised.faces):
            raise ValueError(f"{len(face_labels)} face labels for {len(normalised.faces)} faces")
        labels = face_labels[face]

    uniform = sample_uniform_box(options.n_uniform, rng, options.padding)
    near = sample_near_surface(normalised, options.n_near, rng)
    volume = np.concatenate([uniform, near], axis=0)
    queries = [volume]
    if options.voxels:
        queries.append(voxel_centres())
    inside = np.abs(robust_winding_numbers(normalised, np.concatenate(queries, axis=0))) > INSIDE_THRESHOLD
    occupancy = inside[: len(volume)]
    if not occupancy.any():  # training on it would pin the coverage loss: refuse, say why
        raise NoInsideError(f"{FLAT_NOTE} (the surface encloses no volume, e.g. all vertices in one plane)")
    voxels = inside[len(volume):].reshape((VOXEL_RESOLUTION,) * 3) if options.voxels else None
    return Samples(points, normals, face, labels, volume, occupancy, len(uniform), voxels)


def prepare_mesh(mesh: trimesh.Trimesh, *, name: str, category: str, split: str, out_dir: Path,
                 options: PrepareOptions = PrepareOptions(), source: str = "",
                 face_labels: np.ndarray | None = None, part_names: list[str] | None = None,
                 extra_meta: dict | None = None) -> Path:
    """Normalise ``mesh``, sample it and write the prepared shape; return its directory."""
    rng = np.random.default_rng(shape_seed(category, name, options.seed))
    norm = compute_normalization(mesh.vertices)
    oriented = orient_outward(mesh)
    normalised = trimesh.Trimesh(vertices=norm.apply(oriented.vertices), faces=oriented.faces,
                                 process=False)
    s = sample_normalised(normalised, options, rng, face_labels)

    views = cameras = None
    if options.views > 0:
        from trainer.data.render import render_views
        views, cameras = render_views(normalised, options.views, options.view_size, seed=rng)

    meta = {"watertight": bool(mesh.is_watertight), "n_faces": int(len(mesh.faces)),
            "near_surface_sigmas": list(NEAR_SURFACE_SIGMAS), "seed": int(options.seed)}
    meta.update(extra_meta or {})
    shape = PreparedShape(
        name=name, category=category, split=split, source=source,
        surface_points=s.surface_points, surface_normals=s.surface_normals,
        volume_points=s.volume_points, occupancy=s.occupancy,
        scale=norm.scale, translation=norm.translation,
        part_labels=s.part_labels, part_names=part_names, n_uniform=s.n_uniform,
        face_part_labels=None if face_labels is None else np.asarray(face_labels, dtype=np.int64),
        voxels=s.voxels, padding=options.padding, meta=meta,
    )
    return save_prepared(shape, out_dir, mesh=normalised, views=views, cameras=cameras,
                         compress=options.compress)
