"""Checkpoint files: ours (config + tensors in one file) and the authors' published ones.

Loading never executes code from the file: everything goes through ``torch.load`` with
``weights_only=True``, whose unpickler only rebuilds tensors, containers and numbers and
refuses any other global (``os.system``, arbitrary classes, ...).
"""
from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import Any, Mapping

import torch

from .config import ConfigError, load_config
from .fsutil import replacing

FORMAT = "neural-parts-studio/checkpoint"
VERSION = 1


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message is one sentence naming the file."""


class ConfigNeeded(CheckpointError):
    """A published state dict with no YAML config given and none to choose beside it: the caller
    can ask for one (the viewer opens a file dialog) and load again with ``config``."""


def _plain(value: Any) -> Any:
    """Config values as plain containers (safe for weights_only loading)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def save(path: str | Path, model: torch.nn.Module | Mapping[str, torch.Tensor],
         config: Mapping[str, Any], **extra: Any) -> Path:
    """Write config + state dict (+ ``extra``: optimizer state, step, RNG...) atomically."""
    path = Path(path)
    state = model.state_dict() if isinstance(model, torch.nn.Module) else dict(model)
    payload = {"format": FORMAT, "version": VERSION, "config": _plain(config),
               "model": {k: v.detach().cpu() for k, v in state.items()}, **extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        torch.save(payload, tmp)
    return path


def _torch_load(path: Path, map_location: Any) -> Any:
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is an empty file (0 bytes)")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL\s+([\w.]+)", str(exc))
        if found:
            raise CheckpointError(
                f"checkpoint {path} was refused: it asks to run or build '{found.group(1)}' when loaded, "
                "and only tensors and plain data are accepted"
            ) from None
        raise CheckpointError(f"checkpoint {path} is corrupt or not a PyTorch file{_what_it_holds(path)}") from None
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - torch's unpickler lets IndexError, KeyError, RuntimeError... through
        raise CheckpointError(f"checkpoint {path} is corrupt or not a PyTorch file{_what_it_holds(path)}") from None


def _what_it_holds(path: Path) -> str:
    """A hint at what a file that failed to load is, in the user's terms (never the parser's)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return ""
    if head.startswith(b"PK"):
        return ": the archive is incomplete (truncated by an interrupted copy or download?)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the probe
            return ""
    if b"\0" not in head:
        return ": it holds text (a config or a log?), not tensors"
    return ""


def read(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """The raw contents of one of our checkpoint files (``format``, ``config``, ``model``, extras)."""
    path = Path(path)
    data = _torch_load(path, map_location)
    if not (isinstance(data, dict) and data.get("format") == FORMAT):
        raise CheckpointError(f"{path} is not a Neural Parts Studio checkpoint (no '{FORMAT}' header)")
    if int(data.get("version", 0)) > VERSION:
        raise CheckpointError(f"checkpoint {path} was written by a newer version (format {data['version']})")
    return data


# How a model was made: what a released file keeps and what np-eval reports copy.
RUN_FACTS = ("step", "epoch", "seconds", "world_size", "device", "torch_version", "init_weights", "hardware",
             "command")


def run_facts(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``RUN_FACTS`` entries of a checkpoint's contents (``read(path)``)."""
    return {k: data[k] for k in RUN_FACTS if k in data}


def provenance(path: str | Path) -> dict[str, Any] | None:
    """``run_facts`` of the checkpoint at ``path``, for reports that must outlive it; None for a
    published state dict."""
    try:
        return run_facts(read(path))
    except CheckpointError:
        return None


def read_training_state(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """A checkpoint that ``np-train --resume`` can continue from (model, optimizer and step)."""
    data = read(path, map_location)
    missing = [k for k in ("model", "optimizer", "step") if k not in data]
    if missing:
        raise CheckpointError(f"checkpoint {path} holds no training state ({', '.join(missing)} missing): "
                              "it can be evaluated or viewed but not resumed")
    return data


def _published_config(path: Path, config: str | Path | Mapping[str, Any] | None) -> dict[str, Any]:
    if config is not None:
        return load_config(config)
    beside = sorted(path.parent.glob("*.yaml")) + sorted(path.parent.glob("*.yml"))
    preferred = [p for p in beside if p.stem == "config"]
    if len(preferred) == 1 or len(beside) == 1:
        return load_config((preferred or beside)[0])
    found = ", ".join(p.name for p in beside) or "none"
    raise ConfigNeeded(
        f"checkpoint {path} is a bare state dict (published format) and needs its YAML config: "
        f"pass one explicitly (YAML files beside it: {found})"
    )


def state_mismatch(expected: Mapping[str, torch.Tensor], state: Mapping[str, Any], limit: int = 3) -> list[str]:
    """How ``state`` differs from the ``expected`` state dict, in a few lines (empty when it fits)."""
    def first(names: list[str]) -> str:
        shown = ", ".join(f"'{n}'" for n in names[:limit])
        return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")

    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and isinstance(state[k], torch.Tensor)
                and tuple(state[k].shape) != tuple(expected[k].shape)]
    lines = []
    if missing:
        lines.append(f"missing {len(missing)} keys: {first(missing)}")
    if unexpected:
        lines.append(f"{len(unexpected)} unexpected keys: {first(unexpected)}")
    if reshaped:
        more = f", first {limit}" if len(reshaped) > limit else ""
        lines.append(f"{len(reshaped)} tensors differ in shape{more}:")
        lines += [f"  '{k}' has shape {tuple(state[k].shape)} in the file but the config needs "
                  f"{tuple(expected[k].shape)}" for k in reshaped[:limit]]
    return lines


