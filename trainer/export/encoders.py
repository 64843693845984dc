"""Encoders of the export formats, built on trimesh's exporters: each turns parts into
``{path: bytes}`` without touching the disk. :mod:`trainer.export.formats` registers them.

Every encoder takes ``(parts, path, bake)``; ``bake`` (apply each part's transform to its
vertices) is a choice for the scene formats only: OBJ, PLY and STL have no transforms and are
always baked."""
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

from .parts import ExportPart, concatenate, safe_name, unique_names

_HEADER = "Neural Parts Studio"


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


def _named_scene(parts: Sequence[ExportPart], bake: bool) -> tuple[trimesh.Scene, object]:
    names = unique_names([p.name or "part" for p in parts])
    return _scene(parts, bake, names), _exact_colours(parts, names)


def encode_glb(parts: Sequence[ExportPart], path: Path, bake: bool) -> dict[Path, bytes]:
    scene, fix = _named_scene(parts, bake)
    return {path: export_glb(scene, tree_postprocessor=fix)}


def encode_gltf(parts: Sequence[ExportPart], path: Path, bake: bool) -> dict[Path, bytes]:
    scene, fix = _named_scene(parts, bake)
    files = export_gltf(scene, merge_buffers=True, embed_buffers=True, tree_postprocessor=fix)
    return {path: files["model.gltf"]}


def encode_obj(parts: Sequence[ExportPart], path: Path, bake: bool) -> dict[Path, bytes]:
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


def encode_ply(parts: Sequence[ExportPart], path: Path, bake: bool) -> dict[Path, bytes]:
    return {path: export_ply(_colour_mesh(parts), encoding="binary", vertex_normal=False)}


def encode_stl(parts: Sequence[ExportPart], path: Path, bake: bool) -> dict[Path, bytes]:
    return {path: export_stl(_colour_mesh(parts))}
