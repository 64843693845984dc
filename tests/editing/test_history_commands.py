"""Undo/redo on the document alone (no Qt): exact state after any sequence of edits."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from np_viewer.document import Document, Part
from np_viewer.document.edits import (Compound, FieldEdit, MeshEdit, RemoveParts, SelectionEdit, about,
                                      centroid, compose, duplicate_edit, opacity_edit, reset_pose_edit,
                                      rotation_matrix, show_all_edit, solo_edit, transform_edit,
                                      unsolo_edit)
from np_viewer.document.history import History


def make_doc(n: int = 4) -> Document:
    doc = Document()
    ball = trimesh.creation.icosphere(subdivisions=1, radius=0.2)
    parts = [Part(k, ball.vertices + [0.5 * k, 0, 0], ball.faces, (0.1 * k, 0.5, 0.9)) for k in range(n)]
    doc.assembly.set_scene(parts, None)
    return doc


def state(doc: Document) -> list:
    """Everything an edit can change, as exact bytes/values, in display order."""
    return [(p.id, p.name, p.colour, p.visible, p.opacity, p.transform.tobytes(), p.vertices.tobytes(),
             p.faces.tobytes()) for p in doc.assembly]


def test_compose_is_translate_rotate_scale_and_about_keeps_the_pivot_fixed():
    m = compose((1, 2, 3), (0, 0, 90), (2, 2, 2))
    assert np.allclose(m @ [1, 0, 0, 1], [1, 2 + 2, 3, 1])       # x scaled by 2, turned onto +y, moved
    assert np.allclose(rotation_matrix((90, 0, 0)) @ [0, 1, 0], [0, 0, 1])
    pivot = np.array([0.3, -0.2, 0.5])
    assert np.allclose((about(compose(rotation_deg=(10, 20, 30), scale=(1, 2, 3)), pivot) @ [*pivot, 1])[:3], pivot)
    with pytest.raises(ValueError, match="non-zero"):
        compose(scale=(1, 0, 1))


def test_a_long_random_sequence_of_transforms_undoes_and_redoes_to_exact_matrices():
    doc, history = make_doc(), History()
    rng = np.random.default_rng(0)
    states = [state(doc)]
    for _ in range(40):
        k = rng.integers(1, 4)
        parts = list(rng.choice(doc.assembly.parts, size=k, replace=False))
        m = compose(rng.normal(size=3), rng.uniform(-180, 180, 3), rng.uniform(0.3, 3, 3))
        pivot = centroid(parts) if rng.random() < 0.5 else None
        history.push(transform_edit(parts, m, pivot))
        states.append(state(doc))
    for i in range(len(states) - 1, 0, -1):       # all the way back: bit-identical every step
        assert state(doc) == states[i]
        history.undo()
    assert state(doc) == states[0]
    assert all(np.array_equal(p.transform, np.eye(4)) for p in doc.assembly)
    history.goto(25)
    assert state(doc) == states[25]
    history.goto(len(states))
    assert state(doc) == states[-1]
    history.goto(10)
    history.push(reset_pose_edit(doc.assembly.parts[:2]))      # a new edit drops the redo branch
    assert not history.can_redo() and history.index == 11
    history.undo()
    assert state(doc) == states[10]


def test_recolour_rename_hide_opacity_undo():
    doc, history = make_doc(), History()
    p, q = doc.assembly[0], doc.assembly[1]
    s0 = state(doc)
    history.push(FieldEdit.set([p, q], "colour", (1.0, 0.0, 0.0)))
    history.push(FieldEdit.set([p], "name", "seat"))
    history.push(FieldEdit.set([q], "visible", False))
    history.push(FieldEdit.set([q], "opacity", 0.25))
    assert (p.colour, q.colour, p.name, q.visible, q.opacity) == ((1.0, 0.0, 0.0), (1.0, 0.0, 0.0), "seat", False, 0.25)
    for _ in range(4):
        history.undo()
    assert state(doc) == s0
    for _ in range(4):
        history.redo()
    assert (p.name, q.visible, q.opacity) == ("seat", False, 0.25)
    with pytest.raises(ValueError):
        FieldEdit.set([p], "vertices", 0)


def test_delete_and_duplicate_undo_restore_parts_order_and_selection():
    doc, history = make_doc(5), History()
    order = [p.id for p in doc.assembly]
    s0 = state(doc)
    doomed = [doc.assembly[3], doc.assembly[1]]
    doc.selection.set([p.id for p in doomed])
    remove = RemoveParts(doc.assembly, doomed)
    history.push(Compound("Delete", [SelectionEdit(doc.selection, doc.selection.ids, []), remove]))
    assert [p.id for p in doc.assembly] == [order[0], order[2], order[4]]
    assert doc.selection.ids == []
    history.undo()
    assert [p.id for p in doc.assembly] == order and state(doc) == s0
    assert sorted(doc.selection.ids) == sorted(p.id for p in doomed)
    history.redo()
    history.undo()

    dup = duplicate_edit(doc.assembly, [doc.assembly[0], doc.assembly[2]])
    history.push(dup)
    ids = [p.id for p in doc.assembly]
    copies = dup.parts
    assert ids == [order[0], copies[0].id, order[1], order[2], copies[1].id, order[3], order[4]]
    copy = doc.assembly[1]
    assert copy.name == f"{doc.assembly[0].name} copy" and copy.id not in order
    assert np.array_equal(copy.vertices, doc.assembly[0].vertices)
    assert np.array_equal(copy.transform, doc.assembly[0].transform)
    history.undo()
    assert state(doc) == s0
    history.redo()
    assert [p.id for p in doc.assembly] == ids


def test_swapping_a_mesh_and_its_source_undoes():
    doc, history = make_doc(2), History()
    sources: dict[int, str] = {}
    p = doc.assembly[1]
    old_v = p.vertices.copy()
    box = trimesh.creation.box()
    history.push(MeshEdit(p, box.vertices, box.faces, source="other/shape", sources=sources))
    assert len(p.vertices) == 8 and sources == {p.id: "other/shape"}
    history.undo()
    assert np.array_equal(p.vertices, old_v) and sources == {}
    history.redo()
    assert sources == {p.id: "other/shape"}


def test_panel_edits_are_commands_grouped_and_undoable():
    doc = make_doc(3)
    history = doc.history
    a, b, c = doc.assembly.parts
    history.push(solo_edit(doc.assembly, c))       # the parts panel's solo button: one entry
    assert len(history.entries) == 1 and history.texts[-1] == f"Solo {c.name}"
    history.push(unsolo_edit(doc.assembly))
    for v in (0.9, 0.7, 0.4):               # a slider drag: one command per step, merged by key
        history.push(opacity_edit(b, v))
    history.push(FieldEdit.set([a], "visible", False))      # the visibility checkbox
    assert len(history.entries) == 4 and history.texts[-1] == f"Hide {a.name}"
    history.undo()
    assert a.visible and b.opacity == 0.4
    history.undo()
    assert b.opacity == 1.0
    history.undo()
    assert (a.visible, b.visible, c.visible) == (False, False, True)
    assert doc.assembly.soloed is c         # undoing the unsolo brings solo mode back exactly
    history.undo()
    assert all(p.visible for p in doc.assembly) and doc.assembly.soloed is None
    history.redo()
    assert (a.visible, b.visible, c.visible) == (False, False, True)
    # a command that changes nothing is not recorded; another field of b does not merge
    history.push(FieldEdit.set([c], "visible", True))
    history.push(FieldEdit.set([c], "name", "leg"))
    assert "leg" in history.texts[-1] and len(history.entries) == 2
    history.push(opacity_edit(a, 0.5))
    history.push(opacity_edit(b, 0.5))              # another part's slider: its own entry
    assert len(history.entries) == 4
    history.push(show_all_edit(doc.assembly))
    assert all(p.visible for p in doc.assembly) and history.texts[-1] == "Show all"
    history.undo()
    assert (a.visible, b.visible, c.visible) == (False, False, True) and doc.assembly.soloed is c
    doc.assembly.set_scene([Part(0, a.vertices, a.faces, (1, 1, 1))], None)     # a new shape
    assert history.entries == []


def test_undo_delete_uses_assembly_insert_parts_when_it_exists():
    from np_viewer.document import Assembly

    class InsertingAssembly(Assembly):       # Assembly.insert_parts, the undo-of-delete hook
        added: list = []

        def insert_parts(self, parts, positions):  # noqa: ANN001
            parts = list(parts)
            for p, i in zip(parts, positions):
                p.changed.connect(self._forward)
                self._parts.insert(i, p)
            self.added.append(len(parts))
            self.parts_added.emit(parts)

    a = InsertingAssembly()
    a.set_scene(make_doc(5).assembly.parts, None)
    order = [p.id for p in a]
    history = History()
    history.push(RemoveParts(a, [a[1], a[3]]))
    history.undo()
    assert [p.id for p in a] == order and InsertingAssembly.added == [2]
