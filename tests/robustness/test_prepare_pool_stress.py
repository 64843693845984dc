"""The prepare pool started again and again from a process whose other threads are busy in
manifold3d booleans and torch matmuls: with the "fork" start method a worker could inherit a
lock held by one of those threads and hang for ever (a CI run hung 24 minutes that way)."""
from __future__ import annotations

import threading

import manifold3d
import torch

from trainer.data.pipeline import PrepareOptions
from trainer.data.prepare import Task, run_tasks
from trainer.data.sources import synthetic_jobs

STARTS = 6


def _busy(stop: threading.Event) -> None:
    a = torch.randn(256, 256)
    while not stop.is_set():
        parts = [manifold3d.Manifold.cube([1, 1, 1]).translate([0.3 * k, 0, 0]) for k in range(6)]
        manifold3d.Manifold.batch_boolean(parts, manifold3d.OpType.Add)
        a = torch.tanh(a @ a)


def test_pool_starts_while_other_threads_hold_library_locks(tmp_path):
    options = PrepareOptions(n_surface=200, n_uniform=200, n_near=200, voxels=False)
    stop = threading.Event()
    threads = [threading.Thread(target=_busy, args=(stop,), daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for run in range(STARTS):
            jobs = synthetic_jobs("chair", 2, seed=10 * run)
            tasks = [Task(j, "train", tmp_path / f"run{run}", options, 10_000, 8) for j in jobs]
            outcomes = list(run_tasks(tasks, workers=2, progress=False))
            assert sorted(o.job.name for o in outcomes if o.ok) == sorted(j.name for j in jobs), \
                [o.reason for o in outcomes]
    finally:
        stop.set()
        for t in threads:
            t.join(30)


def test_workers_do_not_inherit_locks_held_by_other_threads(tmp_path, monkeypatch):
    """The deterministic form of the hang: with "fork" every worker starts with this lock held."""
    import trainer.data.prepare as prepare
    from cli_helpers import HELD_BY_A_PARENT_THREAD, lock_probe_task

    monkeypatch.setattr(prepare, "run_task", lock_probe_task)  # workers import the real module afresh
    release = threading.Event()

    def hold() -> None:
        with HELD_BY_A_PARENT_THREAD:
            release.wait(60)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        tasks = [Task(j, "train", tmp_path, PrepareOptions(), 10_000, 8) for j in synthetic_jobs("chair", 2, 0)]
        outcomes = list(run_tasks(tasks, workers=2, progress=False))
    finally:
        release.set()
        holder.join(30)
    assert len(outcomes) == 2 and all(o.ok for o in outcomes), [o.reason for o in outcomes]
