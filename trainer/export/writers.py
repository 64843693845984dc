"""Mesh and scene writers (OBJ+MTL, PLY, STL, GLB, glTF) built on trimesh's exporters.

``encode_parts`` turns parts into ``{path: bytes}`` without touching the disk;
``export_parts`` writes that atomically (see :mod:`trainer.export.atomic`).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trimesh
from trimesh.exchange.gltf import export_glb, export_gltf
from trimesh.exchange.obj import export_obj
from trimesh.exchange.ply import export_ply
from trimesh.exchange.stl import export_stl
from trimesh.visual import ColorVisuals, TextureVisuals
from trimesh.visual.material import PBRMaterial

from .atomic import write_files
from .errors import ExportError
from .parts import DEFAULT_COLOUR, ExportPart, concatenate, safe_name, unique_names

FORMATS = ("obj", "ply", "stl", "glb", "gltf")
_HEADER = "Neural Parts Studio"


def format_of(path: Path | str, format: str | None = None) -> str:
    """The export format: ``format`` if given, else the file suffix."""
    fmt = (format or Path(path).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ExportError(
            f"Cannot export to {Path(path).name}: the format must be one of {', '.join(FORMATS)}."
        )
    return fmt


def part_paths(parts: Sequence[ExportPart], path: Path | str, format: str | None = None) -> list[Path]:
    """File names used by ``per_part=True``: ``<stem>_<part name>.<ext>`` beside ``path``."""
    path = Path(path)
    ext = format_of(path, format)
    names = unique_names([p.name for p in parts], safe_name)
    return [path.with_name(f"{path.stem}_{n}.{ext}") for n in names]


def _rgba(part: ExportPart) -> list[float]:
    return [*part.colour, float(part.opacity)]


def _u8(rgba: Sequence[float]) -> np.ndarray:
    return np.clip(np.round(np.asarray(rgba, dtype=np.float64) * 255), 0, 255).astype(np.uint8)


def _material_mesh(vertices: np.ndarray, faces: np.ndarray, part: ExportPart, name: str) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    material = PBRMaterial(
        name=name,
        baseColorFactor=_rgba(part),
        alphaMode="BLEND" if part.opacity < 1.0 else None,
        metallicFactor=0.0,
        roughnessFactor=0.8,
    )
    mesh.visual = TextureVisuals(material=material)
    return mesh


def _scene(parts: Sequence[ExportPart], bake: bool, names: list[str]) -> trimesh.Scene:
    scene = trimesh.Scene()
    for part, name in zip(parts, names):
        if bake:
            mesh = _material_mesh(part.world_vertices(), part.world_faces(), part, name)
            transform = np.eye(4)
        else:
            mesh = _material_mesh(part.vertices, part.faces, part, name)
            transform = part.transform
        scene.add_geometry(mesh, node_name=name, geom_name=name, transform=transform)
    return scene


def _exact_colours(parts: Sequence[ExportPart], names: list[str]):
    # trimesh stores material colours as uint8; put the exact float RGBA back in the file.
    exact = {n: _rgba(p) for p, n in zip(parts, names)}

    def fix(tree: dict) -> None:
        for mat in tree.get("materials", []):
            if mat.get("name") in exact:
                mat.setdefault("pbrMetallicRoughness", {})["baseColorFactor"] = exact[mat["name"]]

    return fix


def _encode_gltf_scene(parts: Sequence[ExportPart], fmt: str, bake: bool) -> bytes:
    names = unique_names([p.name or "part" for p in parts])
    scene = _scene(parts, bake, names)
    fix = _exact_colours(parts, names)
    if fmt == "glb":
        return export_glb(scene, tree_postprocessor=fix)
    files = export_gltf(scene, merge_buffers=True, embed_buffers=True, tree_postprocessor=fix)
    return files["model.gltf"]


def _encode_obj(parts: Sequence[ExportPart], path: Path) -> dict[Path, bytes]:
    # OBJ has no transforms: vertices are always baked. Names become OBJ-safe tokens.
    names = unique_names([p.name for p in parts], safe_name)
    mtl_name = f"{path.stem}.mtl"
    text, extra = export_obj(
        _scene(parts, True, names), include_normals=False, return_texture=True,
        mtl_name=mtl_name, header=_HEADER,
    )
    out = {path: text.encode("utf-8")}
    for fname, data in extra.items():
        out[path.with_name(fname)] = data
    return out


def _colour_mesh(parts: Sequence[ExportPart]) -> trimesh.Trimesh:
    vertices, faces, owner = concatenate(parts)
    colours = np.stack([_u8(_rgba(p)) for p in parts]) if parts else np.zeros((0, 4), np.uint8)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    mesh.visual = ColorVisuals(mesh, vertex_colors=colours[owner])
    return mesh


def _encode_one(parts: Sequence[ExportPart], path: Path, fmt: str, bake: bool) -> dict[Path, bytes]:
    if fmt in ("glb", "gltf"):
        return {path: _encode_gltf_scene(parts, fmt, bake)}
    if fmt == "obj":
        return _encode_obj(parts, path)
    mesh = _colour_mesh(parts)
    if fmt == "ply":
        return {path: export_ply(mesh, encoding="binary", vertex_normal=False)}
    return {path: export_stl(mesh)}


def encode_parts(
    parts: Sequence[ExportPart],
    path: Path | str,
    *,
    format: str | None = None,
    per_part: bool = False,
    bake_transforms: bool = False,
) -> dict[Path, bytes]:
    """Encode ``parts`` to ``{file path: bytes}`` without writing anything.

    One file by default: OBJ gets one object (``o``) and material per part plus an MTL file,
    GLB/glTF one scene with a node named after each part, PLY and STL one mesh (PLY with
    per-vertex part colours). ``per_part=True`` writes one file per part instead
    (:func:`part_paths`). ``bake_transforms`` matters for GLB/glTF only: True applies each
    transform to the vertices, False keeps it as the node's matrix; the other formats
    cannot store transforms and are always baked.
    """
    path = Path(path)
    fmt = format_of(path, format)
    if not parts:
        raise ExportError("There is nothing to export: no parts were given.")
    if per_part:
        out: dict[Path, bytes] = {}
        for part, ppath in zip(parts, part_paths(parts, path, fmt)):
            out.update(_encode_one([part], ppath, fmt, bake_transforms))
        return out
    return _encode_one(parts, path, fmt, bake_transforms)


def export_parts(
    parts: Sequence[ExportPart],
    path: Path | str,
    *,
    format: str | None = None,
    per_part: bool = False,
    bake_transforms: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``parts`` (see :func:`encode_parts`) atomically; returns the files written.

    Raises :class:`ExportExistsError` if any target exists and ``overwrite`` is False, and
    :class:`ExportError` with one sentence for unwritable paths; nothing is left half-written.
    """
    files = encode_parts(parts, path, format=format, per_part=per_part,
                         bake_transforms=bake_transforms)
    return write_files(files, overwrite=overwrite)


def export_mesh(
    vertices: np.ndarray,
    faces: np.ndarray,
    path: Path | str,
    *,
    name: str = "mesh",
    colour: tuple[float, float, float] = DEFAULT_COLOUR,
    format: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write a single mesh (e.g. a union) in any supported format."""
    part = ExportPart(name=name, vertices=vertices, faces=faces, colour=colour)
    return export_parts([part], path, format=format, overwrite=overwrite)
