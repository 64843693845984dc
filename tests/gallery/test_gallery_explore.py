"""Inside the model: the feature-space slider and the slice plane."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.inference import ShapeRef
from np_viewer.render.pixels import colour_mask
from trainer.inference import Predictor, load_shape
from trainer.palette import part_colour


@pytest.fixture
def predictor(tiny_checkpoint):
    """The tiny random model with its encoder's last layer amplified, so that different shapes get
    clearly different parts (a random encoder maps every humanoid to nearly the same features)."""
    from trainer.checkpoint import load
    model, _ = load(tiny_checkpoint)
    head = next(m for name, m in model.named_modules() if name.endswith("head.2"))
    with torch.no_grad():
        head.weight.mul_(40.0)
    return Predictor(model, device="cpu")


@pytest.fixture
def explore(qtbot, predictor, tiny_dataset):
    from np_viewer.explore import ExploreWindow
    entries = [ShapeRef(str(tiny_dataset / "humanoid" / f"h0{i}"), f"h0{i}") for i in range(3)]
    w = ExploreWindow(predictor, entries, resolution=2, slice_resolution=64, auto_update=False)
    qtbot.addWidget(w)
    w.resize(560, 460)
    w.show()
    qtbot.waitUntil(lambda: w.part_actor(0) is not None and not w.busy, timeout=30000)
    yield w
    w.shutdown()
    w.close()
    assert w.plotter._closed


def _actor_vertices(w, k):
    return np.asarray(w.part_actor(k).mapper.dataset.points)


def test_slider_blends_features_and_parts_follow(explore, predictor, tiny_dataset, qtbot):
    w = explore
    a, b = (predictor.predict(load_shape(str(tiny_dataset / "humanoid" / n)), 2) for n in ("h00", "h01"))
    for k, (v, _) in enumerate(a.meshes):                       # t = 0: shape A's parts
        np.testing.assert_allclose(_actor_vertices(w, k), v, atol=1e-5)
    with qtbot.waitSignal(w.parts_updated, timeout=30000):
        w.slider.setValue(100)                                 # the user drags to the end: shape B
    qtbot.waitUntil(lambda: not w.busy, timeout=30000)
    for k, (v, _) in enumerate(b.meshes):
        np.testing.assert_allclose(_actor_vertices(w, k), v, atol=1e-5)
    w.slider.setValue(40)
    qtbot.waitUntil(lambda: not w.busy, timeout=30000)
    assert w.t_label.text() == "t = 0.40"
    mid = predictor.model.primitive_meshes(0.6 * a.features + 0.4 * b.features, 2)[0]
    for k, (v, _) in enumerate(mid):
        np.testing.assert_allclose(_actor_vertices(w, k), v, atol=1e-5)
    gap = max(np.abs(va - vb).max() for (va, _), (vb, _) in zip(a.meshes, b.meshes))
    assert gap > 0.01                 # A and B really differ (well beyond the 1e-5 tolerance above)
    for (v, _), (va, _), (vb, _) in zip(mid, a.meshes, b.meshes):
        assert np.abs(v - va).max() > 1e-3 and np.abs(v - vb).max() > 1e-3


def test_slice_plane_shows_owner_and_boundary(explore, predictor, qtbot):
    w = explore
    with qtbot.waitSignal(w.slice_updated, timeout=30000):
        w.set_slice((0.0, 0.05, 0.0), (0.0, 0.0, 1.0))
    qtbot.waitUntil(lambda: not w.busy, timeout=30000)
    sl = w.slice
    F = w.current_features()
    phi = predictor.implicit(F, sl.points.reshape(-1, 3))
    np.testing.assert_array_equal(sl.owner.ravel(), phi.argmin(1))
    np.testing.assert_array_equal(sl.inside.ravel(), phi.min(1) < 0)
    np.testing.assert_allclose(sl.points[..., 2], 0.0, atol=1e-6)           # on the plane z = 0
    assert 0 < sl.inside.mean() < 1 and len(np.unique(sl.owner)) > 1
    # the boundary line lies where min phi = 0 (up to the grid's linear interpolation)
    lines = w.plotter.actors["slice-boundary"].mapper.dataset
    assert lines.n_points > 0
    step = sl.size / sl.points.shape[0]
    assert np.abs(predictor.implicit(F, np.asarray(lines.points)).min(1)).max() < step
    # every owner shows on screen in its own colour: full inside the shape, lighter outside
    from np_viewer.explore.slice import OUTSIDE_TINT
    img = w.plotter.screenshot(return_img=True)[..., :3]
    for k in np.unique(sl.owner):
        c = np.array(part_colour(int(k)))
        inside = bool((sl.inside & (sl.owner == k)).any())
        shown = c if inside else c + (1 - c) * OUTSIDE_TINT
        assert colour_mask(img, tuple(shown)).sum() > 0, f"primitive {k} not on the plane"
    # moving the plane (the widget's callback) re-slices it
    with qtbot.waitSignal(w.slice_updated, timeout=30000):
        w._on_plane_moved((1.0, 0.0, 0.0), (0.1, 0.0, 0.0))
    qtbot.waitUntil(lambda: not w.busy, timeout=30000)
    np.testing.assert_allclose(w.slice.points[..., 0], 0.1, atol=1e-6)


def test_lerp_features_is_a_blend_of_encoder_outputs(predictor, tiny_dataset):
    from np_viewer.explore import lerp_features
    model = predictor.model
    xa, xb = (predictor.encoder_input(load_shape(str(tiny_dataset / "humanoid" / n))) for n in ("h00", "h02"))
    with torch.no_grad():
        ea, eb = model.encode(xa), model.encode(xb)
        expected = model.primitive_features(0.3 * ea + 0.7 * eb)
        got = lerp_features(model.primitive_features(ea), model.primitive_features(eb), 0.7)
    torch.testing.assert_close(got, expected)
    with pytest.raises(ValueError, match="cannot be blended"):
        lerp_features(torch.zeros(1, 2, 4), torch.zeros(1, 3, 4), 0.5)
