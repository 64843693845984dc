"""Toggling, soloing and recolouring primitive k applies to every instance at once."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from np_viewer.render.pixels import colour_mask
from trainer.inference import Predictor
from trainer.palette import part_colour


@pytest.fixture
def gallery(qtbot, tiny_checkpoint, tiny_dataset):
    from np_viewer.gallery import GalleryWindow
    w = GalleryWindow(2, 2, predictor=Predictor(tiny_checkpoint, device="cpu"), dataset=tiny_dataset,
                      auto_update=False, show_dialogs=False)
    qtbot.addWidget(w)
    w.resize(700, 520)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: all(c.ready for c in w.model.cells) and w.loader.pending == 0, timeout=60000)
    yield w
    w.shutdown()
    w.close()
    assert w.view.plotter._closed


def _cell_images(w):
    """The rendered view cut into its cells."""
    img = w.view.screenshot()
    ren = w.view.plotter.renderer
    half = w.view.cell_pixels() / 2
    out = []
    for cell in range(len(w.model.cells)):
        ren.SetWorldPoint(*w.view.renderer.cell_centre(cell), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        r0, c0 = int(img.shape[0] - y - half), int(x - half)
        out.append(img[max(r0, 0):int(r0 + 2 * half), max(c0, 0):int(c0 + 2 * half)])
    return out


def _visible_count(w, k):
    return [int(colour_mask(c, w.model.style(k).colour).sum()) for c in _cell_images(w)]


def test_toggling_primitive_k_hides_it_in_every_instance(gallery, qtbot):
    w, k = gallery, 1
    m = w.model.n_primitives
    assert all(n > 0 for n in _visible_count(w, k))
    box = w.parts_panel.visibility_box(w.model.style(k))
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)            # the user unticks "Show" once
    assert not w.model.style(k).visible
    for cell in range(len(w.model.cells)):
        actors = w.view.renderer.actors(cell)
        assert len(actors) == m
        assert not actors[k].visibility
        assert all(actors[j].visibility for j in range(m) if j != k)
    assert _visible_count(w, k) == [0] * len(w.model.cells)
    other = 0 if k != 0 else 2
    assert all(n > 0 for n in _visible_count(w, other))
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert all(n > 0 for n in _visible_count(w, k))


def test_solo_and_restore_in_every_instance(gallery, qtbot):
    w, k = gallery, 2
    m = w.model.n_primitives
    w.model.set_visible(0, False)
    qtbot.mouseClick(w.parts_panel.solo_button(w.model.style(k)), Qt.MouseButton.LeftButton)
    for cell in range(len(w.model.cells)):
        assert [a.visibility for _, a in sorted(w.view.renderer.actors(cell).items())] == [j == k for j in range(m)]
    for j in range(m):
        if j != k:
            assert _visible_count(w, j) == [0] * len(w.model.cells)
    qtbot.mouseClick(w.parts_panel.solo_button(w.model.style(k)), Qt.MouseButton.LeftButton)
    for cell in range(len(w.model.cells)):   # back to before solo: primitive 0 still hidden
        assert [a.visibility for _, a in sorted(w.view.renderer.actors(cell).items())] == [j != 0 for j in range(m)]


def test_recolouring_primitive_k_recolours_every_instance_and_survives_paging(gallery, qtbot):
    w, k = gallery, 0
    new = (0.55, 0.1, 0.75)
    assert all(n == 0 for n in [int(colour_mask(c, new).sum()) for c in _cell_images(w)])
    w.model.set_colour(k, new)
    for actor in w.view.renderer.actors_of_primitive(k):
        np.testing.assert_allclose(actor.prop.color.float_rgb, new, atol=3e-3)
    assert all(int(colour_mask(c, new).sum()) > 0 for c in _cell_images(w))
    assert all(n == 0 for n in _visible_count_for(w, part_colour(k)))
    w.model.set_visible(1, False)
    w.act_next.trigger()                                        # the next page uses the same styles
    qtbot.waitUntil(lambda: all(c.ready for c in w.model.cells) and w.loader.pending == 0, timeout=60000)
    for cell in range(len(w.model.cells)):
        actors = w.view.renderer.actors(cell)
        np.testing.assert_allclose(actors[k].prop.color.float_rgb, new, atol=3e-3)
        assert not actors[1].visibility


def _visible_count_for(w, colour):
    return [int(colour_mask(c, colour).sum()) for c in _cell_images(w)]


def test_style_edits_are_commands_undone_and_redone_by_the_gallery_shortcuts(gallery, qtbot):
    w, k = gallery, 2
    history = w.model.styles.history
    colour0 = w.model.style(k).colour
    qtbot.mouseClick(w.parts_panel.visibility_box(w.model.style(k)), Qt.MouseButton.LeftButton)
    w.model.set_colour(0, (1.0, 0.0, 0.0))
    slider = w.parts_panel.opacity_slider(w.model.style(1))
    for v in (80, 60, 40):                                   # one drag: one entry
        slider.setValue(v)
    assert history.texts == [f"Hide {w.model.style(k).name}", f"Recolour {w.model.style(0).name}",
                             f"Opacity of {w.model.style(1).name}"]
    w.act_undo.trigger()
    assert w.model.style(1).opacity == 1.0 and slider.value() == 100
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert w.model.style(k).visible and w.model.style(0).colour == part_colour(0) and colour0 == w.model.style(k).colour
    assert all(w.view.renderer.actors(cell)[k].visibility for cell in range(len(w.model.cells)))
    w.act_redo.trigger()
    assert not w.model.style(k).visible and w.parts_panel.visibility_box(w.model.style(k)).isChecked() is False
