"""Reading mesh files into one validated ``trimesh.Trimesh``.

Every format trimesh understands is accepted; the ones we promise are OBJ, PLY, STL, OFF,
GLB and GLTF. Scenes with several objects are merged (with their node transforms applied),
textures and UV seams are dropped, and vertices at the same position are welded so that
a textured but closed mesh is recognised as closed.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import trimesh

from trainer.file_types import MESH_EXTENSIONS

# Above this many faces a file is refused rather than risk exhausting memory in a worker.
DEFAULT_MAX_FACES = 5_000_000
# Files bigger than max_faces * this many bytes are refused before parsing (no format needs more).
BYTES_PER_FACE_LIMIT = 400


FLAT_NOTE = "flat: no inside"  # the reason np-prepare gives, and np-infer's warning, for such shapes


class MeshLoadError(Exception):
    """A mesh file could not be turned into a usable triangle mesh (message names the file)."""


def is_mesh_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in MESH_EXTENSIONS


def load_mesh(path: str | os.PathLike, max_faces: int = DEFAULT_MAX_FACES) -> trimesh.Trimesh:
    """Load ``path`` as one triangle mesh, or raise ``MeshLoadError`` with one clear sentence."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise MeshLoadError(f"{name}: no such file.")
    if path.stat().st_size == 0:
        raise MeshLoadError(f"{name}: the file is empty.")
    size = path.stat().st_size
    if size > max_faces * BYTES_PER_FACE_LIMIT:
        raise MeshLoadError(f"{name}: {size / 1e9:.1f} GB is too large (limit {max_faces} faces).")
    ext = path.suffix.lower()
    if ext not in MESH_EXTENSIONS:
        raise MeshLoadError(
            f"{name}: unsupported extension '{ext}' (expected one of {', '.join(MESH_EXTENSIONS)})."
        )
    try:
        loaded = trimesh.load(str(path), file_type=ext[1:], process=False, skip_materials=True)
    except Exception as exc:  # trimesh raises many kinds for corrupt files
        if ext == ".gltf" and isinstance(exc, (KeyError, FileNotFoundError)):  # its .bin is missing
            raise MeshLoadError(f"{name}: a file it refers to is missing or unreadable ({_short(exc)}).") from None
        raise MeshLoadError(f"{name}: not a readable {ext[1:].upper()} file: {_diagnose(path, ext)}.") from None
    mesh = _as_single_mesh(loaded, name)
    return validate_mesh(mesh, name, max_faces=max_faces)


