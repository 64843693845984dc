"""Make sure a headless ``--screenshot`` run has an X display: start Xvfb when there is none."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys


def start_headless(out: object) -> "VirtualDisplay | None":
    """A display for rendering ``out`` with nobody at the screen (started when there is none), or
    None after printing why, naming ``out``."""
    display = VirtualDisplay()
    try:
        display.ensure()
    except RuntimeError as exc:
        print(f"np-viewer: error: cannot render {out}: {exc}", file=sys.stderr)
        return None
    return display


class VirtualDisplay:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def ensure(self) -> None:
        if not sys.platform.startswith("linux") or os.environ.get("DISPLAY") or \
                os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
            return
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise RuntimeError("no display and no Xvfb to start one: install xvfb or run under xvfb-run")
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1920x1200x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as handle:
            number = handle.readline().strip()
        if not number:
            self.stop()
            raise RuntimeError("Xvfb did not start")
        os.environ["DISPLAY"] = f":{number}"

    def stop(self) -> None:
        """Stop the Xvfb this object started; Qt must let go of the display before it goes away."""
        if self.process is not None:
            _drop_qapplication()
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def _drop_qapplication() -> None:
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is not None:
        import shiboken6
        shiboken6.delete(app)
