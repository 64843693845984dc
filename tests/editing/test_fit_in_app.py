"""Shapes > Fit to this shape, driven through the menu: the viewport follows the fit, Cancel keeps
the best parts so far, the result is one undoable step, and it exports like any prediction."""
from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
import trimesh
from PySide6.QtWidgets import QToolBar

from trainer.export import load_assembly


@pytest.fixture
def fitting(editing_window, monkeypatch):
    """(window, controller, fit controller, doc, session, dialog values): the dialog answers with
    ``values`` (mode, seconds, steps, primitives) instead of waiting for a person."""
    from np_viewer.fitting import FitDialog, install_fitting
    window, controller, doc, session = editing_window
    values = {"mode": "refine", "seconds": 60, "steps": 0}
    shown = []

    def answer(dialog):
        shown.append(dialog)
        dialog.set_values(**values)
        return 1

    monkeypatch.setattr(FitDialog, "exec", answer)
    fit = install_fitting(window)
    yield window, controller, fit, doc, session, values, shown
    fit.cancel()


def _meshes(doc):
    return [p.vertices.copy() for p in doc.assembly]


def _actor_points(window, doc):
    actors = window.viewport.renderer.part_actors()
    return [np.asarray(pv.wrap(actors[p.id].GetMapper().GetInput()).points).copy()
            for p in doc.assembly if p.id in actors]


def test_fit_through_the_menu_shows_progress_cancels_undoes_and_exports(fitting, qtbot, no_dialogs, tmp_path):
    window, controller, fit, doc, session, values, shown = fitting
    shapes_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Shapes")
    action = next(a for a in shapes_menu.actions() if a.text().startswith("Fit to this shape"))
    assert action is fit.action and fit.action in window.findChild(QToolBar, "view-toolbar").actions()
    predicted = _meshes(doc)
    shown_before = _actor_points(window, doc)

    action.trigger()                                            # the user asks for a fit (60 s budget)
    assert len(shown) == 1 and fit.running
    # the viewport shows the best parts so far while the fit runs
    qtbot.waitUntil(lambda: bool(fit._preview) and any(
        not np.allclose(a, b) for a, b in zip(_actor_points(window, doc), shown_before)), timeout=30000)
    assert fit.running
    text = window.job_progress.label.text()
    assert window.job_progress.isVisible() and "step" in text and "objective" in text and "IoU" in text
    window.job_progress.cancel_button.click()                    # Cancel: keep the best so far
    qtbot.waitUntil(lambda: not fit.running, timeout=60000)
    assert not no_dialogs.errors, no_dialogs.errors
    assert controller.history.texts[-1].startswith("Fit to this shape (refine")
    fitted = _meshes(doc)
    assert len(fitted) == len(predicted) and any(not np.allclose(a, b) for a, b in zip(fitted, predicted))
    assert doc.status.fit["stopped"] == "cancelled" and doc.status.fit["steps"] > 0
    after, before = doc.status.fit["after"], doc.status.fit["before"]
    assert "IoU (fit samples)" in after and "IoU (fit samples)" in before
    assert "→" in window.info_panel.label.text()               # metrics before and after
    for a, b in zip(_actor_points(window, doc), fitted):       # the viewport shows the fitted parts
        np.testing.assert_allclose(a, b, atol=1e-6)

    controller.actions["undo"].trigger()                       # back to the model's prediction
    for a, b in zip(_meshes(doc), predicted):
        np.testing.assert_array_equal(a, b)
    assert doc.status.fit == {}
    controller.actions["redo"].trigger()
    for a, b in zip(_meshes(doc), fitted):
        np.testing.assert_array_equal(a, b)

    out = tmp_path / "fitted.ply"                               # exports work on the fitted parts
    no_dialogs.save_path = str(out)
    controller.actions["export_all"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)
    mesh = trimesh.load(out, force="mesh", process=False)
    np.testing.assert_allclose(np.sort(mesh.vertices, axis=0), np.sort(np.concatenate(fitted), axis=0), atol=1e-4)
    no_dialogs.save_path = str(tmp_path / "fitted")
    controller.actions["save_assembly"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)
    saved = load_assembly(tmp_path / "fitted.npasm")
    assert saved.metadata["fit"]["stopped"] == "cancelled"
    np.testing.assert_array_equal(saved.parts[0].vertices, fitted[0])
    assert not no_dialogs.errors, no_dialogs.errors


def test_a_fit_survives_browsing_and_comes_back_at_another_mesh_level(fitting, qtbot, no_dialogs):
    window, controller, fit, doc, session, values, shown = fitting
    values.update(mode="scratch", primitives=2, seconds=30, steps=15)
    first = doc.assembly.info.shape_path
    fit.action.trigger()
    qtbot.waitUntil(lambda: not fit.running, timeout=60000)
    assert not no_dialogs.errors, no_dialogs.errors
    assert len(doc.assembly) == 2 and doc.status.fit["stopped"] == "steps" and doc.status.fit["steps"] == 15
    fitted = _meshes(doc)
    doc.library.step(1)                                        # another shape: its own prediction
    qtbot.waitUntil(lambda: doc.assembly.info.shape_path != first and not session.busy, timeout=30000)
    assert len(doc.assembly) == 3 and doc.status.fit == {}
    doc.library.step(-1)                                       # back: the fit is still there
    qtbot.waitUntil(lambda: doc.assembly.info.shape_path == first and not session.busy, timeout=30000)
    assert len(doc.assembly) == 2
    for a, b in zip(_meshes(doc), fitted):
        np.testing.assert_array_equal(a, b)
    assert doc.status.fit["steps"] == 15
    doc.view.resolution = 1                                    # another mesh level: the cached fit
    qtbot.waitUntil(lambda: doc.assembly.info.resolution == 1 and len(doc.assembly) == 2 and not fit.jobs.active(
        owner=fit), timeout=30000)
    assert controller.history.texts == ["Fit to this shape (kept from before)"]
    assert len(doc.assembly[0].vertices) < len(fitted[0])
    controller.actions["undo"].trigger()
    assert len(doc.assembly) == 3                              # the model's prediction at level 1


def test_a_shape_far_from_the_model_is_offered_the_fit(fitting, qtbot):
    from np_viewer.session import DISTANCE_KEY, FAR_FROM_MODEL
    window, controller, fit, doc, session, values, shown = fitting
    # the test model puts the same three small balls on every shape: far from a 1 x 0.5 x 0.3 box
    qtbot.waitUntil(lambda: DISTANCE_KEY in doc.status.metrics, timeout=30000)
    assert doc.status.metrics[DISTANCE_KEY] > FAR_FROM_MODEL
    assert fit.offer_button.isVisible() and "far from what the model knows" in doc.status.message
    values.update(steps=3)
    fit.offer_button.click()
    assert len(shown) == 1
    qtbot.waitUntil(lambda: not fit.running, timeout=60000)
    assert not fit.offer_button.isVisible() and doc.status.fit["steps"] == 3
