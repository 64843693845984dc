"""The file types shapes are read from: the one list of mesh and point-cloud suffixes, and the
file-dialog filter strings built from it (plain strings in Qt's ``"Label (*.a *.b);;..."`` form,
so the viewer's dialogs and the CLIs' help text name the same suffixes)."""
from __future__ import annotations

from collections.abc import Iterable

# What trainer.data.mesh_io reads (any format trimesh understands works; these are promised).
MESH_EXTENSIONS: tuple[str, ...] = (".obj", ".ply", ".stl", ".off", ".glb", ".gltf")
# What trainer.inference.shapes reads as a bare point cloud; a .ply may hold a mesh or a point cloud.
POINT_EXTENSIONS: tuple[str, ...] = (".xyz", ".npy", ".ply")
SHAPE_EXTENSIONS: tuple[str, ...] = tuple(dict.fromkeys(MESH_EXTENSIONS + POINT_EXTENSIONS))

ALL_FILES = "All files (*)"


def name_filter(label: str, suffixes: Iterable[str]) -> str:
    """One file-dialog filter: ``name_filter("PLY", [".ply"]) == "PLY (*.ply)"``."""
    return f"{label} ({' '.join('*' + s for s in suffixes)})"


def filter_string(filters: Iterable[str]) -> str:
    """Filters joined the way QFileDialog takes them."""
    return ";;".join(filters)


def listed(suffixes: Iterable[str]) -> str:
    """Suffixes for a sentence or a --help text: ``.obj .ply .stl``."""
    return " ".join(suffixes)


# The "Open shapes" dialog: everything, then meshes, then point clouds.
SHAPE_OPEN_FILTER = filter_string([
    name_filter("Shapes", SHAPE_EXTENSIONS), name_filter("Meshes", MESH_EXTENSIONS),
    name_filter("Point clouds", POINT_EXTENSIONS), ALL_FILES,
])

__all__ = ["ALL_FILES", "MESH_EXTENSIONS", "POINT_EXTENSIONS", "SHAPE_EXTENSIONS", "SHAPE_OPEN_FILTER",
           "filter_string", "listed", "name_filter"]
