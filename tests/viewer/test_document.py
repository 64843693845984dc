"""The document layer on its own: no Qt, no rendering."""
from __future__ import annotations

import numpy as np
import pytest

from np_viewer.document import Document, Part
from trainer.inference import ShapeRef


def parts(n=3):
    v = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    f = np.array([[0, 1, 2], [0, 2, 3]])
    return [Part(k, v + k, f, (0.1 * k, 0.2, 0.3)) for k in range(n)]


def test_part_fields_emit_once_per_real_change():
    p = parts(1)[0]
    seen = []
    p.changed.connect(seen.append)
    p.visible = True            # unchanged: no event
    p.visible = False
    p.opacity = 0.5
    p.colour = (1.0, 0.0, 0.0)
    m = np.eye(4)
    m[:3, 3] = (1, 2, 3)
    p.transform = m
    p.transform = m.copy()      # equal matrix: no event
    p.name = "leg"
    assert seen == ["visible", "opacity", "colour", "transform", "name"]
    np.testing.assert_allclose(p.world_vertices(), p.vertices + [1, 2, 3], atol=1e-6)
    with pytest.raises(ValueError):
        p.transform = np.eye(3)
    with pytest.raises(ValueError):
        p.colour = (2.0, 0.0, 0.0)


def test_transform_is_returned_as_a_copy():
    p = parts(1)[0]
    t = p.transform
    t[0, 3] = 5
    assert p.transform[0, 3] == 0


def test_assembly_forwards_part_changes():
    doc = Document()
    ps = parts()
    doc.assembly.set_scene(ps, None)
    seen = []
    doc.assembly.part_changed.connect(lambda part, field: seen.append((part.index, field)))
    ps[1].opacity = 0.2
    assert seen == [(1, "opacity")]


def test_solo_and_restore():
    doc = Document()
    ps = parts(4)
    doc.assembly.set_scene(ps, None)
    ps[3].visible = False
    doc.assembly.solo(ps[1])
    assert [p.visible for p in ps] == [False, True, False, False]
    assert doc.assembly.soloed is ps[1]
    doc.assembly.solo(ps[2])                     # solo another: still restores the original state
    assert [p.visible for p in ps] == [False, False, True, False]
    doc.assembly.solo(ps[2])
    assert [p.visible for p in ps] == [True, True, True, False]
    assert doc.assembly.soloed is None


def test_manual_visibility_change_ends_solo():
    doc = Document()
    ps = parts(3)
    doc.assembly.set_scene(ps, None)
    doc.assembly.solo(ps[0])
    ps[2].visible = True
    assert doc.assembly.soloed is None
    doc.assembly.solo(ps[0])
    doc.assembly.solo(ps[0])
    assert [p.visible for p in ps] == [True, False, True]


def test_display_state_carries_over_to_the_next_shape():
    doc = Document()
    old = parts(3)
    doc.assembly.set_scene(old, None)
    old[1].visible = False
    old[2].opacity = 0.4
    new = parts(3)
    doc.assembly.set_scene(new, None)
    assert [p.visible for p in new] == [True, False, True]
    assert new[2].opacity == pytest.approx(0.4)
    doc.assembly.solo(new[0])
    newer = parts(3)
    doc.assembly.set_scene(newer, None)
    assert doc.assembly.soloed is newer[0] and [p.visible for p in newer] == [True, False, False]
    doc.assembly.solo(newer[0])
    assert [p.visible for p in newer] == [True, False, True]


def test_reset_clears_selection():
    doc = Document()
    ps = parts()
    doc.assembly.set_scene(ps, None)
    doc.selection.set([ps[0].id, ps[1].id])
    doc.assembly.remove_parts([ps[0]])
    assert doc.selection.ids == [ps[1].id]
    doc.assembly.set_scene(parts(), None)
    assert doc.selection.ids == []


def test_view_options_validate():
    doc = Document()
    seen = []
    doc.view.changed.connect(lambda f, v: seen.append(f))
    doc.view.overlay = "mesh"
    with pytest.raises(ValueError):
        doc.view.overlay = "bogus"
    with pytest.raises(ValueError):
        doc.view.resolution = 9
    with pytest.raises(AttributeError):
        doc.view.colour = 1
    assert seen == ["overlay"]


def test_library_current_and_step():
    doc = Document()
    seen = []
    doc.library.current_changed.connect(seen.append)
    doc.library.set_entries([ShapeRef(f"/s/{i}", f"s{i}", "c" if i % 2 else "d") for i in range(3)])
    doc.library.step(1)
    doc.library.step(5)
    doc.library.step(-10)
    assert seen == [0, 1, 2, 0]
    assert doc.library.categories() == ["c", "d"]
    with pytest.raises(IndexError):
        doc.library.set_current(3)


def test_garbage_is_collected_on_the_gui_thread_only(qtbot):
    """Pool jobs run with automatic collection off, and once a runner exists the GUI-thread
    timer (not allocations at random points, such as inside a Qt destructor) collects cycles."""
    import gc
    import weakref

    from np_viewer.collection import collect_on_gui_thread
    from np_viewer.jobs import JobService

    runner = JobService()
    seen, done = [], []
    runner.submit(lambda ctx: seen.append(gc.isenabled()), done.append, lambda exc, tb: done.append(exc))
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert seen == [False]
    assert not gc.isenabled()          # the GUI-thread collector owns collection now
    collect_on_gui_thread()            # idempotent
    assert not gc.isenabled()

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    del a, b
    churn = [[] for _ in range(3 * gc.get_threshold()[0])]   # past the generation-0 threshold
    assert alive() is not None         # no automatic pass collected the cycle...
    qtbot.waitUntil(lambda: alive() is None, timeout=5000)   # ...the timer does
    del churn
