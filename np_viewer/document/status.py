"""What the app is doing and what it knows about the model: shown by the info panel and status bar."""
from __future__ import annotations

from .evented import Evented


class Status(Evented):
    _fields = {
        "busy": False,
        "message": "",
        "device": "",
        "device_note": "",
        "model_summary": {},     # name, path, primitives, encoder, parameters, ...
        "inference_ms": None,
        "metrics": {},           # evaluation metrics for the current shape when it has ground truth
        "error": "",             # last error message (the dialog shows it too)
        "fit": {},               # the fit on screen: mode, steps, seconds, stopped, before/after metrics
    }
