"""Primitive model types by ``network.type``: adding a type is one module and one line here."""
from __future__ import annotations

from typing import Any, Mapping

from ..config import ConfigError, load_config
from .cuboids import Cuboids
from .neural_parts import NeuralParts
from .protocol import PrimitiveModel
from .superquadrics import Superquadrics

MODEL_TYPES: dict[str, type] = {
    "flexible_primitives": NeuralParts,   # the published name; 0 coupling layers = ellipsoids
    "superquadrics": Superquadrics,
    "cuboids": Cuboids,
}


def build_model(config: Mapping[str, Any]) -> PrimitiveModel:
    """A freshly initialised model of the type ``config['network']['type']`` names."""
    cfg = load_config(config)
    kind = cfg["network"].get("type")
    cls = MODEL_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ConfigError(f"network.type is {kind!r}; known primitive types: {', '.join(MODEL_TYPES)}")
    return cls.from_config(cfg)
