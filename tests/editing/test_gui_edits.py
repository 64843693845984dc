"""Editing through the window: shortcuts, menus, the history panel, swap, files and dialogs."""
from __future__ import annotations

import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import trimesh
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog

from trainer.export import load_assembly
from trainer.inference import load_shape


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=5000)
    qtbot.keyClick(window.viewport.plotter, key, modifier)


def test_delete_duplicate_shortcuts_and_the_history_panel(editing_window, qtbot):
    window, controller, doc, _ = editing_window
    renderer = window.viewport.renderer
    original = [(p.id, p.name) for p in doc.assembly]
    part = doc.assembly[1]
    doc.selection.set([part.id])
    press(qtbot, window, Qt.Key.Key_Delete)
    assert [p.id for p in doc.assembly] == [original[0][0], original[2][0]]
    assert renderer.part_actor(part) is None
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(p.id, p.name) for p in doc.assembly] == original
    assert renderer.part_actor(part) is not None and doc.selection.ids == [part.id]
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(doc.assembly) == 2
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert [p.name for p in doc.assembly] == ["part 0", "part 1", "part 1 copy", "part 2"]
    copy = doc.assembly[2]
    assert doc.selection.ids == [copy.id] and renderer.part_actor(copy) is not None
    press(qtbot, window, Qt.Key.Key_H)
    assert not copy.visible
    panel = controller.history_panel       # the undone delete was dropped by the new edits
    assert [panel.list.item(i).text() for i in range(panel.list.count())] == \
        ["Original (as predicted)", "Duplicate part 1", "Hide part 1 copy"]
    assert panel.list.currentRow() == 2
    panel.list.itemClicked.emit(panel.list.item(0))         # back to the original in one click
    assert [(p.id, p.name) for p in doc.assembly] == original
    assert controller.history.index == 0 and controller.history.can_redo()


def test_recolour_rename_hide_reset_pose_undo(editing_window, monkeypatch):
    window, controller, doc, _ = editing_window
    part = doc.assembly[0]
    actor = window.viewport.renderer.part_actor(part)
    colour0, name0 = part.colour, part.name
    doc.selection.set([part.id])
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor.fromRgbF(1.0, 0.5, 0.0)))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("seat", True)))
    controller.actions["recolour"].trigger()
    controller.actions["rename"].trigger()
    controller.actions["hide"].trigger()
    assert part.colour == pytest.approx((1.0, 0.5, 0.0), abs=1e-4)      # QColor keeps 16 bits
    assert tuple(actor.prop.color.float_rgb) == pytest.approx(part.colour, abs=1 / 255)
    assert window.parts_panel.table.item(0, 2).text() == "seat"
    assert not part.visible and not actor.visibility
    controller.transform_selection(np.diag([1.0, 2.0, 1.0, 1.0]), "origin")
    controller.actions["reset_pose"].trigger()
    assert np.array_equal(part.transform, np.eye(4))
    for _ in range(5):
        controller.actions["undo"].trigger()
    assert (part.colour, part.name, part.visible) == (colour0, name0, True)
    assert window.parts_panel.table.item(0, 2).text() == name0 and actor.visibility


def test_the_parts_panel_checkbox_is_undoable_too(editing_window, qtbot):
    window, controller, doc, _ = editing_window
    part = doc.assembly[2]
    window.parts_panel.visibility_box(part).click()
    assert not part.visible
    assert controller.history.texts[-1] == f"Hide {part.name}"      # a command, pushed at once
    controller.actions["undo"].trigger()
    assert part.visible and window.parts_panel.visibility_box(part).isChecked()


