"""The training loop behind ``np-train`` (single process or torchrun/DDP).

Steps are micro-batches, as in the published code: ``training.steps_per_epoch`` batches
make an epoch, and the optimizer updates every ``training.aggregate`` batches (gradients
of the batches in between are summed). Checkpoints are taken only at update boundaries,
so a checkpoint holds everything a continuation needs: model, optimizer (and AMP scaler)
state, every rank's RNG states and the step; the sample order is a function of the step
(see ``data.BatchIndexStream``), so ``--resume`` continues bit-for-bit.
"""
from __future__ import annotations

import math
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset

from .. import checkpoint
from ..config import load_config, save_config
from ..fsutil import copy_file
from ..processes import safe_context
from ..published_keys import check_training_config
from . import distributed as D
from . import rng
from .data import BatchIndexStream, PassIndexed, build_dataset, collate
from .logs import CSVLog, TensorBoardLog
from .optim import build_optimizer, lr_at
from .objective import Objective, batch_loss
from .validation import ValidationSettings, Validator


MAX_NONFINITE_STEPS = 10   # non-finite gradients this many steps in a row end the run (see _optimizer_step)


class NonFiniteGradients(RuntimeError):
    """Training produced non-finite gradients step after step; the model kept its last finite state."""


@dataclass
class TrainOptions:
    out_dir: Path
    resume: bool | str | Path = False   # True: OUT_DIR/last.pt; a path: that checkpoint
    init_weights: str | Path | None = None  # a fresh run starts from these weights (a resumed one ignores it)
    device: str | None = None           # "auto" / None, "cpu", "cuda", "cuda:1"
    max_steps: int | None = None        # stop (with a checkpoint) once this step is reached
    progress: bool = True
    handle_sigint: bool = True


@dataclass
class TrainResult:
    step: int
    total_steps: int
    checkpoint: Path | None
    interrupted: bool
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    model: torch.nn.Module | None = None  # the trained (bare, not DDP-wrapped) model


@dataclass
class _Settings:
    epochs: int
    steps_per_epoch: int
    batch_size: int
    aggregate: int
    grad_clip: float | None
    seed: int
    checkpoint_every: int
    keep_checkpoints: int
    log_every: int
    num_workers: int
    amp: str  # "off", "fp16", "bf16"

    @classmethod
    def from_config(cls, t: Mapping[str, Any]) -> "_Settings":
        spe = int(t.get("steps_per_epoch", 500))
        agg = max(1, int(t.get("aggregate", 1)))
        every = t.get("checkpoint_every")
        every = int(every) if every else int(t.get("save_frequency", 10)) * spe
        every = max(agg, math.ceil(every / agg) * agg)  # only at update boundaries
        clip = t.get("grad_clip", 1.0)
        amp = t.get("mixed_precision", False)
        amp = {False: "off", None: "off", True: "fp16"}.get(amp, str(amp))
        return cls(
            epochs=int(t.get("epochs", 1)), steps_per_epoch=spe, batch_size=int(t.get("batch_size", 1)),
            aggregate=agg, grad_clip=None if clip in (None, 0, False) else float(clip),
            seed=int(t.get("seed", 27)), checkpoint_every=every,
            keep_checkpoints=int(t.get("keep_checkpoints", 3)), log_every=max(1, int(t.get("log_every", agg))),
            num_workers=int(t.get("num_workers", 0)), amp=amp,
        )


