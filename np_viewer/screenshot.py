"""Window and viewport screenshots (the VTK area is read from the plotter, the rest from Qt)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

from trainer.fsutil import replacing

from .widgets import MainWindow


def _qimage(img: np.ndarray) -> QImage:
    img = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
    h, w = img.shape[:2]
    return QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def compose(window: QWidget, view: QWidget, view_pixels: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 of ``window``: Qt draws the widgets, and the VTK pixels of ``view`` (which Qt
    cannot grab from an OpenGL surface) are painted in at the view's position."""
    image = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    painter = QPainter(image)
    try:
        top_left = view.mapTo(window, QPoint(0, 0))
        size = view.size()
        dpr = image.devicePixelRatio() or 1.0
        target = _qimage(view_pixels)
        if (target.width(), target.height()) != (round(size.width() * dpr), round(size.height() * dpr)):
            target = target.scaled(size.width(), size.height())
        painter.drawImage(top_left, target)
    finally:
        painter.end()
    return _array(image)


def grab_window(window: MainWindow, viewport_only: bool = False) -> np.ndarray:
    """(H, W, 3) uint8 of the whole window (or only its 3D view)."""
    view = window.viewport.screenshot()
    return view if viewport_only else compose(window, window.viewport, view)


def write_png(img: np.ndarray, path: str | Path) -> Path:
    """Write atomically (temporary file in the same folder, then rename)."""
    import imageio.v3 as iio
    path = Path(path)
    with replacing(path, suffix=".png") as tmp:
        iio.imwrite(tmp, img, extension=".png")
    return path


def save_settled(app, grab, out) -> int:  # noqa: ANN001 - a QApplication, a () -> image callable
    """Let queued paints run, write ``grab()`` to ``out`` as PNG and say so: the last step of
    every ``--screenshot`` runner. Returns the exit status (0)."""
    for _ in range(3):
        app.processEvents()
    img = grab()
    write_png(img, out)
    print(f"np-viewer: wrote {out} ({img.shape[1]}x{img.shape[0]})")
    return 0
