"""The viewport gizmo: a real mouse drag on its x arrow moves the selection as one undoable edit."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from np_viewer.editing.picking import world_to_widget


def test_dragging_the_gizmo_arrow_moves_the_selection_once_undoably(editing_window, qtbot):
    window, controller, doc, _ = editing_window
    plotter = window.viewport.plotter
    a, b = doc.assembly[0], doc.assembly[2]
    doc.selection.set([a.id, b.id])
    qtbot.waitUntil(lambda: controller.gizmo.widget is not None)
    widget = controller.gizmo.widget
    window.viewport.render_now()
    arrow = widget._arrows[0]                                  # the x arrow (pyvista's AffineWidget3D)
    start = world_to_widget(plotter, np.array(arrow.center))
    end = start + QPoint(40, 0)
    qtbot.mouseClick(plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    assert doc.selection.ids == [a.id, b.id] and controller.history.entries == []   # a handle is not a part
    qtbot.mouseMove(plotter, start)                            # hover highlights the handle
    qtbot.mousePress(plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for t in np.linspace(0.2, 1.0, 5):
        qtbot.mouseMove(plotter, start + QPoint(int(40 * t), 0))
    qtbot.mouseRelease(plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert len(controller.history.entries) == 1, controller.history.texts
    ta, tb = a.transform, b.transform
    assert ta[0, 3] > 0.01 and np.allclose(ta[:3, :3], np.eye(3)) and np.allclose(ta[1:3, 3], 0)
    assert np.allclose(ta, tb)                                 # both parts moved together
    assert doc.selection.ids == [a.id, b.id]                   # a drag is not a click
    controller.undo()
    assert np.array_equal(a.transform, np.eye(4)) and np.array_equal(b.transform, np.eye(4))
    qtbot.waitUntil(lambda: controller.gizmo.widget is not None and controller.gizmo.widget is not widget)
