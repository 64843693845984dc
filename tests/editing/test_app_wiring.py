"""The app as launched installs the editing tools (menus, shortcuts, controller)."""
from np_viewer.app import build_app, build_parser


def test_np_viewer_window_has_edit_and_export_menus(qtbot):
    app, doc, session, window = build_app(build_parser().parse_args(["--size", "400x300"]), synchronous=True)
    try:
        qtbot.addWidget(window)
        titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
        assert "Edit" in titles and "Export" in titles
        assert window.extension("editing") is not None
        shortcuts = {a.shortcut().toString() for m in window.menuBar().actions() if m.menu()
                     for a in m.menu().actions()}
        assert "Ctrl+Z" in shortcuts
    finally:
        window.shutdown()
