"""The app shell's seams: extensions shut down with their window (newest first), panels by key,
named menus in a fixed order that the features fill, and the config question asked by type."""
from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea

from np_viewer.widgets.shell import ShellWindow

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea


class Recorder:
    def __init__(self, name: str, calls: list) -> None:
        self.name, self.calls = name, calls

    def shutdown(self) -> None:
        self.calls.append(self.name)


def test_extensions_shut_down_with_the_window_newest_first(qtbot):
    window = ShellWindow()
    qtbot.addWidget(window)
    calls: list[str] = []
    first = window.add_extension("first", Recorder("first", calls))
    window.add_extension("second", Recorder("second", calls))
    assert window.extension("first") is first and window.extension("missing") is None
    window.show()
    window.close()
    assert calls == ["second", "first"] and window.closed
    window.shutdown()                      # idempotent: nothing is shut down twice
    assert calls == ["second", "first"]


def test_a_replaced_extension_is_shut_down_and_a_closed_child_window_made_again(qtbot):
    window = ShellWindow()
    qtbot.addWidget(window)
    calls: list[str] = []
    window.add_extension("x", Recorder("old", calls))
    window.add_extension("x", Recorder("new", calls))
    assert calls == ["old"]
    child = window.extension("child", ShellWindow)
    assert window.extension("child", ShellWindow) is child      # reused while open
    child.show()
    child.close()
    again = window.extension("child", ShellWindow)
    assert again is not child and not again.closed
    again.show()
    window.close()
    assert calls == ["old", "new"] and again.closed and not again.isVisible()


def test_add_panel_docks_by_key_in_its_area(qtbot):
    window = ShellWindow()
    qtbot.addWidget(window)
    notes = QLabel("notes")
    dock = window.add_panel("notes", "Notes", notes, LEFT)
    assert window.panel("notes") is dock and window.findChild(QDockWidget, "dock-notes") is dock
    assert dock.windowTitle() == "Notes" and dock.widget() is notes and window.dockWidgetArea(dock) == LEFT
    assert not dock.features() & QDockWidget.DockWidgetFeature.DockWidgetClosable
    tab = window.add_panel("more", "More", QLabel("more"), closable=True, scroll=True, beside="notes")
    assert window.tabifiedDockWidgets(dock) == [tab] and isinstance(tab.widget(), QScrollArea)
    assert tab.features() & QDockWidget.DockWidgetFeature.DockWidgetClosable
    with pytest.raises(ValueError, match="notes"):
        window.add_panel("notes", "Again", QLabel())


def _texts(menu) -> list[str]:  # noqa: ANN001
    return [a.text().replace("&", "") for a in menu.actions()]


def test_the_app_fills_named_menus_in_a_fixed_order(qtbot):
    from np_viewer.app import build_app, build_parser
    studio = build_app(build_parser().parse_args(["--size", "400x300"]), synchronous=True)
    window = studio.window
    try:
        qtbot.addWidget(window)
        assert _texts(window.menuBar()) == ["File", "Edit", "View", "Shapes", "Export"]
        assert [window.menu(k).menuAction() for k in ("file", "edit", "view", "shapes", "export")] == \
            window.menuBar().actions()
        assert _texts(window.menu("file")) == ["Open shapes…", "Open folder or dataset…", "Open model…", "",
                                               "Open assembly…", "Save assembly…", "", "Quit"]
        editing, fitting = window.extension("editing"), window.extension("fitting")
        assert editing.actions["undo"] in window.menu("edit").actions()
        assert editing.actions["export_selected"] in window.menu("export").actions()
        assert fitting.action in window.menu("shapes").actions() and fitting.action in window.toolbar.actions()
        view = _texts(window.menu("view"))
        assert view[-2:] == ["Gallery of these shapes…", "Compare models…"]
        info = window.panel("info")
        assert set(window.tabifiedDockWidgets(info)) == {window.panel("transform"), window.panel("history")}
    finally:
        window.shutdown()
    assert window.viewport.plotter_closed


def test_main_window_extensions_go_before_the_plotter(qtbot):
    from np_viewer.document import Document
    from np_viewer.session import Session
    from np_viewer.widgets import MainWindow
    doc = Document()
    window = MainWindow(doc, Session(doc, device="cpu"))
    qtbot.addWidget(window)
    seen: list[bool] = []

    class NeedsThePlotter:
        def shutdown(self) -> None:
            seen.append(window.viewport.plotter_closed)

    window.add_extension("probe", NeedsThePlotter())
    window.close()
    assert seen == [False] and window.viewport.plotter_closed


def test_a_published_state_dict_without_config_asks_for_one(qtbot, tiny_model_factory, tmp_path):
    from np_viewer.document import Document
    from np_viewer.session import Session
    path = tmp_path / "model_00100"
    torch.save(tiny_model_factory().state_dict(), path)
    session = Session(Document(), device="cpu", synchronous=True)
    asked, errors = [], []
    session.config_needed.connect(asked.append)
    session.error.connect(lambda title, message: errors.append(message))
    session.open_checkpoint(path)
    assert asked == [str(path)] and not errors and session.predictor is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("network: [unclosed\n")
    session.open_checkpoint(path, config=bad)      # a config that does not load: an error, not a question
    assert asked == [str(path)] and len(errors) == 1
    session.shutdown()
