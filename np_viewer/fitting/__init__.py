"""Shapes > Fit to this shape: per-shape fitting (``trainer.fitting``) in the app, as a job of the
viewer's job service. One entry point: ``install_fitting(window)``."""
from .controller import FitController, install_fitting
from .dialog import FitDialog
from .edit import FitEdit

__all__ = ["FitController", "FitDialog", "FitEdit", "install_fitting"]
