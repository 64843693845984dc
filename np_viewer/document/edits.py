"""Edit commands for the undo history, and the transform maths they use (plain Python, no Qt).

Every command keeps the exact values before and after (copies of matrices, tuples of floats), so
undo/redo restores bit-identical state. Commands hold the Part objects themselves: a deleted part
is kept alive by its command and re-inserted at its old position on undo.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from .assembly import Assembly
from .part import Part
from .selection import Selection

FIELDS = ("name", "colour", "visible", "opacity", "transform")


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def _label(parts: Sequence[Part]) -> str:
    return parts[0].name if len(parts) == 1 else f"{len(parts)} parts"


# --- transform maths ----------------------------------------------------------------------------
def rotation_matrix(degrees: Sequence[float]) -> np.ndarray:
    """3x3 rotation by (rx, ry, rz) degrees about the fixed x, then y, then z axes (Rz @ Ry @ Rx)."""
    rx, ry, rz = np.radians(np.asarray(degrees, dtype=np.float64))
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return mz @ my @ mx


def compose(translation: Sequence[float] = (0, 0, 0), rotation_deg: Sequence[float] = (0, 0, 0),
            scale: Sequence[float] | float = (1, 1, 1)) -> np.ndarray:
    """4x4 column-vector matrix: scale first, then rotate, then translate (T @ R @ S)."""
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), (3,))
    if np.any(s == 0) or not np.all(np.isfinite(s)):
        raise ValueError(f"scale must be finite and non-zero, got {tuple(s)}")
    m = np.eye(4)
    m[:3, :3] = rotation_matrix(rotation_deg) @ np.diag(s)
    m[:3, 3] = np.asarray(translation, dtype=np.float64)
    return m


def about(matrix: np.ndarray, pivot: Sequence[float]) -> np.ndarray:
    """``matrix`` applied about ``pivot`` instead of the origin: Tr(p) @ M @ Tr(-p)."""
    p = np.asarray(pivot, dtype=np.float64)
    to, back = np.eye(4), np.eye(4)
    to[:3, 3], back[:3, 3] = p, -p
    return to @ np.asarray(matrix, dtype=np.float64) @ back


def centroid(parts: Iterable[Part]) -> np.ndarray:
    """Mean of the parts' world-space vertices (the pivot "about the selection's centroid")."""
    pts = [p.world_vertices().astype(np.float64) for p in parts if len(p.vertices)]
    if not pts:
        return np.zeros(3)
    return np.concatenate(pts).mean(axis=0)


def _default_text(parts: Sequence[Part], field_name: str, new: Sequence[Any]) -> str:
    label = _label(parts)
    if field_name == "name":
        return f"Rename {label} to {new[0]}" if len(parts) == 1 else f"Rename {label}"
    if field_name == "visible":
        return f"{'Show' if new and all(new) else 'Hide'} {label}"
    verb = {"colour": "Recolour", "opacity": "Opacity of", "transform": "Transform"}[field_name]
    return f"{verb} {label}"


# --- commands -----------------------------------------------------------------------------------
@dataclass(eq=False)
class FieldEdit:
    """Set one field (name, colour, visible, opacity, transform) of some parts."""

    parts: list[Part]
    field: str
    old: list[Any]
    new: list[Any]
    text: str = ""
    merge_key: object = None     # edits with the same key merge into one entry (a slider drag)

    def __post_init__(self) -> None:
        if self.field not in FIELDS:
            raise ValueError(f"cannot edit field {self.field!r}")
        if not (len(self.parts) == len(self.old) == len(self.new)):
            raise ValueError("parts, old and new values must have the same length")
        self.old = [_copy(v) for v in self.old]
        self.new = [_copy(v) for v in self.new]
        self.text = self.text or _default_text(self.parts, self.field, self.new)

    @classmethod
    def set(cls, parts: Sequence[Part], field: str, values: Sequence[Any] | Any, text: str = "",
            merge_key: object = None) -> "FieldEdit":
        """``values``: one per part, or (a non-list) one for all."""
        parts = list(parts)
        if not isinstance(values, list):
            values = [values] * len(parts)
        return cls(parts, field, [getattr(p, field) for p in parts], list(values), text, merge_key)

    def redo(self) -> None:
        for p, v in zip(self.parts, self.new):
            setattr(p, self.field, _copy(v))

    def undo(self) -> None:
        for p, v in zip(reversed(self.parts), reversed(self.old)):
            setattr(p, self.field, _copy(v))

    def is_noop(self) -> bool:
        return all(_same(a, b) for a, b in zip(self.old, self.new))

    def merge(self, other: "FieldEdit") -> bool:
        """Absorb ``other`` (the next step of the same drag): keep our old values, take its new."""
        if other.field != self.field or [p.id for p in other.parts] != [p.id for p in self.parts]:
            return False
        self.new = [_copy(v) for v in other.new]
        return True


def opacity_edit(part: Part, opacity: float) -> FieldEdit:
    """One step of an opacity slider: consecutive steps for one part are one history entry."""
    return FieldEdit.set([part], "opacity", float(opacity), merge_key=("opacity", part.id))


def transform_edit(parts: Sequence[Part], delta: np.ndarray, pivot: Sequence[float] | None = None,
                   text: str = "") -> FieldEdit:
    """Left-multiply each part's transform by ``delta`` taken about ``pivot`` (None: the origin)."""
    parts = list(parts)
    m = np.asarray(delta, dtype=np.float64) if pivot is None else about(delta, pivot)
    return FieldEdit(parts, "transform", [p.transform for p in parts], [m @ p.transform for p in parts],
                     text or f"Transform {_label(parts)}")


