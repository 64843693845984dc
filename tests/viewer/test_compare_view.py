"""Compare view (issue 15): models side by side on one shape with one linked camera, each pane
captioned with its numbers; View > Compare models…; Fit all; ``np-viewer --compare``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from np_viewer.render.pixels import colour_counts
from trainer import checkpoint
from trainer.palette import part_colour

from .conftest import N_PRIMITIVES, tiny_model

ROOT = Path(__file__).resolve().parents[2]
COLOURS = [part_colour(k) for k in range(N_PRIMITIVES)]


@pytest.fixture(scope="module")
def three_checkpoints(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("compare-models")
    paths = []
    for seed in range(3):
        model = tiny_model(seed)
        paths.append(checkpoint.save(d / f"tiny{seed}.pt", model, model.config))
    return paths


@pytest.fixture
def compare_window(qtbot):
    from np_viewer.compare import CompareWindow
    windows = []

    def make(**kwargs):
        window = CompareWindow(device="cpu", resolution=2, **kwargs)
        windows.append(window)
        qtbot.addWidget(window)
        window.resize(780, 320)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for w in windows:
        w.close()
        assert w.plotter._closed


def pane_counts(window, img: np.ndarray) -> list[list[int]]:
    return [colour_counts(img[:, x0:x1], COLOURS) for x0, x1 in window.pane_columns(img.shape[1])]


def test_three_models_side_by_side_with_linked_cameras(qtbot, compare_window, three_checkpoints, shape_dir):
    window = compare_window()
    window.set_shape(str(shape_dir / "a_box.obj"))
    window.compare(three_checkpoints)
    qtbot.waitUntil(lambda: window.ready, timeout=60000)
    assert [r.label for r in window.results] == ["tiny0", "tiny1", "tiny2"]
    for r in window.results:          # every pane has its numbers
        assert r.n_primitives == N_PRIMITIVES and 0 <= r.metrics["IoU"] <= 1 and r.metrics["Chamfer-L1"] > 0
        assert "IoU" in r.caption() and f"{N_PRIMITIVES} primitives" in r.caption()
    before = window.screenshot()
    for counts in pane_counts(window, before):      # each pane shows all its part colours
        assert all(c > 30 for c in counts), counts
    # move the camera of pane 1: the other panes follow
    window.pane_camera(1).Azimuth(70)
    window.pane_camera(1).Elevation(25)
    after = window.screenshot()
    positions = [np.array(window.pane_camera(i).GetPosition()) for i in range(3)]
    assert all(np.allclose(p, positions[1]) for p in positions)
    for x0, x1 in window.pane_columns(after.shape[1]):
        changed = np.abs(after[:, x0:x1].astype(int) - before[:, x0:x1].astype(int)).sum(-1) > 30
        assert changed.mean() > 0.005, f"pane at columns {x0}-{x1} did not follow the camera"


def test_fit_all_gives_one_pane_per_primitive_type(qtbot, compare_window, tiny_checkpoint, shape_dir):
    from np_viewer.compare import ARMS
    from trainer.inference import Predictor
    window = compare_window()
    window.set_shape(str(shape_dir / "b_sphere.obj"))
    window.fit_all(Predictor(tiny_checkpoint, device="cpu"), seconds=None, steps=2)
    qtbot.waitUntil(lambda: window.ready, timeout=60000)
    assert [r.label for r in window.results] == [f"{a.label} (fit)" for a in ARMS]
    kinds = [r.predictor.model.describe() for r in window.results]
    assert [k["type"] for k in kinds] == ["flexible_primitives", "flexible_primitives", "superquadrics", "cuboids"]
    assert [k.get("coupling layers") for k in kinds[:2]] == [2, 0]       # Neural Parts, then ellipsoids
    assert all(r.source == "fit" and r.n_primitives == N_PRIMITIVES and "IoU" in r.metrics for r in window.results)
    img = window.screenshot()
    for counts in pane_counts(window, img):          # every fit is on screen in its part colours
        assert sum(c > 0 for c in counts) >= 2, counts


def test_fit_all_takes_the_step_budget_on_the_toolbar(qtbot, compare_window, tiny_checkpoint, shape_dir):
    from trainer.inference import Predictor
    window = compare_window()
    window.set_shape(str(shape_dir / "b_sphere.obj"))
    window.fit_predictor = Predictor(tiny_checkpoint, device="cpu")
    window.budget_unit.setCurrentIndex(1)          # "steps each"
    window.budget_box.setValue(3)
    window.fit_all_action.trigger()
    qtbot.waitUntil(lambda: window.ready, timeout=60000)
    assert [r.steps for r in window.results] == [3, 3, 3, 3]
    assert all("fit 3 steps" in r.caption() for r in window.results)
    # a budget given in code is shown on the toolbar (the unit too)
    window.fit_all(seconds=None, steps=2)
    qtbot.waitUntil(lambda: window.ready, timeout=60000)
    assert (window.budget_box.value(), window.budget_unit.currentText()) == (2, "steps each")
    assert [r.steps for r in window.results] == [2, 2, 2, 2]


@pytest.mark.parametrize("text, budget", [("20", (20.0, None)), ("2.5s", (2.5, None)), ("900steps", (None, 900))])
def test_fit_all_budget_parses_seconds_or_steps(text, budget):
    from np_viewer.app import parse_budget
    assert parse_budget(text) == budget


@pytest.mark.parametrize("text", ["0", "-3", "fast", "2.5steps", "0steps", "inf"])
def test_a_bad_fit_all_budget_is_refused_by_the_parser(text, capsys):
    from np_viewer.app import build_parser
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--compare", "a.pt", "b.obj", "--fit-all", text])
    assert exc.value.code == 2 and "a fit budget is seconds" in capsys.readouterr().err


def test_view_menu_opens_compare_on_the_window_job_service(qtbot, make_window, three_checkpoints):
    from np_viewer.compare.dialog import CompareDialog
    from np_viewer.compare.link import install_compare_action, open_compare_for
    window, doc, session = make_window()
    action = install_compare_action(window)
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.menu() and a.text().replace("&", "") == "View")
    assert action in view_menu.actions()
    compare = open_compare_for(window, [str(p) for p in three_checkpoints[:2]])
    try:
        assert compare.jobs is session.jobs and compare.shape_path == session.current_entry.path
        qtbot.waitUntil(lambda: compare.ready, timeout=60000)
        assert len(compare.results) == 2
    finally:
        compare.close()
    dialog = CompareDialog([str(p) for p in three_checkpoints], fit_available=True)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert dialog.count() == 4 and ok.isEnabled()
    dialog.add_checkpoints(["/elsewhere/other.pt"])
    assert dialog.count() == 5 and not ok.isEnabled()        # at most 4 panes
    dialog.include_fit.setChecked(False)
    assert ok.isEnabled()
    dialog.close()


def run_viewer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "np_viewer.app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})


def test_compare_cli_writes_every_pane(tmp_path, three_checkpoints, shape_dir):
    out = tmp_path / "compare.png"
    r = run_viewer("--compare", *map(str, three_checkpoints), str(shape_dir / "a_box.obj"), "--screenshot", str(out),
                   "--size", "780x320", "--device", "cpu", "--resolution", "2")
    assert r.returncode == 0, r.stderr
    img = iio.imread(out)[..., :3]
    assert img.shape[:2] == (320, 780)
    thirds = [img[:, round(i * 780 / 3):round((i + 1) * 780 / 3)] for i in range(3)]
    for third in thirds:
        counts = colour_counts(third, COLOURS)
        assert all(c > 30 for c in counts), counts


def test_compare_cli_names_bad_arguments(tmp_path, three_checkpoints, shape_dir):
    r = run_viewer("--compare", str(three_checkpoints[0]), str(shape_dir / "a_box.obj"),
                   "--screenshot", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "2 to 4 checkpoints" in r.stderr
    missing = tmp_path / "nope.pt"
    r = run_viewer("--compare", str(three_checkpoints[0]), str(missing), str(shape_dir / "a_box.obj"),
                   "--screenshot", str(tmp_path / "x.png"))
    assert r.returncode == 2 and str(missing) in r.stderr
    assert not (tmp_path / "x.png").exists()


def test_closing_the_main_window_closes_its_compare_window(qtbot, make_window, three_checkpoints):
    from np_viewer.compare.link import open_compare_for
    window, doc, session = make_window()
    compare = open_compare_for(window, [str(p) for p in three_checkpoints[:2]])
    qtbot.waitUntil(lambda: compare.ready, timeout=60000)
    window.close()
    assert compare._closed and compare.plotter._closed and not compare.isVisible()


def test_a_pane_that_fails_says_so_and_the_others_go_on(qtbot, compare_window, three_checkpoints, shape_dir,
                                                        tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    window = compare_window()
    errors = []
    window.error.connect(lambda title, message: errors.append((title, message)))
    window.set_shape(str(shape_dir / "a_box.obj"))
    window.compare([three_checkpoints[0], broken])
    qtbot.waitUntil(lambda: window.results[0] is not None and bool(errors), timeout=60000)
    assert errors[0][0] == "Compare: broken.pt" and window.results[1] is None
    assert "pane1-caption" in window.plotter.renderers[1].actors
    counts = pane_counts(window, window.screenshot())
    assert all(c > 30 for c in counts[0]) and sum(counts[1]) < 100, counts    # no parts (the red caption: a few)
