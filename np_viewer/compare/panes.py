"""What one pane of the compare view holds: a model's parts for the shape and its numbers."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from trainer.fitting import FitShape
from trainer.inference import Prediction, Predictor, ShapeInput
from trainer.metrics import iou

from ..session import input_distance

MAX_PANES = 4


@dataclass
class PaneResult:
    """One model's parts for the compared shape. ``seconds``: the prediction's time for a
    checkpoint, the fit's optimisation time for a fitted result."""

    label: str
    predictor: Predictor
    prediction: Prediction
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    source: str = "checkpoint"          # checkpoint | fit
    steps: int | None = None            # a fit's optimizer steps

    @property
    def n_primitives(self) -> int:
        return self.prediction.n_primitives

    def caption(self) -> str:
        """The pane's text: what it is, then IoU, Chamfer-L1, primitive count and time."""
        iou = self.metrics.get("IoU")
        chamfer = self.metrics.get("Chamfer-L1")
        scores = [f"IoU {iou:.3f}" if iou is not None else "IoU n/a",
                  f"Chamfer-L1 {chamfer:.4f}" if chamfer is not None else "Chamfer-L1 n/a"]
        what = "prediction"
        if self.source == "fit":
            what = "fit" if self.steps is None else f"fit {self.steps} steps,"
        return (f"{self.label}\n{'  '.join(scores)}\n"
                f"{self.n_primitives} primitives  {what} {self.seconds:.2f} s")


def pane_metrics(predictor: Predictor, prediction: Prediction, shape: ShapeInput,
                 samples: FitShape | None = None) -> dict[str, float]:
    """IoU and Chamfer-L1: the evaluation code's scores for a shape with ground truth; for a mesh,
    the IoU on the uniform inside/outside samples a fit measures (``samples``, from
    ``trainer.fitting.prepare_shape``) and the Chamfer-L1 to the input's surface samples."""
    out: dict[str, float] = {}
    if shape.ground_truth is not None:
        out.update(predictor.evaluate(prediction, shape))
    else:
        if samples is not None:
            points, occupancy = samples.uniform
            out["IoU"] = iou(predictor.implicit(prediction, points).min(1) < 0, occupancy)
        distance = input_distance(predictor, prediction, shape)
        if distance is not None:
            out["Chamfer-L1"] = distance
    return {k: float(v) for k, v in out.items() if math.isfinite(v)}


def check_pane_count(n: int) -> None:
    if not 1 <= n <= MAX_PANES:
        raise ValueError(f"the compare view shows 1 to {MAX_PANES} models, got {n}")