def test_swap_a_part_from_another_shape(editing_window, qtbot, no_dialogs, monkeypatch):
    window, controller, doc, session = editing_window
    other = doc.library.entries[1]
    assert doc.assembly.info.shape_path != other.path
    part = doc.assembly[1]
    before = part.vertices.copy()
    doc.selection.set([part.id])
    offered = []
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(
        lambda parent, title, label, items, *a, **k: offered.append(list(items)) or (items[0], True)))
    controller.actions["swap"].trigger()
    assert offered == [[other.name]]                  # every other shape of the browser
    qtbot.waitUntil(lambda: not controller.swapping, timeout=30000)
    expected = session.predictor.predict(load_shape(other.path), doc.assembly.info.resolution).meshes[1]
    assert np.array_equal(part.vertices, expected[0]) and np.array_equal(part.faces, expected[1])
    assert not np.array_equal(part.vertices, before)
    assert controller.history.texts[-1] == f"Swap part 1 from {other.name}"
    saved = controller.files.saved_assembly()
    assert [p.shape for p in saved.parts] == [None, other.path, None]
    controller.undo()
    assert np.array_equal(part.vertices, before) and controller.sources == {}
    assert not no_dialogs.errors


def test_bad_export_paths_show_a_dialog_and_change_nothing(editing_window, qtbot, no_dialogs, tmp_path):
    window, controller, doc, _ = editing_window
    doc.selection.set([doc.assembly[0].id])
    state = [(p.id, p.transform.tobytes()) for p in doc.assembly]
    bad = [tmp_path / "missing" / "x.glb", tmp_path / "x.unknown", Path("/proc/np_viewer_test.glb")]
    for path in bad:
        no_dialogs.save_path = str(path)
        controller.actions["export_selected"].trigger()
        qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    assert len(no_dialogs.errors) == 3, no_dialogs.errors
    assert all(title == "Cannot export parts" for title, _ in no_dialogs.errors)
    assert "does not exist" in no_dialogs.errors[0][1] and "format" in no_dialogs.errors[1][1]
    assert not any(p.exists() for p in bad[:2])
    no_dialogs.save_path = str(tmp_path / "missing" / "a.npasm")
    controller.actions["save_assembly"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    no_dialogs.save_path = str(tmp_path / "not_an_assembly")
    controller.actions["open_assembly"].trigger()
    assert [t for t, _ in no_dialogs.errors[3:]] == ["Cannot save assembly", "Cannot open assembly"]
    assert [(p.id, p.transform.tobytes()) for p in doc.assembly] == state
    assert window.isVisible()


def test_an_existing_file_is_replaced_only_after_confirmation(editing_window, qtbot, no_dialogs, tmp_path):
    window, controller, doc, _ = editing_window
    target = tmp_path / "parts.stl"
    target.write_bytes(b"precious")
    no_dialogs.save_path = str(target)
    controller.actions["export_all"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    assert len(no_dialogs.questions) == 1 and target.read_bytes() == b"precious"
    no_dialogs.replace = True
    controller.actions["export_all"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    mesh = trimesh.load(target, force="mesh")
    assert len(mesh.faces) == sum(len(p.faces) for p in doc.assembly)
    assert not no_dialogs.errors and not [f for f in os.listdir(tmp_path) if f.startswith(".")]


def test_union_and_per_part_export(editing_window, qtbot, no_dialogs, tmp_path):
    window, controller, doc, _ = editing_window
    no_dialogs.save_path = str(tmp_path / "union.stl")
    controller.actions["export_union"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    union = trimesh.load(tmp_path / "union.stl", force="mesh")
    assert union.is_watertight
    controller.actions["per_part"].setChecked(True)
    no_dialogs.save_path = str(tmp_path / "chair")          # no suffix: the filter's (.glb) is added
    controller.actions["export_all"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    assert sorted(f.name for f in tmp_path.glob("chair_*.glb")) == [f"chair_part_{k}.glb" for k in range(3)]
    assert not no_dialogs.errors


def test_save_and_reopen_an_edited_assembly_through_the_menus(editing_window, qtbot, no_dialogs, tmp_path):
    window, controller, doc, session = editing_window
    a, b = doc.assembly[0], doc.assembly[2]
    doc.selection.set([a.id])
    controller.transform_selection(np.diag([1.5, 0.5, 2.0, 1.0]), "centroid")
    controller.rename("left leg")
    doc.selection.set([b.id])
    controller.set_visible(False)
    before = [(p.name, p.colour, p.visible, p.opacity, p.transform.tobytes(), p.vertices.tobytes())
              for p in doc.assembly]
    no_dialogs.save_path = str(tmp_path / "edited")
    controller.actions["save_assembly"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    saved = tmp_path / "edited.npasm"
    assert load_assembly(saved).parts[0].name == "left leg"
    doc.library.step(1)                                      # another shape replaces the scene
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == doc.library.entries[1].name and not session.busy,
                    timeout=30000)
    assert controller.history.entries == []
    no_dialogs.save_path = str(saved)
    controller.actions["open_assembly"].trigger()
    after = [(p.name, p.colour, p.visible, p.opacity, p.transform.tobytes(), p.vertices.tobytes())
             for p in doc.assembly]
    assert after == before and not no_dialogs.errors
    assert doc.assembly.input is not None                    # the input shape was found again
    actors = window.viewport.renderer.part_actors()
    assert np.array_equal(actors[doc.assembly[0].id].user_matrix, doc.assembly[0].transform)


def test_screenshot_at_a_size_with_transparency_and_a_turntable_gif(editing_window, qtbot, no_dialogs, monkeypatch,
                                                                   tmp_path):
    window, controller, doc, _ = editing_window
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("200x120", True)))
    controller.actions["transparent"].setChecked(True)
    no_dialogs.save_path = str(tmp_path / "shot.png")
    controller.actions["screenshot"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    img = iio.imread(tmp_path / "shot.png")
    assert img.shape == (120, 200, 4)
    assert img[0, 0, 3] == 0 and (img[..., 3] == 255).sum() > 500      # background clear, parts opaque
    controller.files.gif_frames = 6
    no_dialogs.save_path = str(tmp_path / "turn.gif")
    controller.actions["turntable"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    frames = iio.imread(tmp_path / "turn.gif", index=None)
    assert frames.shape[:3] == (6, 120, 200)
    assert not np.array_equal(frames[0], frames[1])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("huge", True)))
    controller.actions["screenshot"].trigger()
    assert no_dialogs.errors and "size" in no_dialogs.errors[-1][1]


def test_segmentation_export_splits_the_input_mesh_by_owning_part(editing_window, qtbot, no_dialogs, tmp_path):
    window, controller, doc, session = editing_window
    no_dialogs.save_path = str(tmp_path / "segments.ply")
    controller.actions["export_segmentation"].trigger()       # labels not computed yet: says so, starts them
    assert no_dialogs.errors and no_dialogs.errors[-1][0] == "Segmentation not ready"
    assert doc.view.segmentation
    qtbot.waitUntil(lambda: doc.assembly.input.labels is not None and not session.busy, timeout=30000)
    n_errors = len(no_dialogs.errors)
    controller.actions["export_segmentation"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)   # exports are jobs
    assert len(no_dialogs.errors) == n_errors, no_dialogs.errors
    mesh = trimesh.load(tmp_path / "segments.ply", force="mesh", process=False)
    assert len(mesh.faces) == len(doc.assembly.input.faces)


def test_edits_survive_stepping_to_another_shape_and_back(editing_window, qtbot, monkeypatch):
    window, controller, doc, session = editing_window
    first = doc.assembly.info.shape_path
    part = doc.assembly[1]
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("left arm", True)))
    doc.selection.set([part.id])
    controller.actions["rename"].trigger()
    press(qtbot, window, Qt.Key.Key_H)
    assert controller.history.texts == ["Rename to left arm", "Hide left arm"]

    doc.library.step(1)                                      # the next shape: a fresh prediction
    qtbot.waitUntil(lambda: doc.assembly.info.shape_path != first and not session.busy, timeout=30000)
    assert [p.name for p in doc.assembly] == ["part 0", "part 1", "part 2"] and not controller.history.entries
    assert len(controller.stash) == 1

    doc.library.step(-1)                                     # back: the edited parts and their history
    qtbot.waitUntil(lambda: doc.assembly.info.shape_path == first and not session.busy, timeout=30000)
    assert doc.assembly[1] is part and part.name == "left arm" and not part.visible
    assert controller.history.texts == ["Rename to left arm", "Hide left arm"]
    assert window.viewport.renderer.part_actor(part) is not None and len(controller.stash) == 0
    qtbot.waitUntil(lambda: "edits to this shape are back" in doc.status.message, timeout=5000)
    controller.actions["undo"].trigger()
    controller.actions["undo"].trigger()
    assert part.visible and part.name == "part 1" and not controller.history.can_undo()
