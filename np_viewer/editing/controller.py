"""The editing controller: owns the history and turns user actions (menus, shortcuts, panels,
viewport clicks and the gizmo) into undoable edit commands on the document."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QColorDialog, QInputDialog

from ..document import Part
from ..document.edits import (Compound, FieldEdit, MeshEdit, RemoveParts, SelectionEdit, centroid,
                              duplicate_edit, reset_pose_edit, transform_edit)
from ..jobs import JobContext
from ..widgets import MainWindow
from .dialogs import show_error
from .files import FileActions
from .gizmo import Gizmo
from .history_panel import HistoryPanel
from .picking import ClickPicker
from .stash import EditStash
from .transform_panel import TransformPanel


class EditingController(QObject):
    """Editing for one main window (its extension ``"editing"``). Public pieces: ``history``,
    ``picker``, ``gizmo``, ``transform_panel``, ``history_panel``, ``files`` and the ``actions``
    dict (by name)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc
        self.viewport = window.viewport
        self.plotter = window.viewport.plotter
        self.renderer = window.viewport.renderer
        self.history = self.doc.history         # the panels push their edits here too
        self.sources: dict[int, str] = {}       # part id -> shape its mesh was swapped in from
        self.stash = EditStash(self.doc.assembly, self.history, self.sources)
        self.picker = ClickPicker(self.plotter, self.renderer, self.doc)
        self.gizmo = Gizmo(self.plotter, self.renderer, self.doc, self._gizmo_commit,
                           self.viewport.request_render)
        self.files = FileActions(self)
        self.jobs = window.session.jobs
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self.transform_panel = TransformPanel(self)
        self.history_panel = HistoryPanel(self.history)
        # tabs beside Info: the window keeps its minimum size (--screenshot --size is exact); the
        # Transform tab comes forward at the first selection
        self.docks = {key: window.add_panel(key, title, panel, closable=True, scroll=True, beside="info")
                      for key, title, panel in (("transform", "Transform", self.transform_panel),
                                                ("history", "History", self.history_panel))}
        window.panel("info").raise_()
        self._transform_shown = False
        self._build_menus()
        self.history.changed.connect(self._update_actions)
        self.doc.selection.changed.connect(self._update_actions)
        self.doc.selection.changed.connect(self._first_selection)
        self.doc.assembly.reset.connect(self._on_reset)
        self._update_actions()

    # --- lifecycle ----------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Disconnect from the document and drop the gizmo (before the plotter closes)."""
        self.gizmo.detach()
        self.picker.detach()
        self.jobs.cancel(owner=self)
        self.jobs.cancel(owner=self.files)
        self.jobs.wait(30000)

    def _first_selection(self) -> None:
        if not self._transform_shown and len(self.doc.selection):
            self._transform_shown = True
            self.docks["transform"].raise_()

    def _on_reset(self) -> None:
        self.sources.clear()      # a new scene: its parts come from its own shape
        message = self.stash.restore()   # ... unless the user edited this scene before
        if message:               # after the session's own "shape shown" message
            QTimer.singleShot(0, lambda: setattr(self.doc.status, "message", message))

    # --- selection ----------------------------------------------------------------------------
    def selected_parts(self) -> list[Part]:
        ids = self.doc.selection.ids
        return [p for p in self.doc.assembly if p.id in ids]

    def select_all(self) -> None:
        self.doc.selection.set(p.id for p in self.doc.assembly)

    def _need_selection(self, what: str) -> list[Part]:
        parts = self.selected_parts()
        if not parts:
            self.doc.status.message = f"{what}: select parts first (click them in the view or the list)"
        return parts

    # --- edits --------------------------------------------------------------------------------
    def push(self, command) -> None:  # noqa: ANN001
        self.history.push(command)
        self.doc.status.message = command.text

    def undo(self) -> None:
        text = self.history.undo_text
        if self.history.undo():
            self.doc.status.message = f"Undo: {text}"

    def redo(self) -> None:
        text = self.history.redo_text
        if self.history.redo():
            self.doc.status.message = f"Redo: {text}"

    def pivot(self, parts: Sequence[Part], mode: str) -> np.ndarray | None:
        if mode == "origin":
            return None
        if mode == "centroid":
            return centroid(parts)
        raise ValueError(f"pivot must be 'centroid' or 'origin', got {mode!r}")

    def transform_selection(self, matrix: np.ndarray, pivot: str = "centroid") -> None:
        parts = self._need_selection("Transform")
        if parts:
            edit = transform_edit(parts, matrix, self.pivot(parts, pivot))
            if not edit.is_noop():
                self.push(edit)

    def _gizmo_commit(self, delta: np.ndarray, parts: list[Part]) -> None:
        if parts:
            self.push(transform_edit(parts, delta, None, text=f"Move {parts[0].name if len(parts) == 1 else f'{len(parts)} parts'}"))

    def reset_pose(self) -> None:
        parts = self._need_selection("Reset pose")
        if parts:
            edit = reset_pose_edit(parts)
            if not edit.is_noop():
                self.push(edit)

    def set_visible(self, visible: bool) -> None:
        parts = self._need_selection("Show/hide")
        if parts:
            edit = FieldEdit.set(parts, "visible", bool(visible),
                                 f"{'Show' if visible else 'Hide'} {parts[0].name if len(parts) == 1 else f'{len(parts)} parts'}")
            if not edit.is_noop():
                self.push(edit)

    def toggle_visible(self) -> None:
        parts = self._need_selection("Show/hide")
        if parts:
            self.set_visible(not all(p.visible for p in parts))

    def rename(self, name: str | None = None) -> None:
        parts = self._need_selection("Rename")
        if not parts:
            return
        if name is None:
            name, ok = QInputDialog.getText(self.window, "Rename part", "Name:", text=parts[0].name)
            if not ok:
                return
        name = name.strip()
        if not name:
            show_error(self.window, "Cannot rename", "A part needs a non-empty name.")
            return
        names = [name] if len(parts) == 1 else [f"{name} {i + 1}" for i in range(len(parts))]
        edit = FieldEdit(parts, "name", [p.name for p in parts], names, f"Rename to {name}")
        if not edit.is_noop():
            self.push(edit)

    def recolour(self, colour: tuple[float, float, float] | None = None) -> None:
        parts = self._need_selection("Recolour")
        if not parts:
            return
        if colour is None:
            chosen = QColorDialog.getColor(QColor.fromRgbF(*parts[0].colour), self.window, "Part colour")
            if not chosen.isValid():
                return
            colour = (chosen.redF(), chosen.greenF(), chosen.blueF())
        edit = FieldEdit.set(parts, "colour", tuple(float(c) for c in colour),
                             f"Recolour {parts[0].name if len(parts) == 1 else f'{len(parts)} parts'}")
        if not edit.is_noop():
            self.push(edit)

    def delete_selected(self) -> None:
        parts = self._need_selection("Delete")
        if parts:
            before = self.doc.selection.ids
            remove = RemoveParts(self.doc.assembly, parts)
            self.push(Compound(remove.text, [SelectionEdit(self.doc.selection, before, []), remove]))

    def duplicate_selected(self) -> None:
        parts = self._need_selection("Duplicate")
        if parts:
            add = duplicate_edit(self.doc.assembly, parts)
            for orig, new in zip([p for p in self.doc.assembly if p in parts], add.parts):
                if orig.id in self.sources:
                    self.sources[new.id] = self.sources[orig.id]
            sel = SelectionEdit(self.doc.selection, self.doc.selection.ids, [p.id for p in add.parts])
            self.push(Compound(add.text, [add, sel]))

    # --- swap part k from another shape -------------------------------------------------------
    @property
    def swapping(self) -> bool:
        return bool(self.jobs.active(owner=self, group="swap"))

    def swap_candidates(self) -> list:
        current = self.doc.assembly.info.shape_path
        return [e for e in self.doc.library.entries if e.path != current]

    def swap_from(self, shape_path: str | None = None, parts: Sequence[Part] | None = None) -> bool:
        """Replace each selected part (primitive k) by primitive k predicted for another shape.
        Runs the model in the background; the edit lands as one undoable entry."""
        parts = list(parts) if parts is not None else self._need_selection("Swap")
        if not parts:
            return False
        predictor = self.window.session.predictor
        if predictor is None:
            show_error(self.window, "Cannot swap parts", "Open a model first (File > Open model…).")
            return False
        if shape_path is None:
            entries = self.swap_candidates()
            if not entries:
                show_error(self.window, "Cannot swap parts", "Open more than one shape to swap parts between them.")
                return False
            names = [f"{e.name} ({e.category})" if e.category else e.name for e in entries]
            choice, ok = QInputDialog.getItem(self.window, "Swap parts",
                                              "Take the selected parts from shape:", names, 0, False)
            if not ok:
                return False
            shape_path = entries[names.index(choice)].path
        bad = [p.name for p in parts if not 0 <= p.index < predictor.n_primitives]
        if bad:
            show_error(self.window, "Cannot swap parts", f"{', '.join(bad)} did not come from this model's primitives.")
            return False
        resolution = int(self.doc.assembly.info.resolution or self.doc.view.resolution)
        entry = next((e for e in self.doc.library.entries if e.path == shape_path), None)
        category = entry.category if entry else ""
        name = entry.name if entry else Path(shape_path).stem
        assembly_at_start = self.doc.assembly.info
        self.doc.status.update(busy=True, message=f"Predicting {name} to swap parts…")

        def job(ctx: JobContext) -> list:     # the service's cache: often predicted already
            return self.jobs.prediction(predictor, shape_path, resolution, category)[0].meshes

        def done(meshes: list) -> None:
            self.doc.status.busy = False
            if self.doc.assembly.info is not assembly_at_start:
                self.doc.status.message = "Swap dropped: the scene changed meanwhile"
                return
            alive = [p for p in parts if p in self.doc.assembly.parts]
            edits = [MeshEdit(p, *meshes[p.index], source=shape_path, sources=self.sources,
                              text=f"Swap {p.name} from {name}") for p in alive]
            if edits:
                self.push(Compound(edits[0].text if len(edits) == 1 else f"Swap {len(edits)} parts from {name}",
                                   edits))

        def failed(exc: BaseException, tb: str) -> None:
            self.doc.status.busy = False
            show_error(self.window, "Cannot swap parts", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

        self.jobs.submit(job, done, failed, owner=self, group="swap", inline=False)
        return True

    # --- Qt glue ------------------------------------------------------------------------------
    def _action(self, key: str, text: str, slot, shortcut: str | None = None, tip: str = "",  # noqa: ANN001
                checkable: bool = False, checked: bool = False) -> QAction:
        act = self.window.new_action(text, slot, shortcut, tip, checkable, checked)
        if tip:
            act.setStatusTip(tip)
        self.actions[key] = act
        return act

    def _build_actions(self) -> None:
        f = self.files
        a = self._action
        a("undo", "Undo", self.undo, "Ctrl+Z")
        a("redo", "Redo", self.redo, "Ctrl+Shift+Z")
        self.actions["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        a("select_all", "Select all parts", self.select_all, "Ctrl+A")
        a("select_none", "Select none", self.doc.selection.clear, "Esc")
        a("delete", "Delete", self.delete_selected, "Delete", "Delete the selected parts")
        a("duplicate", "Duplicate", self.duplicate_selected, "Ctrl+D", "Copy the selected parts in place")
        a("hide", "Hide/show", self.toggle_visible, "H", "Hide the selected parts (or show them again)")
        a("rename", "Rename…", self.rename, "F2")
        a("recolour", "Recolour…", self.recolour, None, "Choose a colour for the selected parts")
        a("reset_pose", "Reset to predicted pose", self.reset_pose, None,
          "Undo every move, rotation and scale of the selected parts")
        a("swap", "Swap from another shape…", self.swap_from, None,
          "Replace each selected part k by part k predicted for another shape")
        a("gizmo", "Transform gizmo", self.gizmo.set_enabled, "T", "Move/rotate handles on the selection",
          checkable=True, checked=True)
        a("export_selected", "Export selected parts…", lambda: f.export_parts(selected_only=True), "Ctrl+E")
        a("export_all", "Export visible parts…", lambda: f.export_parts(selected_only=False), "Ctrl+Shift+E")
        a("export_union", "Export union of visible parts…", f.export_union)
        a("export_segmentation", "Export input split by part…", f.export_segmentation)
        a("per_part", "One file per part", lambda on: setattr(f, "per_part", bool(on)), checkable=True)
        a("bake", "Bake transforms into vertices", lambda on: setattr(f, "bake_transforms", bool(on)),
          None, "GLB/glTF: apply transforms to the vertices instead of keeping them as node matrices",
          checkable=True)
        a("screenshot", "Screenshot…", f.screenshot, "Ctrl+Shift+P")
        a("transparent", "Transparent background", lambda on: setattr(f, "transparent", bool(on)), checkable=True)
        a("turntable", "Turntable GIF…", f.turntable)
        a("save_assembly", "Save assembly…", f.save_assembly, "Ctrl+S")
        a("open_assembly", "Open assembly…", f.open_assembly, "Ctrl+Shift+A")

    def _build_menus(self) -> None:
        pick = lambda *keys: [None if k is None else self.actions[k] for k in keys]  # noqa: E731
        w = self.window
        w.add_to_menu("edit", *pick("undo", "redo", None, "select_all", "select_none", None, "delete", "duplicate",
                                    "hide", "rename", "recolour", "reset_pose", "swap", None, "gizmo"))
        panels = w.menu("edit").addMenu("Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        w.add_to_menu("export", *pick("export_selected", "export_all", "export_union", "export_segmentation", None,
                                      "per_part", "bake", None, "save_assembly", "open_assembly", None, "screenshot",
                                      "transparent", "turntable"))
        # saving/opening assemblies belongs with the other files too
        w.add_to_menu("file", *pick("open_assembly", "save_assembly"), section="assembly")

    def _update_actions(self) -> None:
        h, has = self.history, bool(len(self.doc.selection))
        self.actions["undo"].setEnabled(h.can_undo())
        self.actions["redo"].setEnabled(h.can_redo())
        self.actions["undo"].setText(f"Undo {h.undo_text}" if h.can_undo() else "Undo")
        self.actions["redo"].setText(f"Redo {h.redo_text}" if h.can_redo() else "Redo")
        for key in ("delete", "duplicate", "hide", "rename", "recolour", "reset_pose", "swap", "export_selected"):
            self.actions[key].setEnabled(has)