def _check_state(path: Path, model: torch.nn.Module, state: Mapping[str, Any], against: str = "its config") -> None:
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"checkpoint {path}: entry '{key}' is not a tensor")
    lines = state_mismatch(model.state_dict(), state)
    if lines:
        raise CheckpointError(f"checkpoint {path} does not match {against}:\n  " + "\n  ".join(lines))
    for key, got in state.items():
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise CheckpointError(f"checkpoint {path} is damaged: '{key}' contains NaN or infinite values")


def load_weights(model: torch.nn.Module, state: Any, path: str | Path, against: str = "its config",
                 assign: bool = False) -> None:
    """Load ``state`` (a checkpoint's model tensors) into ``model``, or raise a ``CheckpointError``
    that says in a few lines which keys and shapes differ (e.g. resuming with another config).
    ``assign``: take the file's tensors as the model's (for a model built on the meta device)."""
    if not isinstance(state, Mapping):
        raise CheckpointError(f"checkpoint {path} has no model tensors")
    _check_state(Path(path), model, state, against)
    model.load_state_dict(state, strict=True, assign=assign)


def load(path: str | Path, config: str | Path | Mapping[str, Any] | None = None,
         map_location: Any = "cpu"):
    """(model in eval mode, its full config) from our checkpoint or a published state dict.

    For a published file, ``config`` is its YAML (path or dict); when omitted, the single
    YAML file beside the checkpoint (or ``config.yaml``) is used.
    """
    from .model import build_model  # here to keep checkpoint inspection import-light

    path = Path(path)
    data = _torch_load(path, map_location)
    state = _model_tensors(path, data)
    if data is state:  # a published state dict: its config is a YAML beside it
        try:
            cfg = _published_config(path, config)
        except ConfigError as exc:
            raise CheckpointError(str(exc)) from None
    else:
        cfg = load_config(config if config is not None else data.get("config") or {})
    try:
        # On the meta device: no random initialisation that the file's tensors would overwrite
        # (and no use of torch's RNG on a viewer's worker thread); every tensor comes from the file.
        with torch.device("meta"):
            model = build_model(cfg)
    except (ConfigError, ValueError, TypeError, KeyError) as exc:
        raise CheckpointError(f"checkpoint {path}: its config cannot build a model ({exc})") from None
    load_weights(model, state, path, assign=True)
    _check_materialised(path, model)
    model.to(map_location if isinstance(map_location, (str, torch.device)) else "cpu")
    return model.eval(), cfg


def _check_materialised(path: Path, model: torch.nn.Module) -> None:
    """Every tensor of a model built on the meta device must have come from the file."""
    left = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    left += [f"{name}.{attr}" for name, module in model.named_modules() for attr, value in vars(module).items()
             if isinstance(value, torch.Tensor) and value.is_meta]
    if left:
        raise CheckpointError(f"checkpoint {path}: the model has tensors the file does not hold: {', '.join(left[:5])}")


def _model_tensors(path: Path, data: Any) -> Any:
    """The model tensors of a loaded file: ours (its ``model`` entry) or a published state dict."""
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return data.get("model")
    if isinstance(data, Mapping) and data and all(isinstance(v, torch.Tensor) for v in data.values()):
        return data
    raise CheckpointError(f"{path} is neither a Neural Parts Studio checkpoint nor a model state dict")


def load_initial_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Start ``model`` from another run's weights (ours or the authors' published .pt), for
    fine-tuning: only the tensors are taken, and they must fit ``model``'s config."""
    path = Path(path)
    load_weights(model, _model_tensors(path, _torch_load(path, "cpu")), path, "the config of this run")


def parameter_count(model: torch.nn.Module) -> int:
    """Trainable parameters (helper for summaries)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["CheckpointError", "FORMAT", "load", "load_initial_weights", "load_weights", "read", "save", "parameter_count", "read_training_state", "state_mismatch"]
