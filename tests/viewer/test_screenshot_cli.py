"""``np-viewer --screenshot``: renders with nobody at the keyboard, errors name the file."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import pytest

from np_viewer.app import DEFAULT_SHAPES
from trainer.inference.bundled import DEFAULT_MODEL
from np_viewer.render.pixels import colour_counts
from trainer.inference import Predictor
from trainer.palette import part_colour

ROOT = Path(__file__).resolve().parents[2]


def run_viewer(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "np_viewer.app", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})


def model_and_shapes(tiny_checkpoint: Path, shape_dir: Path) -> tuple[list[str], int]:
    """The bundled default when it exists (the case the issue asks about), else the test model."""
    if DEFAULT_MODEL.exists() and DEFAULT_SHAPES.exists():
        return [], Predictor(DEFAULT_MODEL, device="cpu").n_primitives
    return [str(shape_dir), "--checkpoint", str(tiny_checkpoint)], 4


def test_screenshot_shows_every_primitive_colour(tmp_path, tiny_checkpoint, shape_dir):
    """The test model's parts sit apart by construction, so every one must be on screen."""
    out = tmp_path / "view.png"
    r = run_viewer(str(shape_dir), "--checkpoint", str(tiny_checkpoint), "--screenshot", str(out),
                   "--size", "480x360", "--viewport-only", "--no-legend", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    img = iio.imread(out)
    assert img.shape[:2] == (360, 480)
    counts = colour_counts(img, [part_colour(k) for k in range(4)])
    assert all(c > 100 for c in counts), counts


def test_screenshot_with_no_arguments_shows_the_bundled_model(tmp_path, tiny_checkpoint, shape_dir):
    """With no arguments the app opens the bundled model on the bundled shapes. A trained
    model's primitive can lie inside another one, so not every colour need be visible; a
    broken render shows none."""
    args, n = model_and_shapes(tiny_checkpoint, shape_dir)
    out = tmp_path / "view.png"
    r = run_viewer(*args, "--screenshot", str(out), "--size", "480x360", "--viewport-only", "--no-legend",
                   "--device", "cpu")
    assert r.returncode == 0, r.stderr
    counts = colour_counts(iio.imread(out), [part_colour(k) for k in range(n)])
    assert sum(c > 100 for c in counts) >= min(n, 3) and sum(counts) > 0.02 * 480 * 360, counts


def test_full_window_screenshot_with_panels(tmp_path, tiny_checkpoint, shape_dir):
    out = tmp_path / "window.png"
    r = run_viewer(str(shape_dir), "--checkpoint", str(tiny_checkpoint), "--screenshot", str(out),
                   "--size", "900x560")
    assert r.returncode == 0, r.stderr
    img = iio.imread(out)
    assert img.shape[:2] == (560, 900)
    # the 3D view (between the side panels) is pasted into the window picture with every part in it
    centre = img[60:530, 180:650]
    assert all(c > 300 for c in colour_counts(centre, [part_colour(k) for k in range(4)]))


def test_screenshot_errors_name_the_file_and_exit_non_zero(tmp_path, tiny_checkpoint, shape_dir):
    bad_model = tmp_path / "broken.pt"
    bad_model.write_bytes(b"nope")
    out = tmp_path / "x.png"
    r = run_viewer(str(shape_dir), "--checkpoint", str(bad_model), "--screenshot", str(out))
    assert r.returncode != 0 and str(bad_model) in r.stderr and str(out) in r.stderr
    assert not out.exists()

    bad_shape = tmp_path / "broken.obj"
    bad_shape.write_text("v 0 0 0\nf 1 1 1\n")
    r = run_viewer(str(bad_shape), "--checkpoint", str(tiny_checkpoint), "--screenshot", str(out))
    assert r.returncode != 0 and str(bad_shape) in r.stderr and not out.exists()

    missing = tmp_path / "no" / "such" / "dir" / "x.png"
    r = run_viewer(str(shape_dir), "--checkpoint", str(tiny_checkpoint), "--screenshot", str(missing))
    assert r.returncode != 0 and str(missing) in r.stderr

    r = run_viewer("--size", "12x", "--screenshot", str(out))
    assert r.returncode == 2 and "size" in r.stderr


def test_help_lists_the_options():
    r = run_viewer("--help")
    assert r.returncode == 0
    for opt in ("--checkpoint", "--device", "--screenshot", "--size", "SHAPE_OR_FOLDER"):
        assert opt in r.stdout


def test_interactive_start_on_a_named_shape(qtbot, monkeypatch, tiny_checkpoint, shape_dir):
    """``np-viewer DIR --shape NAME`` without --screenshot: the window opens on that shape."""
    from PySide6.QtWidgets import QApplication

    from np_viewer import app as app_module
    windows = []
    real_build = app_module.build_app

    def build(args, synchronous):
        built = real_build(args, synchronous)
        windows.append(built)
        return built

    monkeypatch.setattr(app_module, "build_app", build)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)     # return instead of blocking
    assert app_module.main([str(shape_dir), "--checkpoint", str(tiny_checkpoint), "--shape", "c_cylinder",
                            "--size", "420x300", "--no-legend"]) == 0
    _, doc, session, window = windows[0]
    try:
        qtbot.waitUntil(lambda: doc.assembly.info.shape_name == "c_cylinder" and not session.busy, timeout=30000)
        assert len(doc.assembly) == 4
    finally:
        window.close()


@pytest.mark.parametrize("mode", [[], ["--gallery", "1x2"]])
def test_screenshot_without_display_starts_its_own_and_exits_zero(tmp_path, tiny_checkpoint, shape_dir, mode):
    """With no DISPLAY the command starts Xvfb itself; tearing it down must not fail the run."""
    import os

    out = tmp_path / "own-display.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-m", "np_viewer.app", str(shape_dir), "--checkpoint", str(tiny_checkpoint),
                        *mode, "--screenshot", str(out), "--size", "320x240"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120, env={**env, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr
    assert out.is_file()
