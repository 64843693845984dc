"""Inference: checkpoints to part meshes for shapes. The viewer and ``np-infer`` use only this."""
from ..checkpoint import CheckpointError, ConfigNeeded
from .predictor import Prediction, Predictor, resolve_device
from .shapes import ShapeInput, ShapeLoadError, ShapeRef, list_shapes, load_shape

__all__ = ["CheckpointError", "ConfigNeeded", "Prediction", "Predictor", "ShapeInput", "ShapeLoadError",
           "ShapeRef", "list_shapes", "load_shape", "resolve_device"]
