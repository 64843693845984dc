"""Pieces of ``np-train``: the loop, data order, logging, distributed setup."""
from .loop import TrainOptions, TrainResult, train

__all__ = ["TrainOptions", "TrainResult", "train"]
