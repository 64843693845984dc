"""The bundled models, one per bundled shape family, and the rule that picks one for a shape
when no checkpoint is given.

The models are ``assets/models/<category>.pt`` (``humanoid.pt``, ``chair.pt``, ``airplane.pt``);
``default.pt`` is a link to ``humanoid.pt`` kept for commands that name it. The folder can be
replaced with an argument or the ``NP_BUNDLED_MODELS`` environment variable (tests do).

The rule (``choose_model``): a shape whose category has a bundled model gets that model; any
other shape (a user's mesh, or a category with no model of its own) gets the bundled model whose
predicted union surface is closest to the shape's surface samples (Chamfer-L1, as np-eval
measures it), and the distances are kept so that a user can be told why.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:
    from .predictor import Predictor
    from .shapes import ShapeInput

ENV_VAR = "NP_BUNDLED_MODELS"
MODELS_DIR = Path(__file__).resolve().parents[2] / "assets" / "models"
DEFAULT_CATEGORY = "humanoid"
DEFAULT_MODEL = MODELS_DIR / f"{DEFAULT_CATEGORY}.pt"   # "the default model" wherever one is named
ALIAS = "default"                  # default.pt links to DEFAULT_MODEL; it names no family of its own
DISTANCE_RESOLUTION = 0            # icosphere level of the candidates' predictions (only their features count)


class NoBundledModels(Exception):
    """The bundled models' folder holds no model; the message names the folder."""


def models_dir(folder: str | os.PathLike | None = None) -> Path:
    """The bundled models' folder: ``folder``, else ``$NP_BUNDLED_MODELS``, else assets/models."""
    if folder is not None:
        return Path(folder)
    return Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else MODELS_DIR


def bundled_models(folder: str | os.PathLike | None = None) -> dict[str, Path]:
    """{category: model file} of the bundled models, sorted by category."""
    root = models_dir(folder)
    if not root.is_dir():
        return {}
    return {p.stem: p for p in sorted(root.glob("*.pt")) if p.stem != ALIAS and p.is_file()}


def model_for_category(category: str, folder: str | os.PathLike | None = None) -> Path | None:
    """The bundled model of ``category``, or None when there is none."""
    return bundled_models(folder).get(category) if category else None


@dataclass(frozen=True)
class Choice:
    """Which bundled model a shape gets, and why."""

    path: Path
    category: str                 # the family of the chosen model
    reason: str                   # "category" (the shape's own) or "closest" (by Chamfer-L1)
    distances: dict[str, float] = field(default_factory=dict)   # category -> Chamfer-L1, for "closest"
    shape_category: str = ""      # the shape's category ("" when it has none)

    def describe(self) -> str:
        """One line for a status bar or a log: ``chair.pt (category chair)``,
        ``humanoid.pt (closest of 3: Chamfer-L1 0.031; no bundled model for category lamp)``."""
        if self.reason == "category":
            return f"{self.path.name} (category {self.category})"
        text = f"{self.path.name} (closest of {len(self.distances)}: Chamfer-L1 {self.distances[self.category]:.3f}"
        if self.shape_category:
            text += f"; no bundled model for category {self.shape_category}"
        return text + ")"

    def to_json(self) -> dict:
        return {"model": str(self.path), "category": self.category, "reason": self.reason,
                "distances": {k: (v if math.isfinite(v) else None) for k, v in self.distances.items()},
                "description": self.describe()}


def choose_model(shape: "ShapeInput", candidates: Mapping[str, Path] | None = None,
                 load: Callable[[Path], "Predictor"] | None = None) -> Choice:
    """The model for ``shape`` among ``candidates`` ({category: file}; default: the bundled
    models): its category's, else the closest by Chamfer-L1 of the predicted union to the shape
    (``load`` turns a file into a Predictor; default: on the CPU). Raises ``NoBundledModels``."""
    candidates = bundled_models() if candidates is None else dict(candidates)
    if not candidates:
        raise _none_in(models_dir())
    if shape.category in candidates:
        return Choice(Path(candidates[shape.category]), shape.category, "category", {}, shape.category)
    if load is None:
        from .predictor import Predictor
        load = lambda path: Predictor(path, device="cpu")  # noqa: E731
    distances = {cat: _distance(load(Path(path)), shape) for cat, path in candidates.items()}
    best = min(distances, key=lambda cat: distances[cat])
    return Choice(Path(candidates[best]), best, "closest", distances, shape.category)


def _none_in(folder: Path) -> NoBundledModels:
    return NoBundledModels(f"{folder} holds no bundled models (<category>.pt); give a checkpoint.")


def _distance(predictor: "Predictor", shape: "ShapeInput") -> float:
    """Chamfer-L1 between the predicted union's surface and the shape's (inf: no surface)."""
    try:
        return predictor.union_distance(predictor.predict(shape, DISTANCE_RESOLUTION), shape.points)
    except ValueError:
        return math.inf


class BundledModels:
    """The bundled models as Predictors, loaded once each, with each shape's choice remembered
    (by the shape's source): what np-infer, np-fit and the app use when no checkpoint is given."""

    def __init__(self, folder: str | os.PathLike | None = None, device: str = "auto") -> None:
        self.folder = models_dir(folder)
        self.paths = bundled_models(self.folder)
        self.device = device
        self._predictors: dict[Path, "Predictor"] = {}
        self._choices: dict[tuple[str, str], Choice] = {}
        if not self.paths:
            raise _none_in(self.folder)

    def predictor(self, path: Path) -> "Predictor":
        if path not in self._predictors:
            from .predictor import Predictor
            self._predictors[path] = Predictor(path, device=self.device)
        return self._predictors[path]

    def choose(self, shape: "ShapeInput") -> Choice:
        key = (shape.source, shape.category)
        if key not in self._choices:
            self._choices[key] = choose_model(shape, self.paths, self.predictor)
        return self._choices[key]

    def for_shape(self, shape: "ShapeInput") -> tuple["Predictor", Choice]:
        choice = self.choose(shape)
        return self.predictor(choice.path), choice


__all__ = ["ALIAS", "BundledModels", "Choice", "DEFAULT_CATEGORY", "DEFAULT_MODEL", "ENV_VAR", "MODELS_DIR",
           "NoBundledModels", "bundled_models", "choose_model", "model_for_category", "models_dir"]
