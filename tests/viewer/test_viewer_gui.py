"""pytest-qt tests of the viewer window, looking at rendered pixels."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from np_viewer.render.pixels import colour_counts
from trainer.palette import part_colour

MIN_VISIBLE = 150      # pixels; a part drawn in a 360x280 view covers thousands


def counts(window, doc) -> list[int]:
    img = window.viewport.screenshot()
    return colour_counts(img, [p.colour for p in doc.assembly])


def test_every_part_is_drawn_in_its_palette_colour(make_window):
    window, doc, _ = make_window()
    assert [p.colour for p in doc.assembly] == [part_colour(k) for k in range(len(doc.assembly))]
    c = counts(window, doc)
    assert all(n > MIN_VISIBLE for n in c), c


def test_toggling_a_part_changes_the_pixels_of_its_colour(make_window, qtbot):
    window, doc, _ = make_window()
    before = counts(window, doc)
    part = doc.assembly[1]
    box = window.parts_panel.visibility_box(part)
    assert box.isChecked()
    box.click()                      # through the parts panel, as a user would
    assert part.visible is False
    hidden = counts(window, doc)
    assert before[1] > MIN_VISIBLE and hidden[1] < 0.02 * before[1], (before, hidden)
    box.click()
    shown = counts(window, doc)
    assert abs(shown[1] - before[1]) <= 0.02 * before[1] + 5, (before, shown)


def test_solo_shows_only_that_part_and_again_restores(make_window):
    window, doc, _ = make_window()
    doc.assembly[3].visible = False          # a hidden part must stay hidden after restore
    before = counts(window, doc)
    target = doc.assembly[0]
    window.parts_panel.solo_button(target).click()
    solo = counts(window, doc)
    assert solo[0] > MIN_VISIBLE and all(n < 5 for n in solo[1:]), solo
    assert window.parts_panel.solo_button(target).isChecked()
    window.parts_panel.solo_button(target).click()
    after = counts(window, doc)
    assert [p.visible for p in doc.assembly] == [True, True, True, False]
    assert after[3] < 5 and all(abs(a - b) <= 0.02 * b + 5 for a, b in zip(after, before)), (before, after)


def test_opacity_slider_makes_a_part_translucent(make_window):
    window, doc, _ = make_window()
    part = doc.assembly[2]
    window.parts_panel.opacity_slider(part).setValue(30)
    assert part.opacity == pytest.approx(0.3)
    assert window.viewport.renderer.part_actor(part).prop.opacity == pytest.approx(0.3)


def test_stepping_to_another_shape_runs_inference_and_replaces_the_actors(make_window, qtbot):
    window, doc, session = make_window()
    calls = []
    original = session.predictor.predict
    session.predictor.predict = lambda *a, **k: calls.append(a[0].name) or original(*a, **k)
    old_actors = window.viewport.renderer.part_actors()
    old_vertices = [p.vertices.copy() for p in doc.assembly]
    window.browser.view.setFocus()
    qtbot.keyClick(window.browser.view, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.Key.Key_Down)
    assert doc.library.current == 1
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == doc.library.entries[1].name and not session.busy,
                    timeout=30000)
    assert calls == [doc.library.entries[1].name]            # inference ran, in the worker
    new_actors = window.viewport.renderer.part_actors()
    assert len(new_actors) == len(old_actors) == 4
    assert not set(map(id, new_actors.values())) & set(map(id, old_actors.values()))
    assert set(window.viewport.plotter.actors).isdisjoint(f"part-{i}" for i in old_actors)
    assert any(not np.allclose(a, p.vertices) for a, p in zip(old_vertices, doc.assembly))
    assert all(n > MIN_VISIBLE for n in counts(window, doc))
    # stepping back is served from the cache: no second inference
    doc.library.step(-1)
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == doc.library.entries[0].name and not session.busy,
                    timeout=30000)
    assert len(calls) == 1


def test_hidden_part_stays_hidden_while_stepping(make_window, qtbot):
    window, doc, session = make_window()
    doc.assembly[2].visible = False
    doc.library.step(1)
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == doc.library.entries[1].name and not session.busy,
                    timeout=30000)
    assert [p.visible for p in doc.assembly] == [True, True, False, True]
    assert counts(window, doc)[2] < 5


def test_opening_a_bad_file_shows_the_error_and_keeps_the_scene(make_window, qtbot, monkeypatch, tmp_path):
    window, doc, session = make_window()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    bad = tmp_path / "broken.obj"
    bad.write_text("this is not an OBJ file\nf 1 2 99\n")
    before_entries = doc.library.entries
    before_parts = [p.id for p in doc.assembly]
    before_pixels = counts(window, doc)
    session.open_paths([bad])
    qtbot.waitUntil(lambda: bool(shown) and not session.busy, timeout=30000)
    assert str(bad) in shown[0][1]
    assert doc.library.entries == before_entries
    assert [p.id for p in doc.assembly] == before_parts
    assert counts(window, doc) == before_pixels


def test_opening_a_bad_checkpoint_keeps_the_model(make_window, qtbot, monkeypatch, tmp_path):
    window, doc, session = make_window()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"\x00garbage")
    predictor = session.predictor
    session.open_checkpoint(bad)
    qtbot.waitUntil(lambda: bool(shown) and not session.busy, timeout=30000)
    assert str(bad) in shown[0][1]
    assert session.predictor is predictor and len(doc.assembly) == 4


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_shows_a_dialog_and_the_app_lives_on(make_window, qtbot, monkeypatch):
    from PySide6.QtCore import QTimer

    from np_viewer.widgets.errors import install_excepthook
    window, doc, _ = make_window()
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()) or 0)
    restore = install_excepthook(show_dialog=True)
    try:
        def bad_slot():
            raise RuntimeError("boom in a slot")
        QTimer.singleShot(0, bad_slot)          # Qt calls sys.excepthook for exceptions in slots
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    finally:
        restore()
    assert "boom in a slot" in shown[0]
    assert window.isVisible()
    doc.assembly[0].visible = False          # still responsive
    assert counts(window, doc)[0] < 5


def test_segmentation_colours_the_input_by_owning_primitive(make_window, qtbot):
    window, doc, session = make_window()
    doc.library.set_current(1)      # the sphere: many faces
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == "b_sphere" and not session.busy, timeout=30000)
    part_ids = [p.id for p in doc.assembly]
    doc.view.segmentation = True
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == "b_sphere" and doc.assembly.input.labels is not None
                    and not session.busy, timeout=30000)
    geo = doc.assembly.input
    labels = geo.labels
    assert len(labels) == len(geo.faces)
    phi = session.predictor.implicit(session._last_result.prediction, geo.vertices[geo.faces].mean(1))
    np.testing.assert_array_equal(labels, phi.argmin(1))
    seg_v, seg_f = geo.segment_mesh                       # drawn on a refined copy: clean borders
    assert len(geo.segment_labels) == len(seg_f) > len(geo.faces)
    phi = session.predictor.implicit(session._last_result.prediction, seg_v[seg_f].mean(1))
    np.testing.assert_array_equal(geo.segment_labels, phi.argmin(1))
    assert [p.id for p in doc.assembly] == part_ids       # labels were added; the parts were not rebuilt
    renderer = window.viewport.renderer
    assert all(not renderer.part_actor(p).visibility for p in doc.assembly)
    assert renderer.plotter.actors["input"].visibility
    c = counts(window, doc)
    owned = np.bincount(geo.segment_labels, minlength=4)
    for k in range(4):   # a primitive that owns a good share of the input shows up in its colour
        if owned[k] > 0.2 * len(geo.segment_labels):
            assert c[k] > 50, (c, owned)
    assert sum(c) > 1000
    doc.assembly[int(owned.argmax())].visible = False      # hidden parts' regions turn grey
    assert counts(window, doc)[int(owned.argmax())] < 5
    doc.view.segmentation = False
    assert [renderer.part_actor(p).visibility for p in doc.assembly] == [p.visible for p in doc.assembly]


def test_overlay_and_view_toggles(make_window):
    window, doc, _ = make_window()
    r = window.viewport.renderer
    window.overlay_box.setCurrentText("mesh")
    assert doc.view.overlay == "mesh" and "input" in r.plotter.actors
    assert r.plotter.actors["input"].prop.opacity == pytest.approx(doc.view.overlay_opacity)
    window.overlay_box.setCurrentText("none")
    assert "input" not in r.plotter.actors
    window.act_wireframe.trigger()
    assert all(r.part_actor(p).prop.style == "Wireframe" for p in doc.assembly)
    window.act_wireframe.trigger()
    window.act_edges.trigger()
    assert all(r.part_actor(p).prop.show_edges for p in doc.assembly)
    cam = r.plotter.camera.position
    window.view_actions["+x"].trigger()
    assert np.argmax(np.abs(np.subtract(r.plotter.camera.position, r.plotter.camera.focal_point))) == 0
    assert r.plotter.camera.position != cam


def test_resolution_change_rebuilds_parts(make_window, qtbot):
    window, doc, session = make_window()
    n_before = len(doc.assembly[0].vertices)
    window.resolution_box.setValue(2)
    qtbot.waitUntil(lambda: doc.assembly.info.resolution == 2 and not session.busy, timeout=30000)
    assert len(doc.assembly[0].vertices) < n_before


def test_browser_filter_and_thumbnails(make_window, qtbot):
    window, doc, session = make_window()
    qtbot.waitUntil(lambda: all(doc.library.thumbnail(e.path) is not None for e in doc.library.entries),
                    timeout=30000)
    b = window.browser
    assert b.model.item(0).icon().isNull() is False
    b.filter_edit.setText("cyl")
    assert b.proxy.rowCount() == 1
    b.filter_edit.setText("")
    assert b.proxy.rowCount() == 4


def test_window_close_closes_the_plotter(make_window):
    window, _, _ = make_window(open_model=False, open_shapes=False)
    plotter = window.viewport.plotter
    window.close()
    assert plotter._closed


def test_prepared_dataset_shows_category_filter_and_metrics(make_window, qtbot, prepared_dataset):
    window, doc, session = make_window(open_shapes=False)
    session.open_paths([prepared_dataset])
    qtbot.waitUntil(lambda: len(doc.assembly) == 4 and not session.busy, timeout=30000)
    assert doc.library.categories() == ["toys"]
    qtbot.waitUntil(lambda: "IoU" in doc.status.metrics, timeout=30000)
    assert 0.0 <= doc.status.metrics["IoU"] <= 1.0
    assert "IoU" in window.info_panel.label.text() and "tiny.pt" in window.info_panel.label.text()
    window.browser.category.setCurrentText("toys")
    assert window.browser.proxy.rowCount() == 2


def test_device_shown_in_status_bar(make_window):
    window, doc, session = make_window(open_shapes=False)
    assert window.device_label.text() == "Device: cpu"
    assert doc.status.model_summary["primitives"] == 4


def test_published_state_dict_asks_for_its_yaml(make_window, qtbot, monkeypatch, tmp_path, tiny_model_factory):
    import torch
    from PySide6.QtWidgets import QFileDialog

    from trainer.config import save_config
    window, doc, session = make_window(open_model=False)
    net = tiny_model_factory()
    (tmp_path / "weights").mkdir()
    (tmp_path / "configs").mkdir()
    torch.save(net.state_dict(), tmp_path / "weights" / "model_final.pth")
    save_config(net.config, tmp_path / "configs" / "tiny.yaml")
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: asked.append(a[1]) or (str(tmp_path / "configs" / "tiny.yaml"), ""))
    session.open_checkpoint(tmp_path / "weights" / "model_final.pth")
    qtbot.waitUntil(lambda: session.predictor is not None and len(doc.assembly) == 4 and not session.busy,
                    timeout=30000)
    assert asked and "model_final.pth" in asked[0]
    assert all(n > MIN_VISIBLE for n in counts(window, doc))


def test_point_cloud_input_overlay_and_segmentation(make_window, qtbot, tmp_path):
    pts = np.random.default_rng(0).normal(size=(800, 3)) * [1.0, 0.6, 0.3]
    np.save(tmp_path / "cloud.npy", pts)
    window, doc, session = make_window(open_shapes=False)
    session.open_paths([tmp_path / "cloud.npy"])
    qtbot.waitUntil(lambda: len(doc.assembly) == 4 and not session.busy, timeout=30000)
    assert doc.assembly.input.vertices is None
    doc.view.overlay = "mesh"          # no mesh: falls back to the points
    assert window.viewport.renderer.plotter.actors["input"].GetMapper().GetInput().GetNumberOfPoints() == 800
    doc.view.segmentation = True
    qtbot.waitUntil(lambda: doc.assembly.input.labels is not None and not session.busy, timeout=30000)
    assert len(doc.assembly.input.labels) == 800


def test_up_down_keys_in_the_viewport_step_shapes(make_window, qtbot):
    from PySide6.QtCore import Qt
    window, doc, session = make_window()
    window.viewport.plotter.setFocus()
    qtbot.keyClick(window.viewport.plotter, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: doc.library.current == 1 and doc.assembly.info.shape_name == "b_sphere"
                    and not session.busy, timeout=30000)
    qtbot.keyClick(window.viewport.plotter, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: doc.library.current == 0, timeout=30000)


def test_without_a_model_the_input_is_shown(make_window):
    window, doc, session = make_window(open_model=False)
    assert len(doc.assembly) == 0 and doc.assembly.input is not None
    assert "input" in window.viewport.renderer.plotter.actors
    img = window.viewport.screenshot()
    assert img.reshape(-1, 3).std(0).max() > 10      # something is drawn
    assert "no model" in doc.status.message


def test_picking_finds_the_part_under_a_pixel(make_window):
    window, doc, _ = make_window()
    r = window.viewport.renderer
    window.viewport.render_now()
    hits = 0
    for part in doc.assembly:
        # the vertex nearest the camera is in front of everything else on that line of sight
        cam = np.asarray(r.plotter.camera.position)
        v = part.vertices[np.argmin(np.linalg.norm(part.vertices - cam, axis=1))]
        picked = r.pick(*r.display_position(v))
        hits += picked is part
    assert hits >= 3
    assert r.pick(1, 1) is None          # the corner is background


def test_gui_stays_responsive_while_the_model_runs(make_window, qtbot):
    import threading
    import time as _time

    from PySide6.QtCore import QTimer
    window, doc, session = make_window()
    original = session.predictor.predict
    threads = []

    def slow_predict(*a, **k):
        threads.append(threading.current_thread() is threading.main_thread())
        _time.sleep(1.0)
        return original(*a, **k)

    session.predictor.predict = slow_predict
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(session.busy))
    timer.start(20)
    doc.library.step(1)
    assert session.busy and window.progress.isVisible()        # busy indicator in the status bar
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == "b_sphere" and not session.busy, timeout=30000)
    timer.stop()
    assert threads == [False]                   # the model ran off the GUI thread
    assert sum(ticks) >= 10                     # the event loop kept running meanwhile
    assert not window.progress.isVisible()


def test_vtk_letter_keys_cannot_close_or_restyle_the_viewport(make_window, qtbot):
    """VTK binds letters to actions that bypass the document ('w'/'s' restyle actors, '3' stereo,
    'q'/'e' end the interactor); the viewport swallows them."""
    from PySide6.QtCore import Qt
    window, doc, _ = make_window()
    plotter = window.viewport.plotter
    plotter.setFocus()
    for key in (Qt.Key.Key_W, Qt.Key.Key_3, Qt.Key.Key_J, Qt.Key.Key_P, Qt.Key.Key_Q, Qt.Key.Key_E):
        qtbot.keyClick(plotter, key)
    assert not plotter._closed
    assert not plotter.render_window.GetStereoRender()
    assert all(window.viewport.renderer.part_actor(p).prop.style == "Surface" for p in doc.assembly)
    assert all(n > MIN_VISIBLE for n in counts(window, doc))


def test_a_flat_mesh_is_decomposed_and_says_volume_metrics_are_unavailable(make_window, qtbot, tmp_path):
    import trimesh
    from np_viewer.session import FLAT_KEY
    flat = tmp_path / "sheet.obj"
    trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], [[0, 1, 2], [0, 2, 3]]).export(flat)
    window, doc, session = make_window(open_shapes=False)
    session.open_paths([flat])
    qtbot.waitUntil(lambda: len(doc.assembly) > 0 and not session.busy, timeout=30000)
    qtbot.waitUntil(lambda: FLAT_KEY in doc.status.metrics, timeout=30000)
    assert "flat" in doc.status.metrics[FLAT_KEY] and "IoU" not in doc.status.metrics
    assert "flat" in window.info_panel.label.text()
