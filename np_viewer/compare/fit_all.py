"""Fit all: every primitive type fitted to the shape from scratch with the same budget.

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

from trainer.config import load_config
from trainer.fitting import FitOptions

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
    config: Callable[[dict], dict]      # the open model's config (a copy) -> this arm's config


ARMS: tuple[PrimitiveArm, ...] = (
    PrimitiveArm("Neural Parts", _neural_parts),
    PrimitiveArm("ellipsoids", _ellipsoids),
    PrimitiveArm("superquadrics", _shipped_network("superquadrics")),
    PrimitiveArm("cuboids", _shipped_network("cuboids")),
)


def arm_config(arm: PrimitiveArm, base_config: Mapping[str, Any]) -> dict:
    """The config ``arm`` fits, from the open model's config. Needs a flow model's config (the
    Neural Parts and ellipsoid arms take its flow)."""
    base = copy.deepcopy(dict(base_config))
    if base.get("network", {}).get("type") != "flexible_primitives" or "invertible_network" not in base:
        raise ValueError("Fit all needs a Neural Parts model open (its flow is the Neural Parts arm); "
                         f"this model is {base.get('network', {}).get('type')!r}")
    return arm.config(base)


def arm_options(arm: PrimitiveArm, base_config: Mapping[str, Any], seconds: float | None, steps: int | None,
                device: str = "auto", seed: int = 0) -> FitOptions:
    """Scratch-fit options of one arm: the same budget, seed and primitive count for every arm."""
    cfg = arm_config(arm, base_config)
    return FitOptions(mode="scratch", primitives=int(cfg["network"]["n_primitives"]), seconds=seconds,
                      steps=steps, device=device, seed=seed, config=cfg)
