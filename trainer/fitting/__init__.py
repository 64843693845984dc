"""Per-shape fitting: optimise the training objective on one shape (``np-fit``, the viewer's
Shapes > Fit to this shape). See ``trainer.fitting.fit`` for what is optimised."""
from .fit import FitOptions, FitProgress, FitResult, fit_shape, trainable_parameters
from .shape import FitShape, prepare_shape

__all__ = ["FitOptions", "FitProgress", "FitResult", "FitShape", "fit_shape",
           "prepare_shape", "trainable_parameters"]
