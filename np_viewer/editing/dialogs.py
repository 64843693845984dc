"""The few questions editing asks a person; tests replace the QFileDialog/QMessageBox calls."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from trainer.export import ExportExistsError


def ask_save_path(parent: QWidget, title: str, filters: str, default_suffix: str) -> Path | None:
    """A path to write, with the filter's suffix added when the user typed none. We confirm
    replacing existing files ourselves (after the write is checked), so Qt's own question is off."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, "", filters,
                                               options=QFileDialog.Option.DontConfirmOverwrite)
    if not path:
        return None
    p = Path(path)
    if not p.suffix:
        suffix = default_suffix
        if chosen and "*." in chosen:
            suffix = "." + chosen.split("*.", 1)[1].split(")", 1)[0].split()[0]
        p = p.with_name(p.name + suffix)
    return p


def confirm_replace(parent: QWidget, exc: ExportExistsError) -> bool:
    answer = QMessageBox.question(parent, "Replace existing files?", f"{exc}\n\nReplace?",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget, title: str, message: str) -> None:
    """Through the main window when it has ``show_error`` (it stays quiet in --screenshot runs)."""
    if hasattr(parent, "show_error"):
        parent.show_error(title, message)
    else:
        QMessageBox.critical(parent, title, message)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().replace(" ", "").split("x"))
    except ValueError:
        raise ValueError(f"A size looks like 1280x800, not {text!r}.") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise ValueError(f"The size {w}x{h} is out of range (16 to 8192 pixels per side).")
    return w, h
