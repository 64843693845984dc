"""Connecting the gallery to the main view: View > Gallery in the app, and "open in main view"."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction

from ..widgets import MainWindow
from .window import GalleryWindow


def install_gallery_action(window: MainWindow) -> QAction:
    """Add View > Gallery (Ctrl+G) to the main window: a linked 4x4 gallery of the open shapes,
    sharing the window's model; clicking "open" on an instance selects it in the main view."""
    action = window.new_action("&Gallery of these shapes…", lambda: open_gallery_for(window), "Ctrl+G")
    window.add_to_menu("view", action)
    return action


def open_gallery_for(window: MainWindow, rows: int = 4, cols: int = 4) -> GalleryWindow | None:
    """Show (or raise) the gallery of the shapes open in ``window``: the window's extension
    ``"gallery"``, made again after the user closed it."""
    predictor, entries = window.session.predictor, window.doc.library.entries
    if predictor is None or not entries:
        window.show_error("Gallery", "Open a model and some shapes first.")
        return None

    def create() -> GalleryWindow:
        gallery = GalleryWindow(rows, cols, predictor=predictor, jobs=window.session.jobs)
        gallery.open_instance.connect(lambda path: select_in_main_view(window, path))
        return gallery

    gallery = window.extension("gallery", create)
    gallery.set_entries(entries)
    gallery.show()
    gallery.raise_()
    return gallery


def select_in_main_view(window: MainWindow, path: str) -> None:
    library = window.doc.library
    index = library.index_of(path)
    if index < 0:
        window.session.open_paths([path])
        return
    library.set_current(index)
    window.raise_()
    window.activateWindow()


def open_main_view(path: str, checkpoint: str | Path, config: str | Path | None, device: str) -> MainWindow:
    """From the standalone gallery: a main window on the instance's dataset, at that instance."""
    from ..app import build_app, build_parser

    args = build_parser().parse_args([path, "--checkpoint", str(checkpoint), "--device", device,
                                      *(["--config", str(config)] if config else [])])
    studio = build_app(args, synchronous=False)
    studio.window.show()
    studio.session.open_checkpoint(str(checkpoint), config=config)
    studio.session.open_paths([path])
    return studio.window
