"""The app and the gallery with no checkpoint: each shape under the bundled model of its category,
a user's mesh under the closest one, and the window says which and why; a model opened by the
user overrides the choice."""
from __future__ import annotations

import pytest

from bundled_fixtures import bundled, families, meshes, models_folder, one_family  # noqa: F401


@pytest.fixture
def open_window(qtbot, make_window):
    """open_window(paths, folder) -> (window, doc, session): the shapes at ``paths`` with the
    bundled models in ``folder`` (None: NP_BUNDLED_MODELS) choosing per shape."""
    def make(paths, folder=None):
        window, doc, session = make_window(open_model=False, open_shapes=False)
        session.open_bundled_models(folder)
        session.open_paths([str(p) for p in paths])
        qtbot.waitUntil(lambda: doc.assembly.input is not None and not session.busy, timeout=30000)
        return window, doc, session
    return make


def show(qtbot, doc, session, name: str) -> None:
    index = next(i for i, e in enumerate(doc.library.entries) if e.name == name)
    doc.library.set_current(index)
    qtbot.waitUntil(lambda: doc.assembly.info.shape_name == name and not session.busy, timeout=30000)


def test_each_shape_is_shown_under_its_categorys_model(qtbot, open_window, models_folder, families, meshes):
    window, doc, session = open_window([families, meshes["ball"]], models_folder)
    for name, model, parts in (("c0", "chair.pt", 5), ("h0", "humanoid.pt", 3), ("c1", "chair.pt", 5)):
        show(qtbot, doc, session, name)
        assert session.predictor.path.name == model and len(doc.assembly) == parts
        category = model[:-3]
        assert f"{model} (category {category})" in doc.status.message
        assert f"{model} (category {category})" in window.info_panel.label.text()
        assert doc.assembly.info.model_name == model


def test_a_mesh_without_category_gets_the_closest_model_and_the_window_says_so(qtbot, open_window, models_folder,
                                                                               families, meshes):
    window, doc, session = open_window([families, meshes["ball"], meshes["stick"]], models_folder)
    show(qtbot, doc, session, "ball")
    assert session.predictor.path.name == "humanoid.pt"
    assert "humanoid.pt (closest of 2: Chamfer-L1" in doc.status.message
    show(qtbot, doc, session, "stick")
    assert session.predictor.path.name == "chair.pt"
    assert "chair.pt (closest of 2: Chamfer-L1" in window.info_panel.label.text()
    show(qtbot, doc, session, "l0")
    assert "no bundled model for category lamp" in doc.status.message


def test_a_model_the_user_opens_overrides_the_choice(qtbot, open_window, models_folder, families):
    window, doc, session = open_window([families], models_folder)
    session.open_checkpoint(models_folder / "humanoid.pt")
    qtbot.waitUntil(lambda: len(doc.assembly) == 3 and not session.busy, timeout=30000)
    show(qtbot, doc, session, "c1")
    assert session.predictor.path.name == "humanoid.pt" and len(doc.assembly) == 3
    assert "category" not in doc.status.message and "closest" not in window.info_panel.label.text()


def test_np_viewer_without_checkpoint_opens_the_bundled_models(qtbot, monkeypatch, bundled, families):
    from PySide6.QtWidgets import QApplication

    from np_viewer import app as app_module
    built = []
    real_build = app_module.build_app
    monkeypatch.setattr(app_module, "build_app", lambda args, synchronous: built.append(real_build(args, synchronous))
                        or built[-1])
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    assert app_module.main([str(families), "--shape", "h1", "--size", "420x300", "--device", "cpu"]) == 0
    _, doc, session, window = built[0]
    try:
        qtbot.waitUntil(lambda: doc.assembly.info.shape_name == "h1" and not session.busy, timeout=30000)
        assert session.predictor.path == bundled / "humanoid.pt"
        assert "humanoid.pt (category humanoid)" in doc.status.message
    finally:
        window.close()


def test_gallery_shows_one_category_under_its_model(bundled, families, one_family):
    from np_viewer.gallery.cli import bundled_choice
    choice, category = bundled_choice(families, None, None)
    assert (category, choice.path.name) == ("chair", "chair.pt")       # the first category with a model
    choice, category = bundled_choice(families, None, "lamp")
    assert (category, choice.reason) == ("lamp", "closest")
    choice, category = bundled_choice(one_family, None, None)
    assert (category, choice.path.name) == ("chair", "chair.pt")


def test_gallery_screenshot_without_checkpoint(bundled, families, tmp_path, capsys):
    from np_viewer.gallery import cli_gallery
    out = tmp_path / "gallery.png"
    assert cli_gallery(1, 2, None, families, screenshot=out, size=(500, 300), device="cpu",
                       category="humanoid") == 0
    assert out.is_file()
    assert "gallery of humanoid under humanoid.pt (category humanoid)" in capsys.readouterr().out


@pytest.mark.parametrize("synchronous", [True, False])
def test_gallery_switching_category_switches_to_that_familys_model(qtbot, bundled, families, synchronous):
    from np_viewer.gallery import GalleryWindow
    from np_viewer.gallery.cli import bundled_choice
    from np_viewer.gallery.window import ALL_CATEGORIES
    from trainer.inference import Predictor
    w = GalleryWindow(1, 2, predictor=Predictor(bundled / "chair.pt", device="cpu"), auto_update=False,
                      synchronous=synchronous, show_dialogs=False)
    qtbot.addWidget(w)
    try:
        w.open_dataset(families, None, "chair")
        w.model_chooser = lambda category: bundled_choice(families, None, category)[0]

        def shows(model, parts):     # the choice and the model load run on the job service
            qtbot.waitUntil(lambda: w.predictor.path.name == model and not w.busy and w.wait(100), timeout=30000)
            assert all(len(c.meshes) == parts for c in w.model.cells)

        shows("chair.pt", 5)
        w.category_box.setCurrentText("humanoid")
        shows("humanoid.pt", 3)
        w.category_box.setCurrentText(ALL_CATEGORIES)
        shows("humanoid.pt", 3)                   # all categories: the model shown stays
        w.category_box.setCurrentText("lamp")     # no model of its own: the closest one
        closest = bundled_choice(families, None, "lamp")[0].path.name
        assert closest == "chair.pt"              # the lamp is chair-shaped: a switch away from humanoid.pt
        qtbot.waitUntil(lambda: w.predictor.path.name == closest and not w.busy and w.wait(100), timeout=30000)
    finally:
        w.shutdown()
        w.close()
