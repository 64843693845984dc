"""Optimizers of the published schema (``training.optimizer``: Adam | RAdam | SGD) and the
learning-rate schedule (``training.lr_schedule``, ours: constant as published, or cosine decay)."""
from __future__ import annotations

import math
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


SCHEDULES = ("constant", "cosine")


def _schedule(training: Mapping[str, Any]) -> Any:
    """``training.lr_schedule`` as a mapping (a bare name is its ``type``)."""
    sched = training.get("lr_schedule", "constant")
    return {"type": sched} if isinstance(sched, str) else sched


def check_lr_schedule(training: Mapping[str, Any]) -> None:
    """Refuse a ``training.lr_schedule`` (ours) this trainer does not implement, by key."""
    sched = _schedule(training)
    if not isinstance(sched, Mapping) or sched.get("type", "constant") not in SCHEDULES:
        raise ConfigError(f"training.lr_schedule is {training.get('lr_schedule')!r}; use one of "
                          f"{', '.join(SCHEDULES)} or {{type: cosine, final_fraction: 0.1, warmup_steps: 0}}")
    unknown = sorted(set(sched) - {"type", "final_fraction", "warmup_steps"})
    if unknown:
        raise ConfigError(f"training.lr_schedule.{unknown[0]} is not a schedule setting "
                          "(type, final_fraction, warmup_steps)")
    fraction, warmup = sched.get("final_fraction", 0.1), sched.get("warmup_steps", 0)
    if not isinstance(fraction, (int, float)) or not 0.0 <= float(fraction) <= 1.0:
        raise ConfigError(f"training.lr_schedule.final_fraction is {fraction!r}; it must be in [0, 1]")
    if not isinstance(warmup, int) or warmup < 0:
        raise ConfigError(f"training.lr_schedule.warmup_steps is {warmup!r}; it must be an integer >= 0")


def lr_at(training: Mapping[str, Any], step: int, total: int) -> float:
    """The learning rate for optimizer step ``step`` of a ``total``-step run. A function of the
    step alone (no scheduler state), so a resumed run follows the same curve exactly; ``total``
    is the config's run length, not ``--max-steps``, so stopping early does not bend it."""
    base = float(training.get("lr", 5e-5))
    sched = _schedule(training)
    warmup = int(sched.get("warmup_steps", 0))
    if warmup and step < warmup:
        return base * (step + 1) / warmup
    if sched.get("type", "constant") == "constant":
        return base
    final = base * float(sched.get("final_fraction", 0.1))
    progress = min(max((step - warmup) / max(total - warmup, 1), 0.0), 1.0)
    return final + 0.5 * (base - final) * (1.0 + math.cos(math.pi * progress))
