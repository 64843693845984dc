"""Process-group setup for torchrun (DDP): gloo on CPU, NCCL on CUDA.

Single-process runs (plain ``np-train``) need no environment variables; under
``torchrun`` the usual RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT are set.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    owns_group: bool = False  # we created the process group (and destroy it at the end)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(requested: str | None, local_rank: int = 0) -> torch.device:
    """"auto" (or None): CUDA when present, else CPU; "cuda" without CUDA is an error."""
    if requested in (None, "auto"):
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was requested but this machine has no usable CUDA device.")
        return torch.device("cuda", local_rank if requested == "cuda" else int(requested.split(":")[1]))
    return torch.device(requested)


def setup(requested_device: str | None = None) -> DistInfo:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(requested_device, local_rank)
    owns = False
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend)
        owns = True
    return DistInfo(rank, world, local_rank, device, owns)


def cleanup(info: DistInfo | None = None) -> None:
    """Destroy the process group if ``info`` says we created it."""
    if info is not None and info.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def all_mean(values: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Mean of a small tensor over ranks (identity when not distributed)."""
    if not info.distributed:
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / info.world_size


def any_rank(flag: bool, info: DistInfo) -> bool:
    """True on every rank if ``flag`` is True on any rank (used to stop together)."""
    if not info.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=info.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def gather_objects(obj, info: DistInfo) -> list:
    """Every rank's ``obj`` (list indexed by rank) on every rank."""
    if not info.distributed:
        return [obj]
    out: list = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out
