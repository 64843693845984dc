"""numpy meshes -> VTK/pyvista datasets and actors, with as little per-call overhead as possible
(switching shapes rebuilds every part actor, so this is on the latency path)."""
from __future__ import annotations

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import vtkPolyDataMapper


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals (V, 3) float32 (faces are counter-clockwise seen from outside);
    the viewport and the gallery both shade with these."""
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    flat = np.repeat(n, 3, axis=0)            # each face's normal once per corner
    corners = f.ravel()                       # bincount sums them per vertex (much faster than add.at)
    out = np.stack([np.bincount(corners, weights=flat[:, d], minlength=len(v)) for d in range(3)], axis=1)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32)


def polydata(vertices: np.ndarray, faces: np.ndarray | None, normals: bool = True) -> pv.PolyData:
    """A triangle mesh (or, with no faces, a point cloud) as PolyData, with point normals for smooth
    shading (vertices are never split, so per-vertex and per-face arrays stay aligned)."""
    vertices = np.ascontiguousarray(vertices, dtype=np.float32)
    if faces is None or len(faces) == 0:
        return pv.PolyData(vertices)
    faces = np.asarray(faces, dtype=np.int64)
    poly = vtkPolyData()
    points = vtkPoints()
    points.SetData(numpy_to_vtk(vertices, deep=True))
    poly.SetPoints(points)
    cells = vtkCellArray()
    offsets = np.arange(0, 3 * len(faces) + 1, 3, dtype=np.int64)
    cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True),
                  numpy_to_vtkIdTypeArray(np.ascontiguousarray(faces.ravel()), deep=True))
    poly.SetPolys(cells)
    if normals:
        arr = numpy_to_vtk(vertex_normals(vertices, faces), deep=True)
        arr.SetName("Normals")
        poly.GetPointData().SetNormals(arr)
    return pv.wrap(poly)


def surface_actor(mesh: pv.PolyData) -> pv.Actor:
    """An actor for ``mesh`` with a plain polydata mapper and no scalar colouring."""
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(mesh)
    mapper.ScalarVisibilityOff()
    actor = pv.Actor()
    actor.SetMapper(mapper)
    return actor
