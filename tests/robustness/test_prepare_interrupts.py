"""np-prepare stopped by SIGTERM or a double Ctrl-C, as a terminal or `kill` does it (the whole
process group): it exits within seconds, lists what is complete, says how to resume, and no
worker survives it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cli_helpers import group_processes, start, wait_until_gone

EXIT_SECONDS = 10  # generous for a loaded 2-core machine; a hang is what it catches


def _start_and_wait_for_a_shape(out: Path) -> subprocess.Popen:
    proc = start("np-prepare", "--synthetic", "humanoid", "--count", "80", "--workers", "2", "--out", out,
                 "--quiet", "--no-voxels")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if list(out.glob("humanoid/*/meta.json")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    assert len(group_processes(proc.pid)) >= 3, "the workers should be running"  # parent + 2 workers
    return proc


def _finish(proc: subprocess.Popen) -> str:
    try:
        _, err = proc.communicate(timeout=EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"np-prepare did not exit within {EXIT_SECONDS} s of the signal")
    return err


def _assert_clean_stop(proc: subprocess.Popen, err: str, out: Path) -> None:
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "run the same command again to resume" in err
    assert wait_until_gone(proc.pid) == [], "worker processes survived np-prepare"
    listed = json.loads((out / "manifest.json").read_text())["shapes"]
    finished = sorted(p.parent.relative_to(out).as_posix() for p in out.glob("humanoid/*/meta.json"))
    assert listed and sorted(s["dir"] for s in listed) == finished  # the manifest lists what is complete
    assert not (out / ".incomplete").exists()  # no half-written shape left behind


def test_sigterm_stops_the_workers_and_writes_the_manifest(tmp_path):
    out = tmp_path / "ds"
    proc = _start_and_wait_for_a_shape(out)
    os.killpg(proc.pid, signal.SIGTERM)
    _assert_clean_stop(proc, _finish(proc), out)


def test_ctrl_c_twice_exits(tmp_path):
    out = tmp_path / "ds"
    proc = _start_and_wait_for_a_shape(out)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    err = _finish(proc)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert wait_until_gone(proc.pid) == [], "worker processes survived np-prepare"