class _StopFlag:
    """First Ctrl-C (SIGINT) or SIGTERM asks the loop to stop at the next update boundary
    and save; a second one aborts immediately. SIGTERM matters under torchrun, whose agent
    turns a Ctrl-C into SIGTERM for the workers, and under batch schedulers."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, install: bool):
        self.requested = False
        self._previous: dict[int, object] = {}
        if install:
            for sig in self.SIGNALS:
                try:
                    self._previous[sig] = signal.signal(sig, self._handler)
                except ValueError:  # not the main thread: no handlers
                    break

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def close(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


def _to_device(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}


def _resume_path(options: TrainOptions) -> Path | None:
    if options.resume in (False, None):
        return None
    if options.resume is True:
        return Path(options.out_dir) / "last.pt"
    return Path(options.resume)


def _validation(cfg: Mapping[str, Any], objective: Objective, s: "_Settings", info, out: Path, step: int):
    """(Validator, CSV log) when the config asks for validation and its splits have
    shapes; otherwise (None, None), with a warning when they were asked for."""
    import sys

    from ..config import ConfigError

    settings = ValidationSettings.from_config(cfg, s.steps_per_epoch)
    if settings.every <= 0:
        return None, None
    try:
        validator = Validator(cfg, objective, settings, info.device)
    except ConfigError as exc:
        print(f"np-train: warning: validation disabled, splits {settings.splits} unusable: {exc}",
              file=sys.stderr, flush=True)
        return None, None
    log = CSVLog(out / "validation.csv")
    log.truncate_after(step)
    return validator, log


class TrainRun:
    """One run of :func:`train`, in three parts: the constructor sets everything up (model,
    optimizer, resumed state, data order, RNG, logs), :meth:`update` takes one optimizer step
    over ``aggregate`` micro-batches and logs it, :meth:`save_checkpoint` writes the state a
    ``--resume`` continues from. :meth:`run` loops them until the end, a stop or an interrupt.
    The order of the set-up steps is part of the exact-resume contract (it fixes the RNG streams)."""

    def __init__(self, cfg: dict, s: _Settings, objective: Objective, info: D.DistInfo,
                 options: TrainOptions, dataset: Dataset | None) -> None:
        self.cfg, self.s, self.objective, self.info, self.options = cfg, s, objective, info, options
        self.out = Path(options.out_dir)
        self._build_model()
        state = self._resume()
        self.total = s.epochs * s.steps_per_epoch
        self.end = self.total if options.max_steps is None else min(self.total, int(options.max_steps))
        self.loader = self._loader(dataset)
        self.ddp = DistributedDataParallel(self.model, device_ids=[info.device] if info.device.type == "cuda"
                                           else None) if info.distributed else self.model
        # RNG: per-rank streams (sphere samples differ across ranks), restored on resume.
        if state is not None and "rng" in state:
            ranks = state["rng"]
            rng.restore(ranks[info.rank] if info.rank < len(ranks) else ranks[0])
        else:
            rng.seed_everything(s.seed + 1000 * info.rank + 1)
        self._open_logs()
        self.validated_at = -1
        self.bar = None
        if info.is_main and options.progress:
            from tqdm import tqdm
            self.bar = tqdm(total=self.end, initial=self.step, desc="train", unit="step", dynamic_ncols=True)
        self.history: list[dict[str, float]] = []
        self.skipped_steps = 0          # updates skipped for non-finite gradients
        self._nonfinite_in_a_row = 0
        self.last_path: Path | None = None
        self.t0 = time.perf_counter()

    # --- set-up --------------------------------------------------------------------------------
    def _build_model(self) -> None:
        from ..model import build_model

        # Same initial weights on every rank (DDP also broadcasts rank 0's).
        rng.seed_everything(self.s.seed)
        self.model = build_model(self.cfg).to(self.info.device)
        self.optimizer = build_optimizer(self.cfg["training"], self.model.parameters())
        self.use_amp = self.s.amp != "off" and self.info.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.s.amp == "bf16" else torch.float16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp and self.amp_dtype == torch.float16)

    def _resume(self) -> dict | None:
        """Load the checkpoint ``--resume`` names into model, optimizer and scaler and set ``step``;
        a fresh run takes ``--init-weights`` instead, when given (step 0, a new optimizer)."""
        self.step, self.elapsed = 0, 0.0
        self.init_weights = None if self.options.init_weights is None else str(self.options.init_weights)
        resume_from = _resume_path(self.options)
        if resume_from is None:
            if self.init_weights is not None:
                checkpoint.load_initial_weights(self.model, self.init_weights)
            return None
        state = checkpoint.read_training_state(resume_from, map_location="cpu")
        checkpoint.load_weights(self.model, state.get("model"), resume_from, "the config of this run")
        self.optimizer.load_state_dict(state["optimizer"])
        if "scaler" in state and state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
        self.step, self.elapsed = int(state["step"]), float(state.get("seconds", 0.0))
        self.init_weights = state.get("init_weights")  # what the run was started from, kept across resumes
        return state

    def _loader(self, dataset: Dataset | None) -> DataLoader:
        s, info = self.s, self.info
        if dataset is None:
            dataset = build_dataset(self.cfg, self.cfg["training"].get("splits", ["train", "val"]), seed=s.seed)
        stream = BatchIndexStream(len(dataset), s.batch_size, info.rank, info.world_size, s.seed,
                                  start_batch=self.step)
        return DataLoader(PassIndexed(dataset), batch_sampler=stream, collate_fn=collate, num_workers=s.num_workers,
                          multiprocessing_context=safe_context() if s.num_workers > 0 else None,  # never fork
                          generator=torch.Generator().manual_seed(s.seed),  # keeps the global RNG untouched
                          pin_memory=info.device.type == "cuda")

    def _open_logs(self) -> None:
        self.logs = self.tb = None
        self.validator, self.val_log = None, None
        if not self.info.is_main:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        save_config(self.cfg, self.out / "config.yaml")
        self.logs = CSVLog(self.out / "log.csv")
        self.logs.truncate_after(self.step)
        self.tb = TensorBoardLog(self.out / "tensorboard", purge_step=self.step + 1 if self.step else None)
        self.validator, self.val_log = _validation(self.cfg, self.objective, self.s, self.info, self.out, self.step)

    # --- the loop ------------------------------------------------------------------------------
    def run(self, stop: _StopFlag) -> TrainResult:
        self.t0 = time.perf_counter()
        self.model.train()
        batches = iter(self.loader)
        interrupted = False
        while self.step < self.end:
            n_micro = self.update(batches)
            if self.validator is not None and self.validator.due(self.step, self.step - n_micro):
                self.validate()
            if D.any_rank(stop.requested, self.info):
                interrupted = True
                break
            if self.step % self.s.checkpoint_every == 0 and self.step < self.end:
                self.last_path = self.save_checkpoint() or self.last_path
        return self._finish(interrupted)

    def update(self, batches) -> int:  # noqa: ANN001 - the loader's iterator
        """One optimizer step over up to ``aggregate`` micro-batches (gradients summed, DDP syncing
        only on the last); logs the step's row. Returns the number of micro-batches taken."""
        s, info = self.s, self.info
        terms: dict[str, float] = {}
        loss_sum = 0.0
        n_micro = min(s.aggregate, self.end - self.step)
        for micro in range(n_micro):
            batch = _to_device(next(batches), info.device)
            with torch.autocast(info.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
                loss, batch_terms = batch_loss(self.model, batch, self.objective, forward=self.ddp)
            if micro == n_micro - 1 or not info.distributed:
                self.scaler.scale(loss).backward()
            else:
                with self.ddp.no_sync():
                    self.scaler.scale(loss).backward()
            loss_sum += float(loss.detach())
            for k, v in batch_terms.items():
                terms[k] = terms.get(k, 0.0) + v / n_micro
            self.step += 1
        grad_norm = self._optimizer_step()
        self._log(loss_sum / n_micro, terms, grad_norm, n_micro)
        return n_micro

    def _optimizer_step(self) -> float:
        """Clip (when configured), step and zero the gradients; returns the gradient norm. A step
        whose gradients are not finite is skipped (one NaN would spoil every weight for good; the
        fp16 scaler does the same for its overflows), and MAX_NONFINITE_STEPS in a row stop the
        run with the last finite state saved."""
        self.scaler.unscale_(self.optimizer)
        clip = self.s.grad_clip if self.s.grad_clip is not None else math.inf
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip))
        if not math.isfinite(grad_norm) and not self.scaler.is_enabled():
            self.optimizer.zero_grad(set_to_none=True)
            self._skip_nonfinite_step()
            return grad_norm
        self._nonfinite_in_a_row = 0
        lr = lr_at(self.cfg["training"], self.step - 1, self.total)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        return grad_norm

    def _skip_nonfinite_step(self) -> None:
        self.skipped_steps += 1
        self._nonfinite_in_a_row += 1
        if self._nonfinite_in_a_row < MAX_NONFINITE_STEPS:
            return
        path = self.save_checkpoint()
        raise NonFiniteGradients(
            f"the gradients were not finite for {self._nonfinite_in_a_row} steps in a row (up to step {self.step}; "
            f"{self.skipped_steps} skipped in all), so training stopped; the weights are the last finite ones"
            + (f", saved to {path}" if path else "") + ". Check the data for NaNs and lower training.lr")

    def _log(self, loss: float, terms: dict[str, float], grad_norm: float, n_micro: int) -> None:
        """Average the step's values over the ranks; the main rank writes them every ``log_every``."""
        step, info = self.step, self.info
        values = torch.tensor([loss] + list(terms.values()), dtype=torch.float64, device=info.device)
        values = D.all_mean(values, info).tolist()
        row = {"step": step, "epoch": step // self.s.steps_per_epoch, "loss": values[0],
               **dict(zip(terms, values[1:])), "grad_norm": grad_norm,
               "lr": self.optimizer.param_groups[0]["lr"], "seconds": round(self._seconds(), 3)}
        self.history.append(row)
        if not info.is_main:
            return
        if step % self.s.log_every < n_micro or step >= self.end:
            self.logs.write(row)
            self.tb.write(step, {k: v for k, v in row.items() if k not in ("step", "epoch", "seconds")})
        if self.bar is not None:
            self.bar.update(n_micro)
            self.bar.set_postfix(loss=f"{values[0]:.4f}", epoch=row["epoch"])

    def validate(self) -> None:
        step = self.validated_at = self.step
        row = {"step": step, "epoch": step // self.s.steps_per_epoch, **self.validator.run(self.model)}
        self.val_log.write(row)
        self.tb.write(step, {k: v for k, v in row.items() if k not in ("step", "epoch")}, prefix="val")
        if self.bar is not None:
            self.bar.write(f"validation at step {step}: loss {row['loss']:.4f}, IoU {row['iou']:.3f}")

    def _seconds(self) -> float:
        """Training time so far, across resumes."""
        return self.elapsed + (time.perf_counter() - self.t0)

    # --- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, final: bool = False) -> Path | None:
        """Write checkpoints/step_<step>.pt (every rank's RNG state gathered to the main rank),
        point last.pt (and, for a finished run, model.pt) at it and drop all but the newest
        ``keep_checkpoints``. Returns the path on the main rank, None on the others."""
        rng_states = D.gather_objects(rng.capture(), self.info)
        if not self.info.is_main:
            return None
        s, info, step = self.s, self.info, self.step
        extra = dict(step=step, epoch=step // s.steps_per_epoch, optimizer=self.optimizer.state_dict(),
                     rng=rng_states, seconds=self._seconds(), world_size=info.world_size,
                     scaler=self.scaler.state_dict() if self.scaler.is_enabled() else {},
                     device=str(info.device), torch_version=str(torch.__version__))
        if self.init_weights is not None:
            extra["init_weights"] = self.init_weights
        ck_dir = self.out / "checkpoints"
        path = checkpoint.save(ck_dir / f"step_{step:08d}.pt", self.model, self.cfg, **extra)
        copy_file(path, self.out / "last.pt")
        if final:
            copy_file(path, self.out / "model.pt")
        old = sorted(ck_dir.glob("step_*.pt"))[:-s.keep_checkpoints] if s.keep_checkpoints > 0 else []
        for p in old:
            p.unlink(missing_ok=True)
        return path

    def _finish(self, interrupted: bool) -> TrainResult:
        """The closing validation and checkpoint of a run (finished or interrupted)."""
        step = self.step
        if self.validator is not None and not interrupted and step >= self.total and self.validated_at != step:
            self.validate()  # a completed run always ends with a validation row
        if self.bar is not None:
            self.bar.close()
        self.last_path = self.save_checkpoint(final=not interrupted and step >= self.total) or self.last_path
        if self.info.is_main and interrupted:
            print(f"Interrupted at step {step}/{self.end}; checkpoint saved to {self.last_path}. "
                  f"Continue with --resume.", flush=True)
        if self.tb is not None:
            self.tb.close()
        return TrainResult(step, self.total, self.last_path, interrupted, self._seconds(), self.history,
                           self.model)


def train(config: Mapping[str, Any] | str | Path, options: TrainOptions, dataset: Dataset | None = None) -> TrainResult:
    """Train the primitive model ``network.type`` names, as ``config`` says; see the module docstring."""
    cfg = load_config(config)
    s = _Settings.from_config(cfg["training"])
    objective = Objective.from_config(cfg)  # fail on a bad loss section before any work
    check_training_config(cfg, objective.loss_fn.names)  # and on any published key value we do not implement
    info = D.setup(options.device)
    stop = _StopFlag(options.handle_sigint)
    try:
        return TrainRun(cfg, s, objective, info, options, dataset).run(stop)
    finally:
        stop.close()
        D.cleanup(info)
