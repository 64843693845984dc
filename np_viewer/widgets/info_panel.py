"""Info panel: model summary, device, the current shape, inference time and metrics."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from ..document import Document


class InfoPanel(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(self)      # lets the panel shrink below its text's height
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(scroll)
        document.status.changed.connect(lambda *_: self.refresh())
        document.assembly.reset.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        s, info = self.doc.status, self.doc.assembly.info
        rows: list[tuple[str, str]] = []
        m = s.model_summary or {}
        if m:
            rows.append(("Model", str(m.get("chosen") or m.get("name", ""))))   # chosen: the bundled model and why
            rows.append(("Primitives", str(m.get("primitives", ""))))
            rows.append(("Encoder", f"{m.get('encoder', '')} (f={m.get('feature size', '')})"))
            rows.append(("Primitive", str(m.get("primitive", ""))))
            rows.append(("Parameters", f"{int(m.get('parameters', 0)):,}"))
        else:
            rows.append(("Model", "none loaded"))
        rows.append(("Device", s.device or "–"))
        if info.shape_name:
            rows.append(("Shape", info.shape_name + (f" ({info.category})" if info.category else "")))
            rows.append(("Mesh level", str(info.resolution)))
        if s.inference_ms is not None:
            rows.append(("Inference", f"{s.inference_ms:.0f} ms"))
        elif info.shape_name and m:
            rows.append(("Inference", "cached"))
        fit = s.fit or {}
        if fit:
            rows.append(("Fit", f"{fit.get('mode', '')}, {fit.get('primitives', '')} parts, {fit.get('steps', 0)} steps "
                                f"in {fit.get('seconds', 0):.0f} s ({fit.get('stopped', '')})"))
            before, after = fit.get("before", {}), fit.get("after", {})
            for k in after:
                b = before.get(k)
                rows.append((k, f"{b:.4f} → {after[k]:.4f}" if isinstance(b, float) else f"– → {after[k]:.4f}"))
        else:
            for k, v in (s.metrics or {}).items():
                rows.append((k, f"{v:.4f}" if isinstance(v, float) else str(v)))
        body = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
        note = f"<p style='color:#a05a00'>{html.escape(s.device_note)}</p>" if s.device_note else ""
        self.label.setText(f"<table>{body}</table>{note}")
