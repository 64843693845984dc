"""Neural Parts Studio: learning side (model, data, training, evaluation, inference).

Nothing under ``trainer`` imports Qt; the desktop app lives in ``np_viewer``.
"""
__version__ = "0.1.0"
