"""Fixtures for the editing tests: a tiny random checkpoint whose parts sit apart (so each can be
clicked), small shapes, and a main window with editing installed that is always closed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from testkit import no_plotter_outlives_its_test, tiny_config  # noqa: F401 - an autouse fixture

from trainer import checkpoint
from trainer.model import NeuralParts

N_PARTS = 3
# part centres in the normalised frame: apart from each other, facing the default camera
CENTRES = np.array([[-0.35, 0.25, 0.0], [0.35, 0.25, 0.0], [0.0, -0.3, 0.0]])


def spread_model(seed: int = 0) -> NeuralParts:
    """A random tiny model, with its translation head set so primitive m is centred near CENTRES[m]
    (and its scale head damped) whatever the input: a stable, clickable layout."""
    torch.manual_seed(seed)
    model = NeuralParts.from_config(tiny_config(n_primitives=N_PARTS))
    f = model.feature_size
    flow = model.invertible_network
    with torch.no_grad():
        model.primitive_embedding.zero_()
        model.primitive_embedding[torch.arange(N_PARTS), torch.arange(N_PARTS)] = 1.0
        first, last = flow.translations[0], flow.translations[2]
        first.weight.zero_()
        first.bias.zero_()
        for m in range(N_PARTS):
            first.weight[m, f + m] = 1.0          # hidden unit m fires for primitive m only
        last.weight.zero_()
        last.bias.zero_()
        last.weight[:, :N_PARTS] = torch.tensor(CENTRES.T, dtype=torch.float32)
        flow.scales[2].weight.mul_(0.1)
        flow.scales[2].bias.zero_()
    return model


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = spread_model()
    return checkpoint.save(tmp_path_factory.mktemp("model") / "tiny.pt", model, model.config)


@pytest.fixture(scope="session")
def shape_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("shapes")
    trimesh.creation.box(extents=(1.0, 0.5, 0.3)).export(d / "a_box.obj")
    trimesh.creation.icosphere(subdivisions=2, radius=0.6).export(d / "b_ball.obj")
    return d


@pytest.fixture
def editing_window(qtbot, tiny_checkpoint, shape_dir):
    """(window, controller, doc, session): model and shapes open, first scene shown, editing
    installed; the window (and its plotter) is closed afterwards."""
    from PySide6.QtWidgets import QDockWidget

    from np_viewer.document import Document
    from np_viewer.editing import install_editing
    from np_viewer.session import Session
    from np_viewer.widgets import MainWindow

    doc = Document()
    doc.view.show_legend = False
    doc.view.resolution = 2
    session = Session(doc, device="cpu")
    window = MainWindow(doc, session)
    qtbot.addWidget(window)
    controller = install_editing(window)
    for dock in window.findChildren(QDockWidget):
        dock.hide()          # keep the viewport big in a small window
    window.resize(420, 340)
    window.show()
    qtbot.waitExposed(window)
    session.open_checkpoint(tiny_checkpoint)
    qtbot.waitUntil(lambda: session.predictor is not None and not session.busy, timeout=30000)
    session.open_paths([shape_dir])
    qtbot.waitUntil(lambda: len(doc.assembly) == N_PARTS and not session.busy, timeout=30000)
    window.viewport.render_now()
    yield window, controller, doc, session
    window.close()
    assert window.viewport.plotter._closed


@pytest.fixture
def no_dialogs(monkeypatch):
    """Record dialogs instead of showing them. ``answers`` feeds QFileDialog/QMessageBox.question."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

    class Dialogs:
        def __init__(self) -> None:
            self.errors: list[tuple[str, str]] = []
            self.questions: list[str] = []
            self.save_path: str = ""
            self.replace = False

    d = Dialogs()
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text, *a, **k: d.errors.append((title, text))))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda parent, title, text, *a, **k: d.questions.append(text) or (
            QMessageBox.StandardButton.Yes if d.replace else QMessageBox.StandardButton.No)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (d.save_path, "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: d.save_path))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", False)))
    return d
