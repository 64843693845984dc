"""Instance names under the cells as ONE textured actor (a strip per grid row, drawn with Qt).

Sixteen VTK text actors cost the software renderer about a fifth of the whole frame, and a
translucent texture sends every frame through VTK's translucent pass (measured: +65%). One OPAQUE
strip per row, in the background colour and just behind the shapes, costs almost nothing, and is
redrawn only when a name, its state or the zoom changes.
"""
from __future__ import annotations

import numpy as np
import pyvista as pv
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

LABEL_PX = 20                # strip height on screen, pixels (text about 13 px)
MAX_SLOT_PX = 640
Z = -1.0                     # behind every instance (parts stay within ~1 of their cell centre)


def draw_strips(texts: list[list[tuple[str, bool]]], background: str, colour: tuple[float, float, float],
                error_colour: tuple[float, float, float], slot_px: int) -> np.ndarray:
    """(rows * LABEL_PX, cols * slot_px, 3) uint8 on ``background``: row r's labels in strip r (top
    strip = row 0), drawn at screen resolution. Each label is (text, is_error)."""
    rows = len(texts)
    cols = max((len(r) for r in texts), default=1) or 1
    w, h = max(16, min(int(slot_px), MAX_SLOT_PX)), LABEL_PX
    image = QImage(cols * w, max(rows, 1) * h, QImage.Format.Format_RGB888)
    image.fill(QColor(background))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        font = QFont()
        font.setPixelSize(int(h * 0.65))
        painter.setFont(font)
        for r, row in enumerate(texts):
            for c, (text, error) in enumerate(row):
                painter.setPen(QColor.fromRgbF(*(error_colour if error else colour)))
                rect = QRectF(c * w + 4, r * h, w - 8, h)
                elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, w - 8)
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), elided)
    finally:
        painter.end()
    stride = image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), np.uint8, count=stride * image.height())
    return buf.reshape(image.height(), stride)[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def strips_mesh(rows: int, cols: int, spacing: float, drop: float, px_per_unit: float) -> pv.PolyData:
    """One quad per grid row, under that row's cells, LABEL_PX pixels tall on screen, with texture
    coordinates into the sheet."""
    height = LABEL_PX / max(px_per_unit, 1e-6)
    x0, x1 = -spacing / 2, (cols - 0.5) * spacing
    points, faces, tcoords = [], [], []
    for r in range(rows):
        top = -r * spacing - drop
        v_top, v_bottom = 1.0 - r / rows, 1.0 - (r + 1) / rows     # texture origin is bottom-left
        base = len(points)
        points += [(x0, top - height, Z), (x1, top - height, Z), (x1, top, Z), (x0, top, Z)]
        tcoords += [(0.0, v_bottom), (1.0, v_bottom), (1.0, v_top), (0.0, v_top)]
        faces += [4, base, base + 1, base + 2, base + 3]
    mesh = pv.PolyData(np.array(points, float), faces=np.array(faces))
    mesh.active_texture_coordinates = np.array(tcoords, float)
    return mesh
