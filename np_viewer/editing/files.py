"""File actions of the editing menus: export parts / union / segmentation, save and open an
assembly, screenshot and turntable GIF. Writing goes through ``trainer.export`` (atomic, never
overwrites without ``overwrite=True``): an existing file becomes a "Replace?" question, any other
failure one error dialog; the scene is never touched by a failed write."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog

from trainer.export import (ExportError, ExportExistsError, ExportPart, SavedAssembly, SavedPart,
                            export_parts, load_assembly, resolve_reference, save_assembly,
                            split_by_labels, union_parts, write_files)

from trainer.palette import part_colour

from ..document import AssemblyInfo, InputGeometry, Part
from .dialogs import ask_save_path, confirm_replace, parse_size, show_error
from .offscreen import gif_bytes, png_bytes, render_image, turntable_frames

if TYPE_CHECKING:
    from .controller import EditingController

MESH_FILTERS = "GLB scene (*.glb);;glTF scene (*.gltf);;OBJ with MTL (*.obj);;PLY (*.ply);;STL (*.stl)"
SINGLE_MESH_FILTERS = "STL (*.stl);;PLY (*.ply);;OBJ with MTL (*.obj);;GLB (*.glb);;glTF (*.gltf)"
ASSEMBLY_SUFFIX = ".npasm"


def export_part(part: Part) -> ExportPart:
    return ExportPart(part.name, part.vertices, part.faces, part.colour, part.transform, part.opacity)


class FileActions:
    def __init__(self, controller: "EditingController") -> None:
        self.c = controller
        self.window = controller.window
        self.doc = controller.doc
        # options shown as checkable actions in the Export menu
        self.per_part = False
        self.bake_transforms = False
        self.transparent = False
        self.screenshot_size = "1280x800"
        self.gif_size = "480x360"
        self.gif_frames = 36

    # --- plumbing -----------------------------------------------------------------------------
    def _write(self, what: str, write: Callable[[bool], object]) -> object | None:
        """``write(overwrite)``; asks before replacing; reports failures in a dialog."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            try:
                result = write(False)
            except ExportExistsError as exc:
                QApplication.restoreOverrideCursor()
                if not confirm_replace(self.window, exc):
                    self.doc.status.message = f"{what}: not replaced"
                    return None
                QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
                result = write(True)
        except (ExportError, OSError, ValueError) as exc:
            show_error(self.window, f"Cannot {what.lower()}", str(exc) or type(exc).__name__)
            return None
        finally:
            while QApplication.overrideCursor() is not None:
                QApplication.restoreOverrideCursor()
        return result

    def _done(self, what: str, paths) -> None:  # noqa: ANN001
        paths = paths if isinstance(paths, list) else [paths]
        names = ", ".join(Path(p).name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        self.doc.status.message = f"{what}: wrote {names}"

    # --- parts ----------------------------------------------------------------------------------
    def parts_to_export(self, selected_only: bool) -> list[Part]:
        if selected_only:
            return self.c.selected_parts()
        return [p for p in self.doc.assembly if p.visible]

    def export_parts(self, selected_only: bool = False, path: Path | None = None) -> list[Path] | None:
        parts = self.parts_to_export(selected_only)
        if not parts:
            show_error(self.window, "Nothing to export",
                       "Select parts first." if selected_only else "No part is visible.")
            return None
        if path is None:
            path = ask_save_path(self.window, "Export parts", MESH_FILTERS, ".glb")
            if path is None:
                return None
        items = [export_part(p) for p in parts]
        result = self._write("Export parts", lambda ow: export_parts(
            items, path, per_part=self.per_part, bake_transforms=self.bake_transforms, overwrite=ow))
        if result is not None:
            self._done("Export", result)
        return result

    def export_union(self, path: Path | None = None) -> list[Path] | None:
        parts = self.parts_to_export(False)
        if not parts:
            show_error(self.window, "Nothing to export", "No part is visible.")
            return None
        if path is None:
            path = ask_save_path(self.window, "Export the union of the visible parts", SINGLE_MESH_FILTERS, ".stl")
            if path is None:
                return None
        try:
            union = union_parts([export_part(p) for p in parts])
        except ExportError as exc:
            show_error(self.window, "Cannot build the union", str(exc))
            return None
        result = self._write("Export union", lambda ow: export_parts([union.as_part("union")], path, overwrite=ow))
        if result is not None:
            note = "" if not union.problems else f" ({'; '.join(union.problems)})"
            self.doc.status.message = f"Union: wrote {Path(path).name}{note}"
        return result

    def export_segmentation(self, path: Path | None = None) -> list[Path] | None:
        """The input mesh split into parts by owning primitive (computed by the segmentation mode)."""
        geo = self.doc.assembly.input
        if geo is None or not geo.has_mesh:
            show_error(self.window, "Nothing to segment", "The current shape has no input mesh.")
            return None
        if geo.labels is None or len(geo.labels) != len(geo.faces):
            self.doc.view.segmentation = True      # the session computes the labels in the background
            show_error(self.window, "Segmentation not ready",
                       "The segmentation is being computed (Segment mode is on); export again when it shows.")
            return None
        if path is None:
            path = ask_save_path(self.window, "Export the input split by part", MESH_FILTERS, ".glb")
            if path is None:
                return None
        by_index = {p.index: p for p in reversed(self.doc.assembly.parts) if p.index >= 0}
        segs = split_by_labels(
            geo.vertices, geo.faces, geo.labels, per="face",
            names=lambda k: by_index[k].name if k in by_index else f"part {k}",
            colours=lambda k: by_index[k].colour if k in by_index else part_colour(k))
        result = self._write("Export segmentation", lambda ow: export_parts(
            segs, path, per_part=self.per_part, overwrite=ow))
        if result is not None:
            self._done("Segmentation", result)
        return result

    # --- saved assemblies ---------------------------------------------------------------------
    def saved_assembly(self) -> SavedAssembly:
        a = self.doc.assembly
        predictor = getattr(getattr(self.window, "session", None), "predictor", None)
        ckpt = getattr(predictor, "path", None)
        parts = [SavedPart(p.name, p.vertices, p.faces, p.index if p.index >= 0 else None, p.colour, p.visible,
                           p.opacity, p.transform, self.c.sources.get(p.id)) for p in a]
        return SavedAssembly(parts, checkpoint=str(ckpt) if ckpt else None,
                             shape=a.info.shape_path or None, resolution=a.info.resolution or None,
                             metadata={"shape_name": a.info.shape_name, "category": a.info.category,
                                       "model_name": a.info.model_name})

    def save_assembly(self, path: Path | None = None) -> Path | None:
        if not len(self.doc.assembly):
            show_error(self.window, "Nothing to save", "There are no parts to save.")
            return None
        if path is None:
            path = ask_save_path(self.window, "Save assembly", "Saved assembly (*.npasm)", ASSEMBLY_SUFFIX)
            if path is None:
                return None
        saved = self.saved_assembly()
        result = self._write("Save assembly", lambda ow: save_assembly(saved, path, overwrite=ow))
        if result is not None:
            self._done("Saved assembly", result)
        return result

    def open_assembly(self, path: Path | None = None) -> bool:
        if path is None:
            folder = QFileDialog.getExistingDirectory(self.window, "Open a saved assembly (.npasm folder)")
            if not folder:
                return False
            path = Path(folder)
        try:
            saved = load_assembly(path)
        except ExportError as exc:
            show_error(self.window, "Cannot open assembly", str(exc))
            return False
        parts, sources = [], {}
        for sp in saved.parts:
            p = Part(sp.primitive if sp.primitive is not None else -1, sp.vertices, sp.faces, sp.colour,
                     name=sp.name, visible=sp.visible, opacity=sp.opacity, transform=sp.transform)
            parts.append(p)
            if sp.shape:
                sources[p.id] = sp.shape
        geo = self._input_for(resolve_reference(path, saved.shape))
        meta = saved.metadata or {}
        info = AssemblyInfo(shape_name=meta.get("shape_name") or Path(path).stem,
                            category=meta.get("category", ""), shape_path=saved.shape or "",
                            model_name=meta.get("model_name", ""), resolution=saved.resolution or 0,
                            extra={"assembly": str(path)})
        self.doc.assembly.set_scene(parts, geo, info, keep_display=False)
        self.c.sources.clear()
        self.c.sources.update(sources)
        self.doc.status.message = f"Opened assembly {Path(path).name} ({len(parts)} parts)"
        return True

    @staticmethod
    def _input_for(shape_path: Path | None) -> InputGeometry | None:
        """The input shape beside the parts, when its file is still there (else parts only)."""
        if shape_path is None or not shape_path.exists():
            return None
        try:
            from trainer.inference import load_shape
            s = load_shape(str(shape_path))
        except Exception:  # noqa: BLE001 - the assembly opens without its input
            return None
        return InputGeometry(points=s.points, vertices=s.vertices, faces=s.faces)

    # --- images -------------------------------------------------------------------------------
    def _ask_size(self, title: str, default: str) -> tuple[int, int] | None:
        text, ok = QInputDialog.getText(self.window, title, "Size in pixels (WxH):", text=default)
        if not ok:
            return None
        try:
            return parse_size(text)
        except ValueError as exc:
            show_error(self.window, title, str(exc))
            return None

    def _camera(self):  # noqa: ANN202
        return self.c.plotter.camera

    def screenshot(self, path: Path | None = None, size: tuple[int, int] | None = None) -> Path | None:
        if size is None:
            size = self._ask_size("Screenshot", self.screenshot_size)
            if size is None:
                return None
        if path is None:
            path = ask_save_path(self.window, "Save screenshot", "PNG image (*.png)", ".png")
            if path is None:
                return None
        img = render_image(self.doc, size, self._camera(), transparent=self.transparent)
        result = self._write("Save screenshot", lambda ow: write_files({path: png_bytes(img)}, overwrite=ow))
        if result is not None:
            self._done("Screenshot", result)
        return result

    def turntable(self, path: Path | None = None, size: tuple[int, int] | None = None) -> Path | None:
        if size is None:
            size = self._ask_size("Turntable GIF", self.gif_size)
            if size is None:
                return None
        if path is None:
            path = ask_save_path(self.window, "Save turntable animation", "GIF animation (*.gif)", ".gif")
            if path is None:
                return None
        self.doc.status.message = f"Rendering {self.gif_frames} frames…"
        frames = turntable_frames(self.doc, size, self._camera(), self.gif_frames)
        result = self._write("Save animation", lambda ow: write_files({path: gif_bytes(frames)}, overwrite=ow))
        if result is not None:
            self._done("Turntable", result)
        return result


__all__ = ["FileActions", "export_part"]