def reset_pose_edit(parts: Sequence[Part]) -> FieldEdit:
    return FieldEdit.set(parts, "transform", np.eye(4), f"Reset pose of {_label(list(parts))}")


@dataclass(eq=False)
class SelectionEdit:
    """Selection before/after, so undoing a delete or duplicate also restores what was selected."""

    selection: Selection
    before: list[int]
    after: list[int]
    text: str = "Select"

    def redo(self) -> None:
        self.selection.set(self.after)

    def undo(self) -> None:
        self.selection.set(self.before)


def insert_parts(assembly: Assembly, parts: Sequence[Part], positions: Sequence[int]) -> None:
    """Put ``parts`` back at ``positions`` (indices in the final order).

    ``Assembly.add_parts`` only appends, so the parts after the first position are taken out and
    added again in the right order (uses ``Assembly.insert_parts`` instead when it exists)."""
    order = sorted(zip(positions, range(len(parts))))
    if hasattr(assembly, "insert_parts"):
        assembly.insert_parts([parts[i] for _, i in order], [pos for pos, _ in order])
        return
    final = assembly.parts
    for pos, i in order:
        final.insert(pos, parts[i])
    first = order[0][0] if order else len(final)
    tail = [p for p in assembly.parts[first:]]
    if tail:
        assembly.remove_parts(tail)
    assembly.add_parts(final[first:])


@dataclass(eq=False)
class RemoveParts:
    assembly: Assembly
    parts: list[Part]
    text: str = ""
    positions: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        current = self.assembly.parts
        self.parts = [p for p in current if p in self.parts]     # display order
        self.positions = [current.index(p) for p in self.parts]
        self.text = self.text or f"Delete {_label(self.parts)}"

    def redo(self) -> None:
        self.assembly.remove_parts(self.parts)

    def undo(self) -> None:
        insert_parts(self.assembly, self.parts, self.positions)


@dataclass(eq=False)
class AddParts:
    """Add ``parts`` at ``positions`` (default: each right after its original)."""

    assembly: Assembly
    parts: list[Part]
    positions: list[int]
    text: str = ""

    def __post_init__(self) -> None:
        self.text = self.text or f"Add {_label(self.parts)}"

    def redo(self) -> None:
        insert_parts(self.assembly, self.parts, self.positions)

    def undo(self) -> None:
        self.assembly.remove_parts(self.parts)


def copy_part(part: Part, name: str | None = None) -> Part:
    """A new part (new id) with the same mesh and state."""
    return Part(part.index, part.vertices.copy(), part.faces.copy(), part.colour,
                name=name if name is not None else part.name, visible=part.visible,
                opacity=part.opacity, transform=part.transform)


def duplicate_edit(assembly: Assembly, parts: Sequence[Part]) -> AddParts:
    """Copies of ``parts`` (named "<name> copy"), each placed right after its original."""
    current = assembly.parts
    originals = [p for p in current if p in parts]
    copies = [copy_part(p, f"{p.name} copy") for p in originals]
    final = list(current)
    for orig, new in zip(originals, copies):
        final.insert(final.index(orig) + 1, new)
    return AddParts(assembly, copies, [final.index(c) for c in copies], f"Duplicate {_label(originals)}")


@dataclass(eq=False)
class MeshEdit:
    """Replace a part's mesh (swap in primitive k of another shape). ``sources`` maps part id to the
    shape a part's mesh came from when that is not the assembly's shape."""

    part: Part
    vertices: np.ndarray
    faces: np.ndarray
    source: str | None
    sources: dict[int, str]
    text: str = ""

    def __post_init__(self) -> None:
        self.old = (self.part.vertices.copy(), self.part.faces.copy(), self.sources.get(self.part.id))
        self.new = (np.asarray(self.vertices).copy(), np.asarray(self.faces).copy(), self.source)
        self.text = self.text or f"Swap {self.part.name}"

    def _apply(self, state: tuple) -> None:
        v, f, src = state
        self.part.set_mesh(v, f)
        if src is None:
            self.sources.pop(self.part.id, None)
        else:
            self.sources[self.part.id] = src

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


@dataclass(eq=False)
class Compound:
    """Several commands as one history entry (undone in reverse order)."""

    text: str
    commands: list = field(default_factory=list)

    def redo(self) -> None:
        for c in self.commands:
            c.redo()

    def undo(self) -> None:
        for c in reversed(self.commands):
            c.undo()


@dataclass(eq=False)
class DisplayEdit:
    """Solo, unsolo or show all: the visibility of every part and the assembly's solo state,
    before and after, as one entry. ``action`` runs the first time; redo/undo put back states."""

    assembly: Assembly
    action: Any                   # Callable[[], None] on the assembly
    text: str
    before: Any = None
    after: Any = None

    def redo(self) -> None:
        if self.after is None:
            self.before = self.assembly.display_state()
            self.action()
            self.after = self.assembly.display_state()
        else:
            self.assembly.restore_display(self.after)

    def undo(self) -> None:
        self.assembly.restore_display(self.before)


def solo_edit(assembly: Assembly, part: Part) -> DisplayEdit:
    """The solo button: show only ``part`` (again: restore what was shown before)."""
    verb = "Unsolo" if assembly.soloed is part else "Solo"
    return DisplayEdit(assembly, lambda: assembly.solo(part), f"{verb} {part.name}")


def show_all_edit(assembly: Assembly) -> DisplayEdit:
    return DisplayEdit(assembly, assembly.show_all, "Show all")


def unsolo_edit(assembly: Assembly) -> DisplayEdit:
    soloed = assembly.soloed
    return DisplayEdit(assembly, assembly.unsolo, f"Unsolo {soloed.name if soloed else ''}".strip())
