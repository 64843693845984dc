"""Per-shape fitting: optimise the training objective on one shape (``np-fit``, the viewer's
Shapes > Fit to this shape). See ``trainer.fitting.fit`` for what is optimised."""
from .fit import DEFAULT_MODEL, FitOptions, FitProgress, FitResult, fit_shape, trainable_parameters
from .shape import FitShape, prepare_shape

__all__ = ["DEFAULT_MODEL", "FitOptions", "FitProgress", "FitResult", "FitShape", "fit_shape",
           "prepare_shape", "trainable_parameters"]
