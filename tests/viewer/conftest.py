"""Fixtures for the viewer tests: a tiny checkpoint whose parts are spread apart (so every part is
visible from the default camera), a few small mesh files, and a window that is always closed."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from testkit import no_plotter_outlives_its_test  # noqa: F401 - an autouse fixture

from trainer import checkpoint
from trainer.config import load_config
from trainer.model import NeuralParts

N_PRIMITIVES = 4
# centres of the parts in the normalised frame: the corners of a square facing the default camera
PART_CENTRES = np.array([[-0.32, 0.3, 0.0], [0.32, 0.3, 0.0], [-0.32, -0.3, 0.0], [0.32, -0.3, 0.0]])


def tiny_model(seed: int = 0) -> NeuralParts:
    cfg = load_config({
        "network": {"n_primitives": N_PRIMITIVES},
        "feature_extractor": {"type": "pointcloud", "feature_size": 16},
        "invertible_network": {"hidden_size": 16, "n_blocks": 2},
        "projection_layer": {"proj_dims": 8},
        "data": {"n_input_points": 512},
    })
    torch.manual_seed(seed)
    model = NeuralParts.from_config(cfg)
    f = model.feature_size
    with torch.no_grad():
        # primitive m's translation head sees a one-hot embedding and outputs PART_CENTRES[m]
        emb = torch.zeros(N_PRIMITIVES, f)
        emb[torch.arange(N_PRIMITIVES), torch.arange(N_PRIMITIVES)] = 1.0
        model.primitive_embedding.copy_(emb)
        t0, t2 = model.invertible_network.translations[0], model.invertible_network.translations[2]
        t0.weight.zero_()
        t0.bias.zero_()
        for m in range(N_PRIMITIVES):
            t0.weight[m, f + m] = 1.0
        t2.weight.zero_()
        t2.bias.zero_()
        t2.weight[:, :N_PRIMITIVES] = torch.tensor(PART_CENTRES.T, dtype=torch.float32)
        # modest scales so parts stay roughly sphere-sized and apart
        model.invertible_network.scales[2].weight.mul_(0.1)
        model.invertible_network.scales[2].bias.zero_()
    return model


@pytest.fixture(scope="session")
def tiny_model_factory():
    return tiny_model


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = tiny_model()
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    checkpoint.save(path, model, model.config)
    return path


@pytest.fixture(scope="session")
def shape_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four small, different meshes."""
    d = tmp_path_factory.mktemp("shapes")
    trimesh.creation.box(extents=(1.0, 0.5, 0.3)).export(d / "a_box.obj")
    trimesh.creation.icosphere(subdivisions=2, radius=0.7).export(d / "b_sphere.obj")
    trimesh.creation.cylinder(radius=0.2, height=1.5, sections=16).export(d / "c_cylinder.stl")
    trimesh.creation.capsule(height=1.0, radius=0.3, count=(8, 8)).export(d / "d_capsule.ply")
    return d


@pytest.fixture
def make_window(qtbot, tiny_checkpoint, shape_dir):
    """make_window(open_model=True, open_shapes=True, size=(360, 280)) -> (window, doc, session);
    waits until the first scene is shown; closes the window (and its plotter) afterwards."""
    from PySide6.QtWidgets import QDockWidget

    from np_viewer.document import Document
    from np_viewer.session import Session
    from np_viewer.widgets import MainWindow

    windows = []

    def make(open_model: bool = True, open_shapes: bool = True, size=(360, 280), legend: bool = False):
        doc = Document()
        doc.view.show_legend = legend
        session = Session(doc, device="cpu")
        window = MainWindow(doc, session)
        windows.append(window)
        qtbot.addWidget(window)
        # docks off: they would squeeze the viewport to nothing at these small test sizes
        for dock in window.findChildren(QDockWidget):
            dock.hide()
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        if open_model:
            session.open_checkpoint(tiny_checkpoint)
            qtbot.waitUntil(lambda: session.predictor is not None and not session.busy, timeout=30000)
        if open_shapes:
            session.open_paths([shape_dir])
            qtbot.waitUntil(lambda: doc.assembly.input is not None and not session.busy, timeout=30000)
        return window, doc, session

    yield make
    for w in windows:
        w.close()
        assert w.viewport.plotter._closed


@pytest.fixture(scope="session")
def prepared_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-shape prepared dataset (small sample counts) written with the data package."""
    from trainer.data.manifest import reindex
    from trainer.data.pipeline import PrepareOptions, prepare_mesh
    root = tmp_path_factory.mktemp("prepared")
    opts = PrepareOptions(n_surface=2000, n_uniform=2000, n_near=500, voxels=False)
    for name, mesh in (("tall_box", trimesh.creation.box(extents=(0.4, 1.0, 0.4))),
                       ("ball", trimesh.creation.icosphere(subdivisions=2, radius=0.5))):
        prepare_mesh(mesh, name=name, category="toys", split="test", out_dir=root, options=opts)
    reindex(root)
    return root
