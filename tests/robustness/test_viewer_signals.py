"""np-viewer in a terminal: Ctrl-C (SIGINT to the process group) and SIGTERM close the window
as its close button does, exit 130, and print no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from cli_helpers import start


def _catches(pid: int, signum: int) -> bool:
    """Whether ``pid`` has a handler of its own for ``signum`` (/proc SigCgt mask)."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_closes_the_viewer_cleanly(signum):
    proc = start("np-viewer")
    deadline = time.monotonic() + 120          # the window is up once its handlers are installed
    while time.monotonic() < deadline and proc.poll() is None and not _catches(proc.pid, signal.SIGTERM):
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    time.sleep(1.0)
    os.killpg(proc.pid, signum)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("np-viewer did not exit within 20 s of the signal")
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
