"""Optimizers of the published schema (``training.optimizer``: Adam | RAdam | SGD)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import torch

from ..config import ConfigError


def build_optimizer(training: Mapping[str, Any], parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    name = str(training.get("optimizer", "Adam"))
    lr = float(training.get("lr", 5e-5))
    wd = float(training.get("weight_decay", 0.0))
    if name == "Adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=wd)
    if name == "RAdam":
        return torch.optim.RAdam(parameters, lr=lr, weight_decay=wd)
    if name == "SGD":
        return torch.optim.SGD(parameters, lr=lr, momentum=float(training.get("momentum", 0.9)), weight_decay=wd)
    raise ConfigError(f"training.optimizer {name!r} is not supported; use Adam, RAdam or SGD")
