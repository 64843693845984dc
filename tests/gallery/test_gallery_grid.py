"""The gallery shows N instances, pages through the dataset, and its camera is linked."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.inference import Predictor, load_shape
from trainer.palette import part_colour


@pytest.fixture
def predictor(tiny_checkpoint):
    return Predictor(tiny_checkpoint, device="cpu")


@pytest.fixture
def make_gallery(qtbot):
    from np_viewer.gallery import GalleryWindow
    made = []

    def make(rows=2, cols=2, **kw):
        w = GalleryWindow(rows, cols, auto_update=False, show_dialogs=False, **kw)
        qtbot.addWidget(w)
        w.resize(700, 520)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w
    yield make
    for w in made:
        w.shutdown()
        w.close()
        assert w.view.plotter._closed
        assert w.extension("explore") is None or w.extension("explore").plotter._closed


def _ready(w):
    return w.model.cells and all(c.ready for c in w.model.cells) and w.loader.pending == 0


def _cell_display_centre(w, cell):
    ren = w.view.plotter.renderer
    x, y, z = w.view.renderer.cell_centre(cell)
    ren.SetWorldPoint(x, y, z, 1.0)
    ren.WorldToDisplay()
    dx, dy, _ = ren.GetDisplayPoint()
    return dx, dy


def test_shows_n_instances_per_page_predicted_off_the_gui_thread(make_gallery, predictor, tiny_dataset, qtbot):
    w = make_gallery(2, 2, predictor=predictor, dataset=tiny_dataset)
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    cells = w.model.cells
    assert len(cells) == 4 and w.model.page_count == 2      # 8 shapes: 6 humanoids, 2 toys
    assert [c.entry.name for c in cells] == ["h00", "h01", "h02", "h03"]
    for cell in range(4):
        assert len(w.view.renderer.actors(cell)) == predictor.n_primitives
        assert w.view.renderer.label(cell) == cells[cell].entry.name
    # the batched prediction is the per-shape prediction
    one = predictor.predict(load_shape(cells[2].entry.path), 3)
    for (v, f), (v2, f2) in zip(one.meshes, cells[2].meshes):
        np.testing.assert_allclose(v, v2, atol=1e-5)
        np.testing.assert_array_equal(f, f2)
    w.act_next.trigger()
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    assert [c.entry.name for c in w.model.cells] == ["h04", "h05", "t00", "t01"]
    assert w.page_label.text().strip() == "2 / 2"
    w.view.render_now()
    for cell in range(4):      # the actors (reused from page 1) now hold page 2's parts
        for k, actor in w.view.renderer.actors(cell).items():
            np.testing.assert_allclose(actor.mapper.dataset.points, w.model.cells[cell].meshes[k][0], atol=1e-6)
    w.category_box.setCurrentText("humanoid")                      # one category: 6 shapes
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    assert w.model.page_count == 2 and w.model.page == 0
    w.act_next.trigger()
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    assert [c.entry.name for c in w.model.cells] == ["h04", "h05"]
    assert set(c for c, _ in w.view.renderer._actors) == {0, 1}   # the empty cells hold nothing
    assert w.view.renderer.label(2) == ""
    w.cols_box.setValue(3)   # N = 2 x 3: every humanoid on one page
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    assert len(w.model.cells) == 6 and w.model.page_count == 1
    assert len(w.model.cells[0].meshes[0][0]) == 642            # mesh level 3
    w.resolution_box.setValue(1)
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    assert {len(v) for c in w.model.cells for v, _ in c.meshes} == {42}
    assert all(a.mapper.dataset.n_points == 42 for a in w.view.renderer.actors(5).values())


def _colour_centroid(img, colour):
    from np_viewer.render.pixels import colour_mask
    mask = colour_mask(img, colour)
    ys, xs = np.nonzero(mask)
    return (xs.mean(), ys.mean(), int(mask.sum())) if len(xs) else None


def test_rotating_one_instance_turns_them_all(make_gallery, predictor, tiny_dataset, qtbot):
    """Same shape in every cell: after a drag in the last cell every cell shows the same new view."""
    w = make_gallery(2, 2)
    meshes = predictor.predict(load_shape(str(sorted(tiny_dataset.glob("humanoid/h00"))[0])), 2).meshes
    w.set_instance_meshes([meshes] * 4)
    view = w.view
    half = view.cell_pixels() / 2

    def crops():
        img = view.screenshot()
        h = img.shape[0]
        out = []
        for cell in range(4):
            x, y = _cell_display_centre(w, cell)
            r0, c0 = int(h - y - half), int(x - half)
            out.append(img[max(r0, 0):int(r0 + 2 * half), max(c0, 0):int(c0 + 2 * half)])
        return out

    def centroids(cs):
        return [_colour_centroid(c, part_colour(1)) for c in cs]

    before = centroids(crops())
    # a left drag inside cell 3, through the interactor like a user's mouse
    iren = view.plotter.iren.interactor
    x, y = (int(v) for v in _cell_display_centre(w, 3))
    iren.SetEventInformation(x, y, 0, 0, "\0", 0)
    iren.InvokeEvent("LeftButtonPressEvent")
    for step in range(1, 6):
        iren.SetEventInformation(x + 12 * step, y + 4 * step, 0, 0, "\0", 0)
        iren.InvokeEvent("MouseMoveEvent")
    iren.InvokeEvent("LeftButtonReleaseEvent")
    # every instance is posed with the linked camera's rotation, at its own cell
    rot = view.renderer.view_rotation()
    assert not np.allclose(rot, np.eye(3))
    for cell in range(4):
        m = view.renderer.instance_matrix(cell)
        np.testing.assert_allclose(m[:3, :3], rot, atol=1e-9)
        np.testing.assert_allclose(m[:3, 3], view.renderer.cell_centre(cell), atol=1e-9)
        for actor in view.renderer.actors(cell).values():
            np.testing.assert_allclose(_matrix(actor.GetMatrix()), m, atol=1e-9)
    after = centroids(crops())
    assert all(c is not None for c in before + after)
    # the view changed, and it changed the same way in every cell (pixels, not just matrices)
    assert max(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in zip(after, before)) > 3
    for c in after[1:]:
        assert abs(c[0] - after[0][0]) < 2.0 and abs(c[1] - after[0][1]) < 2.0
        assert abs(c[2] - after[0][2]) <= 0.05 * after[0][2] + 5
    # and a camera change made in code reaches every instance too
    view.camera.Azimuth(40)
    for cell in range(4):
        np.testing.assert_allclose(view.renderer.instance_matrix(cell)[:3, :3], view.renderer.view_rotation(),
                                   atol=1e-9)


def _matrix(m):
    return np.array([[m.GetElement(r, c) for c in range(4)] for r in range(4)])


def test_click_highlights_and_double_click_opens_in_main_view(make_gallery, predictor, tiny_dataset, qtbot):
    w = make_gallery(2, 2, predictor=predictor, dataset=tiny_dataset)
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    iren = w.view.plotter.iren.interactor
    x, y = (int(v) for v in _cell_display_centre(w, 2))
    iren.SetEventInformation(x, y, 0, 0, "\0", 0)
    iren.InvokeEvent("LeftButtonPressEvent")
    iren.InvokeEvent("LeftButtonReleaseEvent")
    assert w.model.highlight == 2
    with qtbot.waitSignal(w.open_instance, timeout=2000) as sig:
        w.act_open.trigger()
    assert sig.args == [w.model.cells[2].entry.path]
    x, y = (int(v) for v in _cell_display_centre(w, 1))
    iren.SetEventInformation(x, y, 0, 0, "\0", 1)   # repeat count 1: a double-click
    with qtbot.waitSignal(w.open_instance, timeout=2000) as sig:
        iren.InvokeEvent("LeftButtonPressEvent")
    assert sig.args == [w.model.cells[1].entry.path]


def test_inside_the_model_opens_on_the_highlighted_instance(make_gallery, predictor, tiny_dataset, qtbot):
    w = make_gallery(2, 2, predictor=predictor, dataset=tiny_dataset)
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    w.model.set_highlight(1)
    w.act_explore.trigger()
    ex = w.extension("explore")
    assert ex is not None and ex.isVisible()
    qtbot.waitUntil(lambda: ex.part_actor(0) is not None and not ex.busy, timeout=30000)
    assert (ex.combo_a.currentIndex(), ex.combo_b.currentIndex()) == (1, 2)
    assert len([n for n in ex.plotter.actors if n.startswith("part-")]) == predictor.n_primitives


def test_an_unreadable_shape_fails_alone(make_gallery, predictor, tiny_dataset, qtbot, tmp_path):
    from trainer.inference import ShapeRef
    bad = tmp_path / "broken.obj"
    bad.write_text("this is not a mesh\n")
    good = [ShapeRef(str(tiny_dataset / "humanoid" / n), n) for n in ("h00", "h01", "h02")]
    w = make_gallery(2, 2, predictor=predictor)
    w.set_entries([good[0], ShapeRef(str(bad), "broken"), *good[1:]])
    qtbot.waitUntil(lambda: w.loader.pending == 0 and all(c.ready or c.error for c in w.model.cells),
                    timeout=60000)
    cells = w.model.cells
    assert cells[1].error and "broken.obj" in cells[1].error and not w.view.renderer.actors(1)
    assert w.view.renderer.label(1) == "broken (failed)"
    assert all(cells[i].ready and len(w.view.renderer.actors(i)) == predictor.n_primitives for i in (0, 2, 3))
    assert "1 failed" in w.status_label.text()


def test_predict_batch_equals_one_predict_per_shape(predictor, tiny_dataset, monkeypatch):
    import np_viewer.gallery.predict as gp
    shapes = [load_shape(str(p)) for p in sorted((tiny_dataset / "humanoid").iterdir())[:5]]
    expected = [predictor.predict(s, 2) for s in shapes]
    for per_pass in (1, 2, 100):          # flow passes of 2 shapes leave a remainder of 1
        monkeypatch.setattr(gp, "CPU_VERTICES_PER_PASS", per_pass * gp.vertices_per_mesh(2))
        got = gp.predict_batch(predictor, shapes, 2)
        assert len(got) == 5
        for g, e in zip(got, expected):
            assert g.n_primitives == e.n_primitives and g.resolution == 2
            for (v, f), (ve, fe) in zip(g.meshes, e.meshes):
                np.testing.assert_allclose(v, ve, atol=1e-5)
                np.testing.assert_array_equal(f, fe)
            torch.testing.assert_close(g.features, e.features)


def test_a_bad_dataset_path_reports_one_error_and_keeps_the_page(make_gallery, predictor, tiny_dataset, qtbot,
                                                                tmp_path):
    w = make_gallery(2, 2, predictor=predictor, dataset=tiny_dataset)
    qtbot.waitUntil(lambda: _ready(w), timeout=60000)
    before = [c.entry.path for c in w.model.cells]
    with qtbot.waitSignal(w.error, timeout=2000) as sig:
        w.open_dataset(tmp_path / "no-such-folder")
    assert sig.args[0] == "Cannot open shapes" and "no-such-folder" in sig.args[1]
    with qtbot.waitSignal(w.error, timeout=2000) as sig:
        w.open_dataset(tiny_dataset, category="airplane")
    assert "airplane" in sig.args[1] and "humanoid" in sig.args[1]
    assert [c.entry.path for c in w.model.cells] == before and all(c.ready for c in w.model.cells)
