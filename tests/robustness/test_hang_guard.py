"""The suite's hang guard (pyproject's pytest config) turns a native deadlock into a failure with a stack dump."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DEADLOCK = '''
import ctypes

def test_native_deadlock_holding_the_gil():
    libc = ctypes.PyDLL(None)                 # PyDLL keeps the GIL held during the call
    mutex = ctypes.create_string_buffer(64)   # zeroed: PTHREAD_MUTEX_INITIALIZER on glibc
    libc.pthread_mutex_lock(mutex)
    libc.pthread_mutex_lock(mutex)            # never returns; no Python signal handler can run
'''


def test_a_native_deadlock_that_holds_the_gil_fails_with_a_stack_dump(tmp_path):
    (tmp_path / "test_deadlock.py").write_text(DEADLOCK)
    # the repository's own settings, with the limits shortened (methods unchanged)
    cmd = [sys.executable, "-m", "pytest", str(tmp_path / "test_deadlock.py"), "-q", "-p", "no:cacheprovider", "-p", "no:xvfb",
           "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
           "-o", "timeout=1", "-o", "faulthandler_timeout=2"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    assert "Timeout" in out and "test_native_deadlock_holding_the_gil" in out, out[-3000:]
