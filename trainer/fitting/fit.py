"""Fit a decomposition to one shape with the training objective (``trainer.training.objective``).

A fit is training on a one-shape dataset with the encoder input held fixed (the exact input
``Predictor`` builds for the shape), so the fitted model is an ordinary model of its type:
saved with ``trainer.checkpoint`` it gives the fitted parts in ``np-infer``, ``np-eval`` and
the viewer. The encoder's weights stay as they are; what is optimised is

- the shape's encoder output, as the bias of the encoder's last Linear (a constant shift
  of the features, which is exactly a per-shape latent code baked into the checkpoint),
- the primitive embeddings, and, with ``FitOptions.trainable = "all"``, the primitive type's own parameters (the flow)
  (a per-shape copy: the fit works on a copy of the model).

``refine`` starts from a loaded model, so primitive k starts where the model puts it and
keeps its role; ``scratch`` starts from a freshly initialised model with M primitives.
"""
from __future__ import annotations

import copy
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..input_kinds import POINTS
from ..inference.bundled import DEFAULT_MODEL
from ..metrics import iou as iou_score
from ..model.registry import build_model
from .shape import FitShape, prepare_shape

MODES = ("refine", "scratch")
IOU_POINTS = 4096          # uniform samples the running IoU estimate uses


@dataclass
class FitOptions:
    mode: str = "refine"            # "refine" (start from a loaded model) | "scratch" (fresh model)
    primitives: int = 6             # scratch only
    steps: int | None = None        # stop after this many steps (None: no step limit)
    seconds: float | None = 60.0    # wall-clock budget (None: no time limit)
    device: str = "auto"            # "auto" | "cpu" | "cuda"
    threads: int | None = None      # torch threads for the fit (None: leave as is)
    seed: int = 0
    snapshot_every: float = 1.0     # seconds between progress callbacks that carry a model snapshot
    # recipe (benchmarks/README.md, "Per-shape fitting"); None takes the config's value
    lr: float | None = None         # peak learning rate (None: RECIPE_LR)
    final_lr_fraction: float = 0.05  # cosine decay to this fraction of lr over the budget
    trainable: str = "all"          # "features" (encoder-output bias + embeddings) | "all" (+ the flow)
    flow_lr_scale: float | None = None  # the flow's lr relative to lr (None: RECIPE_FLOW_LR_SCALE)
    volume_points: int | None = None   # per step (None: data.n_points_in_mesh)
    surface_points: int | None = None  # per step (None: data.n_points_on_mesh)
    log_every: int = 10             # steps between history rows (and progress callbacks)
    rank_every: int = 10            # steps between scorings of the state on the fixed ranking draw
    iou_every: float = 2.0          # seconds between running IoU estimates (each costs about one step)
    config: dict | None = None      # scratch only: the config of the model to fit (any network.type, built by
                                    # trainer.model.registry.build_model); None: the start model's architecture


RECIPE_LR = {"refine": 1e-3, "scratch": 3e-3}
RECIPE_FLOW_LR_SCALE = {"refine": 0.1, "scratch": 1.0}  # refine: a slow flow keeps each part's role


@dataclass
class FitProgress:
    step: int
    total_steps: int | None
    elapsed: float
    eta: float | None
    objective: float
    best_objective: float
    iou: float | None
    model: torch.nn.Module | None = None


@dataclass
class FitResult:
    model: torch.nn.Module
    config: dict
    steps: int
    elapsed: float
    best_objective: float           # on the fixed ranking draw (see _FixedDraw)
    iou_before: float | None
    iou_after: float | None
    stopped: str                    # "steps" | "seconds" | "cancelled" | "interrupted"
    history: list[dict] = field(default_factory=list)
    best_step: int = 0              # the returned state is the one after this many updates
    ranking: list[tuple[int, float]] = field(default_factory=list)   # (step, objective on the fixed draw)


