"""Running the console commands as a user does, and checking what a user sees."""
from __future__ import annotations

import os
import threading
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = {"np-prepare": "trainer.data.prepare", "np-train": "trainer.train", "np-eval": "trainer.evaluate",
           "np-infer": "trainer.inference.cli", "np-viewer": "np_viewer.app"}
TINY_SAMPLES = ["--surface", "400", "--uniform", "400", "--near", "400", "--no-voxels", "--quiet"]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                OMP_NUM_THREADS="1")


def run(command: str, *args, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``command`` (np-prepare, ...) with ``args``, as ``python -m module``; a hang fails at ``timeout``."""
    return subprocess.run([sys.executable, "-m", MODULES[command], *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env(), cwd=cwd or ROOT)


def start(command: str, *args) -> subprocess.Popen:
    """``command`` in a process group of its own (so a test can signal it like a terminal does)."""
    return subprocess.Popen([sys.executable, "-m", MODULES[command], *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT, start_new_session=True)


def assert_one_error(res: subprocess.CompletedProcess, code: int, command: str, *names: object) -> str:
    """Exit ``code``, no traceback, one ``<command>: error:`` message naming each of ``names``."""
    err = res.stderr
    assert res.returncode == code, f"exit {res.returncode}\n{err[-3000:]}"
    assert "Traceback" not in err, err[-3000:]
    errors = [line for line in err.splitlines() if line.startswith(f"{command}: error:")]
    assert len(errors) == 1, err[-3000:]
    for name in names:
        assert str(name) in errors[0], errors[0]
    return errors[0]


def group_processes(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``, from /proc."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def wait_until_gone(pgid: int, seconds: float = 10.0) -> list[int]:
    """The processes of group ``pgid`` still alive after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while group_processes(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return group_processes(pgid)


def prepare_tiny_dataset(out: Path, count: int = 2, split: str = "train") -> Path:
    res = run("np-prepare", "--synthetic", "chair", "--count", count, "--workers", "1", "--split", split,
              "--out", out, *TINY_SAMPLES)
    assert res.returncode == 0, res.stderr
    return out


def tiny_train_config(path: Path, dataset: Path | None = None, **training) -> Path:
    """A YAML config of a tiny model (``testkit.tiny_config``) that trains in seconds."""
    import yaml

    from testkit import tiny_config
    cfg = tiny_config()
    cfg["data"] = {"dataset_type": "prepared", "n_points_on_mesh": 64, "n_points_in_mesh": 64,
                   "n_input_points": 64, **({"dataset_directory": str(dataset)} if dataset else {})}
    cfg["network"]["n_points_on_sphere"] = 16
    cfg["training"] = {"epochs": 1, "steps_per_epoch": 2, "batch_size": 1, "aggregate": 1, "splits": ["train"],
                       **training}
    cfg["validation"] = {"frequency": 0}
    path.write_text(yaml.safe_dump(cfg))
    return path


# Held by a thread of the test process while a pool starts: a forked worker inherits it held.
HELD_BY_A_PARENT_THREAD = threading.Lock()


def lock_probe_task(task):
    """Stands in for np-prepare's ``run_task`` in a worker: is the parent thread's lock free here?"""
    from trainer.data.prepare import Outcome
    free = HELD_BY_A_PARENT_THREAD.acquire(blocking=False)
    if free:
        HELD_BY_A_PARENT_THREAD.release()
    return Outcome(task.job, free, "" if free else "the worker inherited a lock held by a parent thread")
