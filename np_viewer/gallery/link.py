"""Connecting the gallery to the main view: View > Gallery in the app, and "open in main view"."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence

from .window import GalleryWindow


def install_gallery_action(window) -> QAction:  # noqa: ANN001 - a widgets.MainWindow
    """Add View > Gallery (Ctrl+G) to the main window: a linked 4x4 gallery of the open shapes,
    sharing the window's model; clicking "open" on an instance selects it in the main view."""
    action = QAction("&Gallery of these shapes…", window)
    action.setShortcut(QKeySequence("Ctrl+G"))
    action.triggered.connect(lambda: open_gallery_for(window))
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions() if a.menu()}
    (menus.get("View") or window.menuBar().addMenu("&View")).addAction(action)
    window.gallery_action = action
    return action


def open_gallery_for(window, rows: int = 4, cols: int = 4) -> GalleryWindow | None:  # noqa: ANN001
    """Show (or raise) the gallery of the shapes open in ``window``."""
    predictor, entries = window.session.predictor, window.doc.library.entries
    if predictor is None or not entries:
        window.show_error("Gallery", "Open a model and some shapes first.")
        return None
    gallery = getattr(window, "gallery", None)
    if gallery is None:
        gallery = GalleryWindow(rows, cols, predictor=predictor, jobs=window.session.jobs)
        gallery.open_instance.connect(lambda path: select_in_main_view(window, path))
        window.gallery = gallery
    gallery.set_entries(entries)
    gallery.show()
    gallery.raise_()
    return gallery


def select_in_main_view(window, path: str) -> None:  # noqa: ANN001
    library = window.doc.library
    index = library.index_of(path)
    if index < 0:
        window.session.open_paths([path])
        return
    library.set_current(index)
    window.raise_()
    window.activateWindow()


def open_main_view(path: str, checkpoint: str | Path, config: str | Path | None, device: str):
    """From the standalone gallery: a main window on the instance's dataset, at that instance."""
    from ..app import _build, build_parser

    args = build_parser().parse_args([path, "--checkpoint", str(checkpoint), "--device", device,
                                      *(["--config", str(config)] if config else [])])
    _, doc, session, window = _build(args, synchronous=False)
    window.show()
    session.open_checkpoint(str(checkpoint), config=config)
    session.open_paths([path])
    return window
