"""Render-side helpers that need no window: meshes, thumbnails, pixel colour counting."""
from __future__ import annotations

import numpy as np
import trimesh

from np_viewer.render.meshes import polydata, vertex_normals
from np_viewer.render.pixels import colour_counts
from np_viewer.render.thumbnails import render_thumbnail


def test_polydata_keeps_vertices_faces_and_outward_normals():
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.3)
    mesh = polydata(sphere.vertices, sphere.faces)
    assert mesh.n_points == len(sphere.vertices) and mesh.n_cells == len(sphere.faces)
    np.testing.assert_allclose(mesh.points, sphere.vertices, atol=1e-6)
    normals = np.asarray(mesh.point_data["Normals"])
    radial = sphere.vertices / np.linalg.norm(sphere.vertices, axis=1, keepdims=True)
    assert (np.sum(normals * radial, axis=1) > 0.95).all()
    np.testing.assert_allclose(vertex_normals(sphere.vertices, sphere.faces), normals, atol=1e-6)
    cloud = polydata(sphere.vertices, None)
    assert cloud.n_points == len(sphere.vertices) and cloud.n_cells == len(sphere.vertices)


def test_thumbnail_draws_the_shape_on_white():
    pts = trimesh.creation.box(extents=(1, 0.4, 0.2)).sample(3000, seed=0)
    img = render_thumbnail(pts, None, size=64)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    drawn = (img != 255).any(-1)
    assert 0.05 < drawn.mean() < 0.9                     # something drawn, background left
    assert (render_thumbnail(np.zeros((0, 3)), None, 32) == 255).all()


def test_colour_counts_separates_shaded_palette_colours():
    img = np.full((10, 30, 3), 240, np.uint8)
    img[:, :10] = (np.array([0.306, 0.475, 0.655]) * 255 * 0.6).astype(np.uint8)   # dark blue
    img[:, 10:20] = (np.array([0.949, 0.557, 0.169]) * 255).astype(np.uint8)        # orange
    counts = colour_counts(img, [(0.306, 0.475, 0.655), (0.949, 0.557, 0.169), (0.882, 0.341, 0.349)])
    assert counts == [100, 100, 0]
