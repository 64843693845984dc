"""The issue's walk-through: click a part in the viewport, scale it in the numeric panel, undo,
export through the menu."""
from __future__ import annotations

import numpy as np
import trimesh
from PySide6.QtCore import Qt

from np_viewer.editing.picking import world_to_widget


def click_part(qtbot, window, part, modifier=Qt.KeyboardModifier.NoModifier):
    """A real mouse click on the interactor widget at the part's projected centroid."""
    centre = part.world_vertices().mean(axis=0)
    pos = world_to_widget(window.viewport.plotter, centre)
    qtbot.mouseClick(window.viewport.plotter, Qt.MouseButton.LeftButton, modifier, pos)


def test_click_scale_undo_and_export_through_the_menu(editing_window, qtbot, no_dialogs, tmp_path):
    window, controller, doc, _ = editing_window
    part = doc.assembly[1]
    click_part(qtbot, window, part)
    assert doc.selection.ids == [part.id]
    # highlighted in the viewport (white edges) and in the parts panel
    actor = window.viewport.renderer.part_actor(part)
    assert actor.prop.show_edges
    rows = {i.row() for i in window.parts_panel.table.selectedIndexes()}
    assert rows == {1}

    before = part.transform
    centre = part.world_vertices().astype(np.float64).mean(axis=0)
    panel = controller.transform_panel
    panel.set_values(scale=2.0, pivot="centroid")
    panel.apply_button.click()
    scaled = part.transform
    assert np.allclose(scaled[:3, :3], 2.0 * np.eye(3))
    assert np.allclose(part.world_vertices().astype(np.float64).mean(axis=0), centre, atol=1e-5)
    assert np.array_equal(actor.user_matrix, scaled)      # the viewport shows it

    controller.actions["undo"].trigger()
    assert np.array_equal(part.transform, before)
    controller.actions["redo"].trigger()
    assert np.array_equal(part.transform, scaled)
    controller.actions["undo"].trigger()

    out = tmp_path / "picked.glb"
    no_dialogs.save_path = str(out)
    menu = window.menu("export")
    action = next(a for a in menu.actions() if a.text().startswith("Export selected"))
    action.trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    assert not no_dialogs.errors, no_dialogs.errors
    scene = trimesh.load(out, force="scene")
    assert list(scene.graph.nodes_geometry) == [part.name]
    mesh = next(iter(scene.geometry.values()))
    assert len(mesh.vertices) == len(part.vertices)


def test_ctrl_click_adds_to_the_selection_and_background_click_clears(editing_window, qtbot):
    window, controller, doc, _ = editing_window
    a, b = doc.assembly[0], doc.assembly[2]
    click_part(qtbot, window, a)
    click_part(qtbot, window, b, Qt.KeyboardModifier.ControlModifier)
    assert doc.selection.ids == [a.id, b.id]
    click_part(qtbot, window, a, Qt.KeyboardModifier.ShiftModifier)
    assert doc.selection.ids == [b.id]
    qtbot.mouseClick(window.viewport.plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     window.viewport.plotter.rect().topLeft() + __import__("PySide6.QtCore", fromlist=["QPoint"]).QPoint(3, 3))
    assert doc.selection.ids == []


def test_panel_rotation_and_per_axis_scale_about_the_origin(editing_window):
    window, controller, doc, _ = editing_window
    part = doc.assembly[0]
    doc.selection.set([part.id])
    panel = controller.transform_panel
    panel.set_values(translation=(0.1, 0, 0), rotation=(0, 90, 0), scale=(1, 2, 3), pivot="origin")
    assert not panel.uniform.isChecked() and panel.scale[2].isEnabled()
    panel.apply_button.click()
    expected = np.array([[0, 0, 3, 0.1], [0, 2, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 1]], dtype=float)
    assert np.allclose(part.transform, expected, atol=1e-12)
    assert "Transform" in controller.history.texts[-1]
    panel.reset_button.click()
    assert np.array_equal(part.transform, np.eye(4))
