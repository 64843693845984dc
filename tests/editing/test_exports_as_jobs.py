"""Exports and the turntable GIF run as jobs of the viewer's job service: off the GUI thread (the
window keeps running), shown in the status bar with progress and Cancel, and they write the file."""
from __future__ import annotations

import threading

import trimesh


def test_an_export_runs_off_the_gui_thread_shows_progress_and_writes_the_file(editing_window, qtbot, no_dialogs,
                                                                             tmp_path, monkeypatch):
    import np_viewer.editing.files as files_module
    window, controller, doc, _ = editing_window
    release, threads = threading.Event(), []
    real = files_module.export_parts

    def slow_export(*args, **kwargs):
        threads.append(threading.current_thread() is threading.main_thread())
        release.wait(20)          # a big export: the GUI must not wait for it
        return real(*args, **kwargs)

    monkeypatch.setattr(files_module, "export_parts", slow_export)
    out = tmp_path / "all.stl"
    no_dialogs.save_path = str(out)
    controller.actions["export_all"].trigger()
    qtbot.waitUntil(lambda: bool(threads), timeout=10000)
    assert controller.files.busy and not out.exists()
    qtbot.waitUntil(lambda: window.job_progress.isVisible(), timeout=5000)
    assert window.job_progress.label.text().startswith("Export parts")
    assert window.job_progress.cancel_button.isEnabled()
    doc.selection.set([doc.assembly[0].id])     # the GUI handles events meanwhile
    release.set()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)
    assert threads == [False] and not no_dialogs.errors
    assert len(trimesh.load(out, force="mesh").faces) == sum(len(p.faces) for p in doc.assembly)
    assert "wrote all.stl" in doc.status.message
    qtbot.waitUntil(lambda: not window.job_progress.isVisible(), timeout=5000)


def test_cancelling_a_turntable_writes_nothing(editing_window, qtbot, no_dialogs, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QInputDialog
    window, controller, doc, _ = editing_window
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("96x64", True)))
    controller.files.gif_frames = 400
    out = tmp_path / "turn.gif"
    no_dialogs.save_path = str(out)
    controller.actions["turntable"].trigger()
    qtbot.waitUntil(lambda: window.job_progress.label.text().startswith("Rendering frame"), timeout=20000)
    value = window.job_progress.bar.value()
    assert 0 < value < window.job_progress.bar.maximum()          # a real fraction, not a spinner
    window.job_progress.cancel_button.click()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=20000)
    assert not out.exists() and not no_dialogs.errors
    assert not [f for f in tmp_path.iterdir()]                  # no temporary file left either
    qtbot.waitUntil(lambda: not window.job_progress.isVisible(), timeout=5000)