class _FixedDraw:
    """The objective on one fixed draw of targets and sphere samples. Each step's objective is
    measured on fresh samples, so the lowest of them is mostly the luckiest draw; states scored
    on the same draw compare on equal terms, and the best of those is the one a fit returns."""

    def __init__(self, batch: dict, objective, seed: int):
        self.batch, self.objective, self.seed = batch, objective, seed

    def __call__(self, net: torch.nn.Module) -> float:
        from ..training.objective import batch_loss
        was_training = net.training
        device = next(net.parameters()).device
        net.eval()
        try:
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                torch.manual_seed(self.seed)
                loss, _ = batch_loss(net, self.batch, self.objective)   # no backward: the weights' grads stay
            return float(loss.detach())
        finally:
            net.train(was_training)


class _Signals:
    """SIGINT/SIGTERM set a flag while installed (main thread only; elsewhere a no-op)."""

    def __init__(self, install: bool):
        self.requested = False
        self._previous: dict[int, object] = {}
        if install and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)

    def _handler(self, signum, frame) -> None:
        if self.requested:        # a second one: stop now, the caller still gets the best state
            raise KeyboardInterrupt
        self.requested = True

    def close(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def _load_model(model: torch.nn.Module | str | os.PathLike | None) -> torch.nn.Module:
    from .. import checkpoint
    if model is None:
        model = DEFAULT_MODEL
    if isinstance(model, torch.nn.Module):
        return copy.deepcopy(model).cpu()
    loaded, _ = checkpoint.load(Path(model), map_location="cpu")
    return loaded


def _initial_model(options: FitOptions, model) -> torch.nn.Module:
    """A private copy to optimise: the loaded model (refine) or a fresh one of the same
    architecture with ``primitives`` parts (scratch)."""
    if options.mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {options.mode!r}")
    base = _load_model(model)
    if options.mode == "refine":
        return base
    if options.primitives < 1:
        raise ValueError(f"primitives must be at least 1, got {options.primitives}")
    cfg = copy.deepcopy(options.config if options.config is not None else base.config)
    cfg["network"]["n_primitives"] = int(options.primitives)
    torch.manual_seed(options.seed)
    return build_model(cfg)


def _last_linear(module: torch.nn.Module) -> torch.nn.Linear:
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    if not linears or linears[-1].bias is None:
        raise ValueError("the encoder has no final Linear layer with a bias to hold the shape's code")
    return linears[-1]


def trainable_parameters(model: torch.nn.Module, trainable: str) -> tuple[list, list]:
    """(feature parameters, flow parameters) a fit optimises (see the module docstring);
    everything else is frozen. The flow list is empty for ``trainable="features"``."""
    if trainable not in ("features", "all"):
        raise ValueError(f"trainable must be 'features' or 'all', got {trainable!r}")
    features = [_last_linear(model.feature_extractor).bias, model.primitive_embedding]
    encoder = {id(p) for p in model.feature_extractor.parameters()} | {id(model.primitive_embedding)}
    # the primitive type's own parameters (the flow, or an analytic type's pose/size heads)
    flow = [p for p in model.parameters() if id(p) not in encoder] if trainable == "all" else []
    chosen = {id(p) for p in features + flow}
    for p in model.parameters():
        p.requires_grad_(id(p) in chosen)
    return features, flow


def _lr_at(progress: float, options: FitOptions, lr: float) -> float:
    """Cosine decay from lr to final_lr_fraction * lr as the budget is used up."""
    f = options.final_lr_fraction
    return lr * (f + (1 - f) * 0.5 * (1 + math.cos(math.pi * min(max(progress, 0.0), 1.0))))


class _Budget:
    def __init__(self, options: FitOptions):
        if options.steps is None and options.seconds is None:
            raise ValueError("set steps, seconds or both: a fit needs a stopping rule")
        if options.steps is not None and options.steps < 1:
            raise ValueError(f"steps must be at least 1, got {options.steps}")
        if options.seconds is not None and not options.seconds > 0:
            raise ValueError(f"seconds must be positive, got {options.seconds}")
        self.steps, self.seconds = options.steps, options.seconds
        self.start()

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def progress(self, step: int) -> float:
        """Fraction of the budget used (the larger of steps and time)."""
        fractions = []
        if self.steps is not None:
            fractions.append(step / self.steps)
        if self.seconds is not None:
            fractions.append(self.elapsed() / self.seconds)
        return max(fractions)

    def done(self, step: int) -> str | None:
        if self.steps is not None and step >= self.steps:
            return "steps"
        if self.seconds is not None and self.elapsed() >= self.seconds:
            return "seconds"
        return None

    def eta(self, step: int) -> float | None:
        etas = []
        elapsed = self.elapsed()
        if self.steps is not None and step > 0:
            etas.append(elapsed / step * (self.steps - step))
        if self.seconds is not None:
            etas.append(self.seconds - elapsed)
        return max(0.0, min(etas)) if etas else None


def estimate_iou(model: torch.nn.Module, F: torch.Tensor, points: torch.Tensor, occupancy: np.ndarray) -> float:
    """IoU of the union (min phi < 0) at fixed uniform volume samples (np-eval's definition)."""
    with torch.no_grad():
        inside = model.implicit(F, points[None])[0].min(-1)[0] < 0
    return iou_score(inside.cpu().numpy(), occupancy)


def _current_iou(model: torch.nn.Module, x: torch.Tensor, points: torch.Tensor, occupancy: np.ndarray) -> float:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            device = next(model.parameters()).device
            return estimate_iou(model, model(x.to(device)), points.to(device), occupancy)
    finally:
        model.train(was_training)


def _snapshot(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    snap = copy.deepcopy(model).cpu()
    snap.load_state_dict(state)
    for p in snap.parameters():
        p.requires_grad_(False)
    return snap.eval()


def fit_shape(shape, options: FitOptions, model: torch.nn.Module | str | os.PathLike | None = None,
              on_progress: Callable[[FitProgress], None] | None = None,
              should_stop: Callable[[], bool] | None = None, handle_signals: bool = False) -> FitResult:
    """Fit a decomposition to ``shape`` (a ``ShapeInput``, ``FitShape`` or path); see the module
    docstring. ``model`` (a module or checkpoint path; default: the bundled model) is the start
    (refine) or the architecture (scratch); it is never modified. ``should_stop()`` is polled
    every step. ``handle_signals`` (main thread only) makes Ctrl-C / SIGTERM end the fit with the
    best state so far (stopped="interrupted")."""
    from ..data.datasets import InMemoryDataset
    from ..inference.predictor import Predictor, resolve_device
    from ..training.data import collate
    from ..training.objective import Objective, batch_loss

    budget = _Budget(options)         # checks the stopping rule before any work
    if options.rank_every < 1:
        raise ValueError(f"rank_every must be at least 1, got {options.rank_every}")
    fit = prepare_shape(shape)
    net = _initial_model(options, model)
    cfg = copy.deepcopy(net.config)
    device, _ = resolve_device(options.device)
    previous_threads = torch.get_num_threads()
    if options.threads:
        torch.set_num_threads(int(options.threads))
    signals = _Signals(handle_signals)
    try:
        predictor = Predictor(net, device=str(device))       # moves net to the device
        x = predictor.encoder_input(fit.input)               # the fixed input np-infer gives this shape
        objective = Objective.from_config(cfg)
        data = cfg["data"]
        # the targets come from the dataset exactly as in training; its "input" is replaced by x
        sampling = dict(
            n_input_points=1, input_kind=POINTS,
            n_surface_samples=int(options.surface_points or data.get("n_points_on_mesh", 2000)),
            n_volume_samples=int(options.volume_points or data.get("n_points_in_mesh", 2000)),
            equal=bool(data.get("equal", True)), positive_weight=float(data.get("positive_weight", 0) or 0))
        dataset = InMemoryDataset([fit.record], seed=options.seed, **sampling)

        def batch_of(ds) -> dict:
            batch = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in collate([ds[0]]).items()}
            batch["input"] = x
            return batch
        # the ranking draw: another seed than the training draws', so no step trains on it
        rank = _FixedDraw(batch_of(InMemoryDataset([fit.record], seed=options.seed + 1, **sampling)),
                          objective, seed=options.seed + 2)
        upts, uocc = fit.uniform
        pick = np.random.default_rng(options.seed).permutation(len(upts))[:IOU_POINTS]
        iou_pts = torch.as_tensor(upts[pick], dtype=torch.float32, device=device)
        iou_occ = uocc[pick]

        net.eval()
        with torch.no_grad():
            F0 = net(x)
        iou_before = estimate_iou(net, F0, iou_pts, iou_occ) if options.mode == "refine" else None

        features, flow = trainable_parameters(net, options.trainable)
        params = features + flow
        lr = float(options.lr if options.lr is not None else RECIPE_LR[options.mode])
        flow_scale = float(options.flow_lr_scale if options.flow_lr_scale is not None
                           else RECIPE_FLOW_LR_SCALE[options.mode])
        groups = [{"params": features, "scale": 1.0}] + ([{"params": flow, "scale": flow_scale}] if flow else [])
        optimizer = torch.optim.Adam(groups, lr=lr)
        clip = cfg["training"].get("grad_clip", 1.0)
        torch.manual_seed(options.seed + 1)                  # sphere samples

        net.train()
        budget.start()                    # the budget counts optimisation, not loading or preparing
        best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}   # kept if no score is finite
        best, best_step, last_iou = float("inf"), 0, iou_before

        def score_state(at: int) -> float:
            nonlocal best, best_step, best_state
            value = rank(net)
            ranking.append((at, value))
            if value < best:              # False for NaN
                best, best_step = value, at
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            return value

        history: list[dict] = []
        ranking: list[tuple[int, float]] = []
        step, stopped, last_snapshot, last_iou_at, ranked_at = 0, None, -float("inf"), 0.0, 0
        score_state(0)
        while True:
            stopped = budget.done(step)
            if stopped is None and should_stop is not None and should_stop():
                stopped = "cancelled"
            if stopped is None and signals.requested:
                stopped = "interrupted"
            if stopped is not None:
                break
            for group in optimizer.param_groups:
                group["lr"] = group["scale"] * _lr_at(budget.progress(step), options, lr)
            dataset.set_epoch(step)
            try:
                loss, terms = batch_loss(net, batch_of(dataset), objective)
                value = float(loss.detach())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                norm = torch.nn.utils.clip_grad_norm_(params, float(clip) if clip not in (None, 0, False) else math.inf)
                if torch.isfinite(norm):      # as np-train: a NaN step would spoil the weights for the rest
                    optimizer.step()
            except KeyboardInterrupt:     # a second Ctrl-C: no more work, not even a last scoring
                stopped, ranked_at = "interrupted", step
                break
            step += 1
            if step % options.rank_every == 0:   # before the snapshot below, which shows the best state
                score_state(step)
                ranked_at = step
            now = budget.elapsed()
            snapshot_due = on_progress is not None and now - last_snapshot >= options.snapshot_every
            iou_due = snapshot_due or now - last_iou_at >= options.iou_every
            if step % options.log_every == 0 or snapshot_due or iou_due:
                snap = _snapshot(net, best_state) if snapshot_due else None
                if snap is not None:
                    last_snapshot = now
                if iou_due:       # of the snapshot when there is one (what the viewer shows)
                    last_iou_at = now
                    last_iou = _current_iou(snap or net, x, iou_pts, iou_occ)
                history.append({"step": step, "elapsed": round(now, 3), "objective": value,
                                "best_objective": best, "iou": last_iou, **terms})
                if on_progress is not None:
                    on_progress(FitProgress(step, options.steps, now, budget.eta(step), value, best,
                                            last_iou, snap))
        if ranked_at != step:         # the last state is a candidate too
            score_state(step)
        result_model = _snapshot(net, best_state)
        iou_after = _current_iou(result_model, x, iou_pts, iou_occ)
        return FitResult(result_model, cfg, step, budget.elapsed(), best, iou_before, iou_after, stopped,
                         history, best_step, ranking)
    finally:
        signals.close()
        torch.set_num_threads(previous_threads)
