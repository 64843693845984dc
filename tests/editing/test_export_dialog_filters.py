"""The Export menu's save dialogs offer the registered export formats (trainer.export.EXPORT_FORMATS)."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QFileDialog

from trainer.export import EXPORT_FORMATS


def test_export_dialogs_list_every_registered_format_and_honour_the_chosen_one(
        editing_window, qtbot, no_dialogs, tmp_path, monkeypatch):
    window, controller, doc, _ = editing_window
    asked: list[str] = []
    answer = ("", "")

    def dialog(parent, title, directory, filters, *a, **k):  # noqa: ANN001 - QFileDialog's signature
        asked.append(filters)
        return answer

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    controller.actions["export_all"].trigger()       # cancelled: nothing is written
    controller.actions["export_union"].trigger()
    suffixes = [re.findall(r"\(\*(\.\w+)\)", text) for text in asked]
    assert [s[0] for s in suffixes] == [".glb", ".stl"]     # the defaults: a scene, a single mesh
    assert all(sorted(s) == sorted(f.suffix for f in EXPORT_FORMATS.values()) for s in suffixes)
    assert not list(tmp_path.iterdir())

    answer = (str(tmp_path / "union"), EXPORT_FORMATS["ply"].dialog_filter)   # no suffix typed
    controller.actions["export_union"].trigger()
    qtbot.waitUntil(lambda: not controller.files.busy, timeout=30000)
    assert [p.name for p in tmp_path.iterdir()] == ["union.ply"] and not no_dialogs.errors
