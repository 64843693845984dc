"""Evaluation numbers for the current shape when it has ground truth: the evaluation code's
own per-shape scores (trainer.evaluate via the Predictor), so they match np-eval."""
from __future__ import annotations

from trainer.inference import Prediction, Predictor, ShapeInput


def shape_metrics(predictor: Predictor, prediction: Prediction, shape: ShapeInput) -> dict[str, float]:
    return predictor.evaluate(prediction, shape)
