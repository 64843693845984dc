"""Evaluation numbers for the current shape when it has ground truth: the evaluation code's
own per-shape scores (trainer.evaluate via the Predictor). Same protocol and functions as
np-eval, but for the prediction on screen, i.e. from the viewer's input points; np-eval's
row for the shape uses its own seeded input subsample, so the two can differ slightly."""
from __future__ import annotations

from trainer.inference import Prediction, Predictor, ShapeInput


def shape_metrics(predictor: Predictor, prediction: Prediction, shape: ShapeInput) -> dict[str, float]:
    return predictor.evaluate(prediction, shape)
