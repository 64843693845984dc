"""The primitive types a shape can be fitted with from scratch, one budget for all: ``np-fit --type``
and the compare view's "Fit all primitive types".

The four arms of the paper's comparison: Neural Parts (the open model's flow), ellipsoids (the same
with 0 coupling layers), superquadrics and cuboids (the network section of the shipped
configs/superquadrics_6.yaml and configs/cuboids_6.yaml). Every arm keeps the open model's data,
encoder, objective and primitive count, so only the primitive type differs.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..config import load_config
from .fit import FitOptions

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
FLOW_SECTIONS = ("invertible_network", "projection_layer")


def _neural_parts(base: dict) -> dict:
    return base


def _ellipsoids(base: dict) -> dict:
    base["invertible_network"]["n_blocks"] = 0
    return base


def _shipped_network(name: str) -> Callable[[dict], dict]:
    def build(base: dict) -> dict:
        path = CONFIGS / f"{name}_6.yaml"
        network = dict(load_config(path)["network"])
        network["n_primitives"] = base["network"]["n_primitives"]
        base["network"] = network
        for section in FLOW_SECTIONS:       # a flow-less type has no use for them (and warns)
            base.pop(section, None)
        return base
    return build


@dataclass(frozen=True)
class PrimitiveArm:
    label: str
    key: str                            # np-fit --type
    config: Callable[[dict], dict]      # the open model's config (a copy) -> this arm's config


ARMS: tuple[PrimitiveArm, ...] = (
    PrimitiveArm("Neural Parts", "neural_parts", _neural_parts),
    PrimitiveArm("ellipsoids", "ellipsoids", _ellipsoids),
    PrimitiveArm("superquadrics", "superquadrics", _shipped_network("superquadrics")),
    PrimitiveArm("cuboids", "cuboids", _shipped_network("cuboids")),
)
ARM_KEYS = {arm.key: arm for arm in ARMS}


def arm_config(arm: PrimitiveArm, base_config: Mapping[str, Any]) -> dict:
    """The config ``arm`` fits, from the open model's config. Needs a flow model's config (the
    Neural Parts and ellipsoid arms take its flow)."""
    base = copy.deepcopy(dict(base_config))
    if base.get("network", {}).get("type") != "flexible_primitives" or "invertible_network" not in base:
        raise ValueError("fitting another primitive type needs a Neural Parts model's config (its flow "
                         "is the Neural Parts arm); "
                         f"this model is {base.get('network', {}).get('type')!r}")
    return arm.config(base)


def arm_options(arm: PrimitiveArm, base_config: Mapping[str, Any], seconds: float | None, steps: int | None,
                device: str = "auto", seed: int = 0, primitives: int | None = None, **options: Any) -> FitOptions:
    """Scratch-fit options of one arm: the same budget, seed and primitive count for every arm
    (``primitives``: that count, default the base config's; ``options``: other FitOptions fields)."""
    cfg = arm_config(arm, base_config)
    if primitives is not None:
        cfg["network"]["n_primitives"] = int(primitives)
    return FitOptions(mode="scratch", primitives=int(cfg["network"]["n_primitives"]), seconds=seconds,
                      steps=steps, device=device, seed=seed, config=cfg, **options)
