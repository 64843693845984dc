"""The assembly: the parts predicted for one shape, the input they were predicted from, and solo."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np
from psygnal import Signal

from .part import Part


@dataclass
class InputGeometry:
    """The shape the parts were predicted for, in the same (normalised) frame as the parts.

    ``labels`` holds, per face of the mesh (its centroid) or per point when there is no mesh, the
    primitive that owns it (argmin of phi); None until segmentation has been computed.
    """

    points: np.ndarray                       # (N, 3) surface samples / the point cloud
    vertices: np.ndarray | None = None       # (V, 3) mesh vertices, None for point clouds
    faces: np.ndarray | None = None          # (T, 3)
    labels: np.ndarray | None = None         # (T,) owner per face of the mesh, or (N,) per point
    segment_mesh: tuple[np.ndarray, np.ndarray] | None = None   # the mesh, finely subdivided, for
    segment_labels: np.ndarray | None = None  # drawing: owner per face of segment_mesh

    @property
    def has_mesh(self) -> bool:
        return self.vertices is not None and self.faces is not None and len(self.faces) > 0


@dataclass
class AssemblyInfo:
    """What the assembly shows, for titles and the info panel."""

    shape_name: str = ""
    category: str = ""
    shape_path: str = ""
    model_name: str = ""
    resolution: int = 0
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DisplayState:
    """Which parts are shown, and which one is soloed (with what solo will restore)."""

    visible: dict[int, bool]
    solo_id: int | None
    solo_saved: dict[int, bool]


class Assembly:
    """An ordered list of parts with change events.

    Signals: ``about_to_reset`` (the parts on screen are about to be replaced; they are still
    there), ``reset`` (all parts and the input replaced: a new shape), ``part_changed(part, field)``
    (forwarded from every part), ``parts_added(list)``/``parts_removed(list)`` (for editing),
    ``input_changed`` (input geometry or its segmentation labels replaced).
    """

    about_to_reset = Signal()
    reset = Signal()
    part_changed = Signal(object, str)
    parts_added = Signal(list)
    parts_removed = Signal(list)
    input_changed = Signal()

    def __init__(self) -> None:
        self._parts: list[Part] = []
        self.input: InputGeometry | None = None
        self.info = AssemblyInfo()
        self._solo_id: int | None = None
        self._solo_saved: dict[int, bool] = {}
        self._in_solo_update = False

    # --- container ----------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Part]:
        return iter(list(self._parts))

    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, i: int) -> Part:
        return self._parts[i]

    @property
    def parts(self) -> list[Part]:
        return list(self._parts)

    def by_id(self, part_id: int) -> Part:
        for p in self._parts:
            if p.id == part_id:
                return p
        raise KeyError(f"no part with id {part_id}")

    def by_index(self, index: int) -> Part:
        """The (first) part that is primitive ``index``."""
        for p in self._parts:
            if p.index == index:
                return p
        raise KeyError(f"no part for primitive {index}")

    # --- whole-scene replacement --------------------------------------------------------------
    def set_scene(self, parts: Iterable[Part], input_geometry: InputGeometry | None,
                  info: AssemblyInfo | None = None, keep_display: bool = True) -> None:
        """Replace everything (a new shape). With ``keep_display`` the visibility and opacity of
        primitive k carry over from the previous scene, so a hidden part stays hidden while the
        user steps through instances; solo carries over too."""
        parts = list(parts)
        self.about_to_reset.emit()
        if keep_display and self._parts:
            old = {p.index: p for p in self._parts}
            for p in parts:
                if p.index in old:
                    p._visible = old[p.index].visible
                    p._opacity = old[p.index].opacity
                    p._colour = old[p.index].colour
        solo_index = None
        if self._solo_id is not None:
            solo_index = next((p.index for p in self._parts if p.id == self._solo_id), None)
            saved_by_index = {p.index: self._solo_saved.get(p.id, True) for p in self._parts}
        for p in self._parts:
            p.changed.disconnect(self._forward)
        self._parts = parts
        for p in parts:
            p.changed.connect(self._forward)
        self._solo_id = None
        self._solo_saved = {}
        if solo_index is not None and keep_display:
            match = [p for p in parts if p.index == solo_index]
            if match:
                self._solo_id = match[0].id
                self._solo_saved = {p.id: saved_by_index.get(p.index, True) for p in parts}
        self.input = input_geometry
        self.info = info or AssemblyInfo()
        self.reset.emit()

    def clear(self) -> None:
        self.set_scene([], None, keep_display=False)

    def set_labels(self, labels: np.ndarray | None,
                   segment_mesh: tuple[np.ndarray, np.ndarray] | None = None,
                   segment_labels: np.ndarray | None = None) -> None:
        if self.input is None:
            return
        self.input.labels = labels
        self.input.segment_mesh = segment_mesh
        self.input.segment_labels = segment_labels
        self.input_changed.emit()

    # --- editing hooks (issue 6 builds undo on these) -----------------------------------------
    def add_parts(self, parts: Iterable[Part]) -> None:
        parts = list(parts)
        for p in parts:
            p.changed.connect(self._forward)
        self._parts.extend(parts)
        self.parts_added.emit(parts)

    def insert_parts(self, parts: Iterable[Part], positions: Iterable[int]) -> None:
        """Insert ``parts`` so that each lands at its (ascending) index in ``positions`` (undo of a delete)."""
        parts = list(parts)
        for part, index in zip(parts, positions):
            part.changed.connect(self._forward)
            self._parts.insert(index, part)
        self.parts_added.emit(parts)

    def remove_parts(self, parts: Iterable[Part]) -> None:
        parts = [p for p in parts if p in self._parts]
        for p in parts:
            p.changed.disconnect(self._forward)
            self._parts.remove(p)
        if self._solo_id is not None and any(p.id == self._solo_id for p in parts):
            self._solo_id, self._solo_saved = None, {}
        self.parts_removed.emit(parts)

    # --- visibility ---------------------------------------------------------------------------
    @property
    def soloed(self) -> Part | None:
        return next((p for p in self._parts if p.id == self._solo_id), None)

    def solo(self, part: Part) -> None:
        """Show only ``part``; calling it again for the same part restores the previous visibility."""
        if self._solo_id == part.id:
            self.unsolo()
            return
        if self._solo_id is None:
            self._solo_saved = {p.id: p.visible for p in self._parts}
        self._solo_id = part.id
        self._in_solo_update = True
        try:
            for p in self._parts:
                p.visible = p.id == part.id
        finally:
            self._in_solo_update = False

    def unsolo(self) -> None:
        if self._solo_id is None:
            return
        saved, self._solo_id, self._solo_saved = self._solo_saved, None, {}
        self._in_solo_update = True
        try:
            for p in self._parts:
                p.visible = saved.get(p.id, True)
        finally:
            self._in_solo_update = False

    def show_all(self) -> None:
        self.unsolo()
        for p in self._parts:
            p.visible = True

    def display_state(self) -> DisplayState:
        """Every part's visibility and the solo state (for an exact undo of solo/show all)."""
        return DisplayState({p.id: p.visible for p in self._parts}, self._solo_id, dict(self._solo_saved))

    def restore_display(self, state: DisplayState) -> None:
        # the solo state first, so observers of the visibility events see the final one
        self._solo_id, self._solo_saved = state.solo_id, dict(state.solo_saved)
        self._in_solo_update = True       # putting back a state does not end solo mode
        try:
            for p in self._parts:
                p.visible = state.visible.get(p.id, p.visible)
        finally:
            self._in_solo_update = False

    def _forward(self, field_name: str) -> None:
        part = Signal.sender()
        if field_name == "visible" and self._solo_id is not None and not self._in_solo_update:
            # a manual visibility change ends solo mode; the user's choices from now on stand
            self._solo_id, self._solo_saved = None, {}
        self.part_changed.emit(part, field_name)
