"""Inference: checkpoints to part meshes for shapes. The viewer and ``np-infer`` use only this."""
from .predictor import Prediction, Predictor, resolve_device
from .shapes import ShapeInput, ShapeLoadError, ShapeRef, list_shapes, load_shape

__all__ = ["Prediction", "Predictor", "ShapeInput", "ShapeLoadError", "ShapeRef", "list_shapes",
           "load_shape", "resolve_device"]