def validate_mesh(mesh: trimesh.Trimesh, name: str, max_faces: int = DEFAULT_MAX_FACES) -> trimesh.Trimesh:
    """Check geometry is usable and return a welded copy; raise ``MeshLoadError`` otherwise."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces) == 0 or len(vertices) == 0:
        raise MeshLoadError(f"{name}: the file contains no triangles.")
    if len(faces) > max_faces:
        raise MeshLoadError(f"{name}: {len(faces)} faces is more than the limit of {max_faces}.")
    if not np.isfinite(vertices).all():
        raise MeshLoadError(f"{name}: some vertex coordinates are NaN or infinite.")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshLoadError(f"{name}: faces refer to vertices that do not exist.")
    extent = float(np.ptp(vertices[np.unique(faces)], axis=0).max())
    if not extent > 0.0:
        raise MeshLoadError(f"{name}: all vertices are at the same position.")
    if not np.isfinite(extent) or extent > 1e30:
        raise MeshLoadError(f"{name}: coordinates are too large to process.")
    # process=True welds duplicate vertices and drops degenerate/duplicate faces.
    welded = trimesh.Trimesh(vertices=vertices, faces=faces, process=True, validate=True)
    if len(welded.faces) == 0 or not welded.area > 0.0:
        raise MeshLoadError(f"{name}: the surface has zero area.")
    welded.remove_unreferenced_vertices()
    return welded


def is_flat(vertices: np.ndarray, tolerance: float = 1e-6) -> bool:
    """All points in one plane (up to ``tolerance`` of the extent): a surface with no inside."""
    pts = np.asarray(vertices, dtype=np.float64)
    if len(pts) < 4:
        return True
    spread = np.linalg.svd(pts - pts.mean(axis=0), compute_uv=False)
    return bool(spread[-1] <= tolerance * spread[0])


def _as_single_mesh(loaded: object, name: str) -> trimesh.Trimesh:
    if isinstance(loaded, trimesh.Scene):
        geoms = []
        for node in loaded.graph.nodes_geometry:
            transform, geom_name = loaded.graph[node]
            geom = loaded.geometry.get(geom_name)
            if isinstance(geom, trimesh.Trimesh) and len(geom.faces) > 0:
                geom = geom.copy()
                geom.apply_transform(transform)
                geoms.append(geom)
        if not geoms:
            raise MeshLoadError(f"{name}: the file contains no triangles.")
        return trimesh.util.concatenate(geoms) if len(geoms) > 1 else geoms[0]
    if isinstance(loaded, trimesh.Trimesh):
        return loaded
    if isinstance(loaded, (list, tuple)):
        meshes = [m for m in loaded if isinstance(m, trimesh.Trimesh) and len(m.faces) > 0]
        if meshes:
            return trimesh.util.concatenate(meshes)
    raise MeshLoadError(f"{name}: the file contains no triangles.")


def _diagnose(path: Path, ext: str) -> str:
    """What is wrong with a file the parser rejected, in the format's own terms (never the parser's)."""
    try:
        head = path.read_bytes()[: 1 << 20]
    except OSError as exc:
        return f"it cannot be read ({exc.strerror})"
    if ext == ".off":
        return _diagnose_off(head.decode("utf-8", "replace"))
    if ext == ".ply":
        return _diagnose_ply(head)
    return "it is damaged or not in this format"


def _diagnose_off(text: str) -> str:
    rows = [line.split("#")[0].split() for line in text.splitlines()]
    rows = [r for r in rows if r]
    if not rows or not rows[0][0].upper().endswith("OFF"):
        return "it does not start with 'OFF'"
    counts = rows[0][1:] or (rows[1] if len(rows) > 1 else [])
    body = rows[1:] if rows[0][1:] else rows[2:]
    try:
        n_vertices, n_faces = int(counts[0]), int(counts[1])
    except (IndexError, ValueError):
        return "the line after 'OFF' must give the vertex and face counts as whole numbers"
    for i, row in enumerate(body[:n_vertices]):
        try:
            [float(x) for x in row[:3]]
        except ValueError:
            return f"vertex {i + 1} has a coordinate that is not a number"
        if len(row) < 3:
            return f"vertex {i + 1} has {len(row)} coordinates instead of 3"
    if len(body) < n_vertices + n_faces:
        return f"the header promises {n_vertices} vertices and {n_faces} faces but the file ends early (truncated?)"
    for i, row in enumerate(body[n_vertices:n_vertices + n_faces]):
        try:
            idx = [int(x) for x in row]
        except ValueError:
            return f"face {i + 1} has an index that is not a whole number"
        if len(idx) < 4 or len(idx) < 1 + idx[0]:
            return f"face {i + 1} lists fewer vertices than it says"
        if any(not 0 <= k < n_vertices for k in idx[1:1 + idx[0]]):
            return f"face {i + 1} refers to a vertex that does not exist"
    return "it is damaged or not in this format"


def _diagnose_ply(head: bytes) -> str:
    if not head.startswith(b"ply"):
        return "it does not start with 'ply'"
    end = head.find(b"end_header")
    if end < 0:
        return "its header never ends (no 'end_header' line)"
    header = head[:end].decode("ascii", "replace").splitlines()
    if not any(line.startswith("format ") for line in header):
        return "its header has no 'format' line"
    return "its data does not match what its header declares (truncated or damaged?)"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().strip("'\"").splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
