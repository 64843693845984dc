"""The gallery's document (no display needed): grid, paging, results, shared styles."""
from __future__ import annotations

import numpy as np
import pytest

from trainer.inference import ShapeRef
from np_viewer.gallery.model import GalleryModel, parse_grid
from np_viewer.gallery.render import outward_faces
from trainer.palette import part_colour


def _entries(n):
    return [ShapeRef(f"/s/{i}", f"s{i}") for i in range(n)]


def test_parse_grid():
    assert parse_grid("4x4") == (4, 4) and parse_grid("3X5") == (3, 5)
    for bad in ("4", "ax4", "0x4", "4x9", ""):
        with pytest.raises(ValueError, match="grid|rows|cols"):
            parse_grid(bad)


def test_paging_and_grid_changes_keep_the_first_instance_in_view():
    m = GalleryModel(4, 4)
    events = []
    m.layout_changed.connect(lambda: events.append("layout"))
    m.set_entries(_entries(37))
    assert m.page_count == 3 and [c.index for c in m.cells] == list(range(16))
    m.step_page(2)
    assert m.page == 2 and [c.index for c in m.cells] == list(range(32, 37))
    m.step_page(5)                     # clamped
    assert m.page == 2
    m.set_page(1)
    m.set_grid(2, 3)                   # first instance shown was 16: now page 16 // 6 = 2
    assert m.page == 2 and m.cells[0].index == 12 and len(m.cells) == 6
    assert m.show_entry(30) == 0 and m.page == 5 and m.highlight == 0
    with pytest.raises(IndexError):
        m.show_entry(37)
    assert events.count("layout") >= 5


def test_results_land_in_their_cell_and_create_shared_styles():
    m = GalleryModel(2, 2)
    m.set_entries(_entries(6))
    changed = []
    m.instance_changed.connect(changed.append)
    mesh = (np.zeros((3, 3), np.float32), np.array([[0, 1, 2]]))
    m.set_result(5, [mesh] * 3)        # not on this page: ignored
    assert changed == [] and m.n_primitives == 0
    m.set_result(2, [mesh] * 3)
    assert changed == [2] and m.cells[2].ready and m.n_primitives == 3
    assert [m.style(k).colour for k in range(3)] == [pytest.approx(part_colour(k)) for k in range(3)]
    m.set_visible(1, False)
    m.set_colour(0, (0.0, 0.0, 0.0))
    m.set_result(3, [mesh] * 3)        # more results keep the user's styles
    assert not m.style(1).visible and m.style(0).colour == (0.0, 0.0, 0.0)
    m.solo(2)
    assert [m.style(k).visible for k in range(3)] == [False, False, True]
    m.solo(2)
    assert [m.style(k).visible for k in range(3)] == [True, False, True]
    m.set_result(0, None, "unreadable")
    assert m.cells[0].error == "unreadable" and not m.cells[0].ready


def test_outward_faces_rewinds_inside_out_meshes():
    import trimesh
    sphere = trimesh.creation.icosphere(subdivisions=1)
    v, f = np.asarray(sphere.vertices), np.asarray(sphere.faces)
    np.testing.assert_array_equal(outward_faces(v, f), f)
    flipped = f[:, ::-1]
    fixed = outward_faces(v, flipped)
    assert trimesh.Trimesh(v, fixed, process=False).volume > 0
