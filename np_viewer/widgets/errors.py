"""Error dialogs and the global exception hook (an exception in a slot never kills the app)."""
from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import Callable

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


def install_excepthook(show_dialog: bool = True,
                       on_error: Callable[[str], None] | None = None) -> Callable[[], None]:
    """Route uncaught exceptions (PySide6 reports exceptions raised in slots through
    ``sys.excepthook``) to stderr and, when ``show_dialog``, to a dialog; the event loop goes on.
    Returns a function that restores the previous hook."""
    previous = sys.excepthook
    state = {"in_dialog": False}

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(text)
        message = f"{exc_type.__name__}: {exc}".strip()
        if on_error is not None:
            on_error(message)
        if show_dialog and QApplication.instance() is not None and not state["in_dialog"]:
            state["in_dialog"] = True       # an error inside the dialog must not recurse
            try:
                box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error",
                                  f"{message}\n\nThe app keeps running; the details are below.")
                box.setDetailedText(text)
                box.exec()
            finally:
                state["in_dialog"] = False

    sys.excepthook = hook

    def restore() -> None:
        sys.excepthook = previous

    return restore
