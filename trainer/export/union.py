"""Watertight union of parts as one mesh, with manifold3d's exact booleans."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import manifold3d as m3
import numpy as np
import trimesh

from .errors import ExportError
from .parts import DEFAULT_COLOUR, ExportPart


@dataclass(eq=False)
class UnionResult:
    """The union mesh and a report on its validity.

    ``is_manifold`` is True when every part was a valid closed manifold and manifold3d
    reported no error for the result; ``is_watertight`` is trimesh's independent check of
    the output (every edge shared by exactly two consistently wound faces).
    ``problems`` holds one sentence per thing that went wrong (e.g. a part left out).
    """

    vertices: np.ndarray
    faces: np.ndarray
    is_manifold: bool
    is_watertight: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.is_manifold and self.is_watertight and not self.problems

    def as_part(self, name: str = "union", colour: tuple[float, float, float] = DEFAULT_COLOUR) -> ExportPart:
        return ExportPart(name=name, vertices=self.vertices, faces=self.faces, colour=colour)


def _to_manifold(part: ExportPart) -> m3.Manifold:
    mesh = m3.Mesh64(
        vert_properties=np.ascontiguousarray(part.world_vertices(), dtype=np.float64),
        tri_verts=np.ascontiguousarray(part.world_faces(), dtype=np.uint64),
    )
    solid = m3.Manifold(mesh)
    if solid.status() != m3.Error.NoError:
        # Meshes read from STL etc. repeat vertices per face; welding equal positions may fix it.
        mesh.merge()
        solid = m3.Manifold(mesh)
    return solid


def union_parts(parts: Sequence[ExportPart]) -> UnionResult:
    """Boolean union of ``parts`` (transforms applied) as one closed mesh.

    A part that is not a closed manifold mesh cannot enter the boolean: it is left out and
    named in ``problems``. Raises :class:`ExportError` if no part is usable.
    """
    solids, problems = [], []
    for p in parts:
        if len(p.faces) == 0:
            problems.append(f"Part {p.name!r} has no faces and was left out of the union.")
            continue
        if not np.all(np.isfinite(p.world_vertices())):
            problems.append(f"Part {p.name!r} has non-finite vertices and was left out of the union.")
            continue
        s = _to_manifold(p)
        if s.status() != m3.Error.NoError:
            problems.append(
                f"Part {p.name!r} is not a closed manifold mesh ({s.status().name}) "
                "and was left out of the union."
            )
            continue
        solids.append(s)
    if not solids:
        raise ExportError("Cannot build a union: none of the parts is a closed manifold mesh.")
    result = m3.Manifold.batch_boolean(solids, m3.OpType.Add) if len(solids) > 1 else solids[0]
    status_ok = result.status() == m3.Error.NoError
    if not status_ok:
        problems.append(f"The union is not a valid manifold ({result.status().name}).")
    out = result.to_mesh64()
    vertices = np.asarray(out.vert_properties, dtype=np.float64)[:, :3]
    faces = np.asarray(out.tri_verts, dtype=np.int64).reshape(-1, 3)
    if len(faces) == 0:
        problems.append("The union is empty.")
    check = trimesh.Trimesh(vertices, faces, process=False)
    watertight = bool(len(faces) > 0 and check.is_watertight and check.is_winding_consistent)
    if len(faces) and not watertight:
        problems.append("The union mesh is not watertight.")
    return UnionResult(vertices, faces, is_manifold=status_ok and len(solids) == len(parts),
                       is_watertight=watertight, problems=problems)
