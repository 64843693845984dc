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
import shutil
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
from ..published_keys import check_training_config
from . import distributed as D
from . import rng
from .data import BatchIndexStream, PassIndexed, build_dataset, collate
from .logs import CSVLog, TensorBoardLog
from .optim import build_optimizer
from .objective import Objective, batch_loss
from .validation import ValidationSettings, Validator


@dataclass
class TrainOptions:
    out_dir: Path
    resume: bool | str | Path = False   # True: OUT_DIR/last.pt; a path: that checkpoint
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


def train(config: Mapping[str, Any] | str | Path, options: TrainOptions, dataset: Dataset | None = None) -> TrainResult:
    """Train the primitive model ``network.type`` names, as ``config`` says; see the module docstring."""
    from ..model import build_model

    cfg = load_config(config)
    s = _Settings.from_config(cfg["training"])
    objective = Objective.from_config(cfg)  # fail on a bad loss section before any work
    check_training_config(cfg, objective.loss_fn.names)  # and on any published key value we do not implement
    info = D.setup(options.device)
    out = Path(options.out_dir)
    stop = _StopFlag(options.handle_sigint)
    try:
        # Same initial weights on every rank (DDP also broadcasts rank 0's).
        rng.seed_everything(s.seed)
        model = build_model(cfg).to(info.device)
        optimizer = build_optimizer(cfg["training"], model.parameters())
        use_amp = s.amp != "off" and info.device.type == "cuda"
        amp_dtype = torch.bfloat16 if s.amp == "bf16" else torch.float16
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)

        step, elapsed = 0, 0.0
        resume_from = _resume_path(options)
        state = None
        if resume_from is not None:
            state = checkpoint.read(resume_from, map_location="cpu")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if "scaler" in state and state["scaler"]:
                scaler.load_state_dict(state["scaler"])
            step, elapsed = int(state["step"]), float(state.get("seconds", 0.0))
        total = s.epochs * s.steps_per_epoch
        end = total if options.max_steps is None else min(total, int(options.max_steps))

        if dataset is None:
            dataset = build_dataset(cfg, cfg["training"].get("splits", ["train", "val"]), seed=s.seed)
        stream = BatchIndexStream(len(dataset), s.batch_size, info.rank, info.world_size, s.seed, start_batch=step)
        loader = DataLoader(PassIndexed(dataset), batch_sampler=stream, collate_fn=collate, num_workers=s.num_workers,
                            generator=torch.Generator().manual_seed(s.seed),  # keeps the global RNG untouched
                            pin_memory=info.device.type == "cuda")
        ddp = DistributedDataParallel(model, device_ids=[info.device] if info.device.type == "cuda" else None) \
            if info.distributed else model

        # RNG: per-rank streams (sphere samples differ across ranks), restored on resume.
        if state is not None and "rng" in state:
            ranks = state["rng"]
            rng.restore(ranks[info.rank] if info.rank < len(ranks) else ranks[0])
        else:
            rng.seed_everything(s.seed + 1000 * info.rank + 1)

        logs = tb = None
        if info.is_main:
            out.mkdir(parents=True, exist_ok=True)
            save_config(cfg, out / "config.yaml")
            logs = CSVLog(out / "log.csv")
            logs.truncate_after(step)
            tb = TensorBoardLog(out / "tensorboard", purge_step=step + 1 if step else None)
        validator, val_log = _validation(cfg, objective, s, info, out, step) if info.is_main else (None, None)

        validated_at = -1

        def validate() -> None:
            nonlocal validated_at
            validated_at = step
            row = {"step": step, "epoch": step // s.steps_per_epoch, **validator.run(model)}
            val_log.write(row)
            tb.write(step, {k: v for k, v in row.items() if k not in ("step", "epoch")}, prefix="val")
            if bar is not None:
                bar.write(f"validation at step {step}: loss {row['loss']:.4f}, IoU {row['iou']:.3f}")

        def save(path_step: int, final: bool = False) -> Path | None:
            rng_states = D.gather_objects(rng.capture(), info)
            if not info.is_main:
                return None
            extra = dict(step=path_step, epoch=path_step // s.steps_per_epoch, optimizer=optimizer.state_dict(),
                         rng=rng_states, seconds=elapsed + (time.perf_counter() - t0), world_size=info.world_size,
                         scaler=scaler.state_dict() if scaler.is_enabled() else {},
                         device=str(info.device), torch_version=str(torch.__version__))
            ck_dir = out / "checkpoints"
            path = checkpoint.save(ck_dir / f"step_{path_step:08d}.pt", model, cfg, **extra)
            shutil.copyfile(path, out / ".last.pt.tmp")
            (out / ".last.pt.tmp").replace(out / "last.pt")
            if final:
                shutil.copyfile(path, out / ".model.pt.tmp")
                (out / ".model.pt.tmp").replace(out / "model.pt")
            old = sorted(ck_dir.glob("step_*.pt"))[:-s.keep_checkpoints] if s.keep_checkpoints > 0 else []
            for p in old:
                p.unlink(missing_ok=True)
            return path

        bar = None
        if info.is_main and options.progress:
            from tqdm import tqdm
            bar = tqdm(total=end, initial=step, desc="train", unit="step", dynamic_ncols=True)

        t0 = time.perf_counter()
        history: list[dict[str, float]] = []
        model.train()
        data_iter = iter(loader)
        last_path: Path | None = None
        interrupted = False
        while step < end:
            cycle_terms: dict[str, float] = {}
            cycle_loss = 0.0
            n_micro = min(s.aggregate, end - step)
            for micro in range(n_micro):
                batch = _to_device(next(data_iter), info.device)
                with torch.autocast(info.device.type, dtype=amp_dtype, enabled=use_amp):
                    loss, terms = batch_loss(model, batch, objective, forward=ddp)
                sync = micro == n_micro - 1 or not info.distributed
                if sync:
                    scaler.scale(loss).backward()
                else:
                    with ddp.no_sync():
                        scaler.scale(loss).backward()
                cycle_loss += float(loss.detach())
                for k, v in terms.items():
                    cycle_terms[k] = cycle_terms.get(k, 0.0) + v / n_micro
                step += 1
            if s.grad_clip is not None:
                scaler.unscale_(optimizer)
                grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), s.grad_clip))
            else:
                grad_norm = float("nan")
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)

            values = torch.tensor([cycle_loss / n_micro] + list(cycle_terms.values()), dtype=torch.float64,
                                  device=info.device)
            values = D.all_mean(values, info).tolist()
            row = {"step": step, "epoch": step // s.steps_per_epoch, "loss": values[0],
                   **dict(zip(cycle_terms, values[1:])), "grad_norm": grad_norm,
                   "lr": optimizer.param_groups[0]["lr"],
                   "seconds": round(elapsed + time.perf_counter() - t0, 3)}
            history.append(row)
            if info.is_main:
                if step % s.log_every < n_micro or step >= end:
                    logs.write(row)
                    tb.write(step, {k: v for k, v in row.items() if k not in ("step", "epoch", "seconds")})
                if bar is not None:
                    bar.update(n_micro)
                    bar.set_postfix(loss=f"{values[0]:.4f}", epoch=row["epoch"])
            if validator is not None and validator.due(step, step - n_micro):
                validate()
            if D.any_rank(stop.requested, info):
                interrupted = True
                break
            if step % s.checkpoint_every == 0 and step < end:
                last_path = save(step) or last_path
        if validator is not None and not interrupted and step >= total and validated_at != step:
            validate()  # a completed run always ends with a validation row
        if bar is not None:
            bar.close()
        last_path = save(step, final=not interrupted and step >= total) or last_path
        if info.is_main and interrupted:
            print(f"Interrupted at step {step}/{end}; checkpoint saved to {last_path}. "
                  f"Continue with --resume.", flush=True)
        if tb is not None:
            tb.close()
        return TrainResult(step, total, last_path, interrupted, elapsed + time.perf_counter() - t0, history, model)
    finally:
        stop.close()
        D.cleanup(info)
