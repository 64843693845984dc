"""Turn what a user points at (a prepared shape, a mesh file, a point cloud) into model input.

Everything is returned in the normalised frame of the prepared data (bounding-box centre at the
origin, longest side 1; see ``trainer.data.normalize``), which is the frame predictions live in.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data.mesh_io import is_flat
from ..data.normalize import Normalization, compute_normalization
from ..file_types import MESH_EXTENSIONS, POINT_EXTENSIONS, SHAPE_EXTENSIONS

DEFAULT_SURFACE_POINTS = 4096


class ShapeLoadError(Exception):
    """A shape that cannot be used; the message is one sentence naming the file."""


@dataclass
class ShapeInput:
    name: str
    category: str
    source: str                         # the path the user gave
    kind: str                           # "prepared", "mesh" or "points"
    points: np.ndarray                  # (N, 3) float32 surface samples, normalised frame
    normals: np.ndarray | None          # (N, 3) or None for bare point clouds
    normalization: Normalization        # normalised = original * scale + translation
    vertices: np.ndarray | None = None  # (V, 3) float32 mesh in the normalised frame
    faces: np.ndarray | None = None     # (T, 3) int64
    ground_truth: Any | None = None     # the prepared record (trainer.data.load_prepared)
    image: np.ndarray | None = None     # (H, W, 3) uint8 view, when the prepared shape has one
    flat: bool = False                  # all points in one plane: no inside, so no volume metrics

    @property
    def part_labels(self) -> np.ndarray | None:
        return getattr(self.ground_truth, "part_labels", None) if self.ground_truth is not None else None


@dataclass(frozen=True)
class ShapeRef:
    """One browsable shape: where it is and what to call it."""

    path: str
    name: str
    category: str = ""


# --- listing -------------------------------------------------------------------------------------
def list_shapes(path: str | os.PathLike, split: str | None = None) -> list[ShapeRef]:
    """The shapes behind ``path``: a prepared dataset, a prepared shape, a folder of mesh /
    point-cloud files (searched recursively), or one such file."""
    path = Path(path)
    if not path.exists():
        raise ShapeLoadError(f"{path}: no such file or folder.")
    if path.is_file():
        _check_extension(path)
        return [ShapeRef(str(path), path.stem, "")]
    prepared = _list_prepared(path, split)
    if prepared is not None:
        return prepared
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SHAPE_EXTENSIONS)
    if not files:
        raise ShapeLoadError(f"{path}: no prepared shapes, mesh files or point clouds found in this folder.")
    return [ShapeRef(str(p), p.stem, p.parent.name if p.parent != path else "") for p in files]


def _list_prepared(path: Path, split: str | None) -> list[ShapeRef] | None:
    from ..data.manifest import ManifestError, read_manifest
    from ..data.prepared import is_prepared_shape_dir, read_meta
    if is_prepared_shape_dir(path):
        try:
            meta = read_meta(path)
        except Exception:  # noqa: BLE001 - load_shape reports the problem when it is opened
            meta = {}
        return [ShapeRef(str(path), str(meta.get("name", path.name)), str(meta.get("category", "")))]
    try:
        entries = read_manifest(path)
    except ManifestError:
        return None
    refs = [ShapeRef(str(path / e.dir), e.name, e.category) for e in entries
            if split is None or e.split == split]
    if entries and not refs:
        have = ", ".join(sorted({e.split for e in entries}))
        raise ShapeLoadError(f"{path}: no shapes in split '{split}' (this dataset has: {have}).")
    return refs or None


def _check_extension(path: Path) -> None:
    if path.suffix.lower() not in SHAPE_EXTENSIONS:
        raise ShapeLoadError(
            f"{path}: unsupported file type '{path.suffix}' (expected a mesh "
            f"{', '.join(MESH_EXTENSIONS)}, a point cloud {', '.join(POINT_EXTENSIONS)} or a prepared shape folder).")


# --- loading -------------------------------------------------------------------------------------
def load_shape(path: str | os.PathLike, n_points: int = DEFAULT_SURFACE_POINTS, seed: int = 0,
               category: str = "") -> ShapeInput:
    """Load a prepared shape directory, a mesh file (prepared on the fly) or a point cloud."""
    path = Path(path)
    if not path.exists():
        raise ShapeLoadError(f"{path}: no such file or folder.")
    if path.is_dir():
        return _load_prepared(path, category)
    _check_extension(path)
    ext = path.suffix.lower()
    if ext in (".xyz", ".npy"):
        return _from_points(path, _read_points(path), category, n_points, seed)
    if ext == ".ply" and _ply_is_point_cloud(path):
        return _from_points(path, _read_points(path), category, n_points, seed)
    return _from_mesh(path, category, n_points, seed)


def _load_prepared(path: Path, category: str) -> ShapeInput:
    from ..data import load_prepared
    try:
        rec = load_prepared(path)
        mesh = rec.load_mesh() if rec.mesh_path is not None else None
    except Exception as exc:  # noqa: BLE001 - their error types vary; the user needs one sentence
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ShapeLoadError(f"{path}: not a readable prepared shape ({msg}).") from None
    vertices = faces = None
    if mesh is not None and len(mesh.faces):
        vertices, faces = np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.int64)
    return ShapeInput(
        name=str(rec.name or path.name), category=str(rec.category or category or ""),
        source=str(path), kind="prepared",
        points=np.asarray(rec.surface_points, np.float32),
        normals=None if rec.surface_normals is None else np.asarray(rec.surface_normals, np.float32),
        normalization=rec.normalization, vertices=vertices, faces=faces, ground_truth=rec,
        image=_first_view(rec.view_paths))


def _first_view(paths: list[Path]) -> np.ndarray | None:
    if not paths:
        return None
    try:
        import imageio.v3 as iio
        img = np.asarray(iio.imread(paths[0]))
    except Exception:  # noqa: BLE001 - a broken view is not fatal: the predictor renders one instead
        return None
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.shape[-1] == 4:   # composite transparent renderings on white, like the published inputs
        alpha = img[..., 3:4].astype(np.float32) / 255.0
        img = (img[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return img[..., :3].astype(np.uint8)


def _from_mesh(path: Path, category: str, n_points: int, seed: int) -> ShapeInput:
    from ..data.mesh_io import MeshLoadError, load_mesh
    from ..data.sampling import sample_surface
    try:
        mesh = load_mesh(path)
    except MeshLoadError as exc:
        raise ShapeLoadError(str(exc)) from None
    norm = compute_normalization(mesh.vertices)
    mesh = mesh.copy()
    mesh.vertices = norm.apply(mesh.vertices)
    points, normals, _ = sample_surface(mesh, n_points, seed)
    return ShapeInput(name=path.stem, category=category, source=str(path), kind="mesh",
                      points=points.astype(np.float32), normals=normals.astype(np.float32),
                      normalization=norm, vertices=np.asarray(mesh.vertices, np.float32),
                      faces=np.asarray(mesh.faces, np.int64), flat=is_flat(mesh.vertices))


def _ply_is_point_cloud(path: Path) -> bool:
    """A PLY whose header declares no faces (or zero of them)."""
    try:
        with open(path, "rb") as handle:
            header = b""
            while b"end_header" not in header and len(header) < 65536:
                chunk = handle.readline()
                if not chunk:
                    break
                header += chunk
    except OSError as exc:
        raise ShapeLoadError(f"{path}: cannot be read ({exc.strerror}).") from None
    if not header.startswith(b"ply"):
        raise ShapeLoadError(f"{path}: not a PLY file (no 'ply' header).")
    for line in header.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == b"element" and parts[1] == b"face":
            return int(parts[2]) == 0
    return True


def _read_points(path: Path) -> np.ndarray:
    ext = path.suffix.lower()
    try:
        if ext == ".npy":
            pts = np.load(path, allow_pickle=False)
        elif ext == ".xyz":
            pts = np.loadtxt(path, ndmin=2, comments="#")
        else:
            import trimesh
            cloud = trimesh.load(str(path), file_type="ply", process=False)
            pts = np.asarray(getattr(cloud, "vertices", np.zeros((0, 3))))
    except Exception as exc:  # noqa: BLE001 - parsers raise many kinds; one sentence for the user
        text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise ShapeLoadError(f"{path}: could not be read as a point cloud ({text}).") from None
    pts = np.asarray(pts)
    if pts.ndim != 2 or pts.shape[1] < 3 or not np.issubdtype(pts.dtype, np.number):
        raise ShapeLoadError(f"{path}: a point cloud must be an (N, 3) array of numbers, got shape {pts.shape}.")
    pts = pts[:, :3].astype(np.float64)
    if len(pts) < 3:
        raise ShapeLoadError(f"{path}: the point cloud has fewer than 3 points.")
    if not np.isfinite(pts).all():
        raise ShapeLoadError(f"{path}: some point coordinates are NaN or infinite.")
    return pts


def _from_points(path: Path, pts: np.ndarray, category: str, n_points: int, seed: int) -> ShapeInput:
    try:
        norm = compute_normalization(pts)
    except ValueError as exc:
        raise ShapeLoadError(f"{path}: {exc}.") from None
    if len(pts) > n_points:
        pts = pts[np.random.default_rng(seed).choice(len(pts), n_points, replace=False)]
    return ShapeInput(name=path.stem, category=category, source=str(path), kind="points",
                      points=norm.apply(pts).astype(np.float32), normals=None, normalization=norm,
                      flat=is_flat(pts))
