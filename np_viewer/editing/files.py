"""File actions of the editing menus: export parts / union / segmentation, save and open an
assembly, screenshot and turntable GIF. Writing goes through ``trainer.export`` (atomic, never
overwrites without ``overwrite=True``): an existing file becomes a "Replace?" question, any other
failure one error dialog; the scene is never touched by a failed write.

Every export runs as a job of the viewer's job service (lane "export", with progress and Cancel in
the status bar), on a snapshot of the parts taken when the user asked: the window stays
responsive during a big export. Images are rendered on the GUI thread (VTK), a turntable one frame
per event-loop turn; encoding and writing them is a job too."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from PySide6.QtWidgets import QFileDialog, QInputDialog

from trainer.export import (EXPORT_FORMATS, ExportError, ExportExistsError, ExportFormat, ExportPart,
                            SavedAssembly, SavedPart, export_parts, load_assembly, resolve_reference,
                            save_assembly, save_filter, split_by_labels, union_parts, write_files)

from trainer.palette import part_colour

from ..document import AssemblyInfo, InputGeometry, Part
from .dialogs import ask_save_path, confirm_replace, parse_size, show_error
from ..jobs import Job, JobContext
from .offscreen import gif_bytes, png_bytes, render_image, turntable_iter

if TYPE_CHECKING:
    from .controller import EditingController

# Save dialogs offer every registered export format, the default first: a scene keeps parts apart.
PARTS_FORMAT, UNION_FORMAT = EXPORT_FORMATS["glb"], EXPORT_FORMATS["stl"]
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
    @property
    def busy(self) -> bool:
        """An export (or the rendering of a turntable) is running."""
        return bool(self.c.jobs.active(owner=self))

    def _write(self, what: str, write: Callable[[bool, JobContext], Any],
               on_written: Callable[[Any], None], overwrite: bool = False) -> Job:
        """Run ``write(overwrite, ctx)`` as an export job; asks before replacing (then runs it again
        with ``overwrite``); reports failures in a dialog."""
        def job(ctx: JobContext) -> Any:
            ctx.report(f"{what}…", None)
            ctx.check()
            return write(overwrite, ctx)

        def failed(exc: BaseException, tb: str) -> None:
            if isinstance(exc, ExportExistsError) and not overwrite:
                if confirm_replace(self.window, exc):
                    self._write(what, write, on_written, overwrite=True)
                else:
                    self.doc.status.message = f"{what}: not replaced"
                return
            show_error(self.window, f"Cannot {what.lower()}", str(exc).strip() or type(exc).__name__)

        return self.c.jobs.submit(job, on_written, failed, lane="export", title=what, owner=self,
                                  cancellable=True, inline=False)

    def _ask_export_path(self, title: str, default: ExportFormat) -> Path | None:
        return ask_save_path(self.window, title, save_filter(default.name), default.suffix)

    def _done(self, what: str, paths) -> None:  # noqa: ANN001
        paths = paths if isinstance(paths, list) else [paths]
        names = ", ".join(Path(p).name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        self.doc.status.message = f"{what}: wrote {names}"

    # --- parts ----------------------------------------------------------------------------------
    def parts_to_export(self, selected_only: bool) -> list[Part]:
        if selected_only:
            return self.c.selected_parts()
        return [p for p in self.doc.assembly if p.visible]

    def export_parts(self, selected_only: bool = False, path: Path | None = None) -> Job | None:
        parts = self.parts_to_export(selected_only)
        if not parts:
            show_error(self.window, "Nothing to export",
                       "Select parts first." if selected_only else "No part is visible.")
            return None
        if path is None:
            path = self._ask_export_path("Export parts", PARTS_FORMAT)
            if path is None:
                return None
        items = [export_part(p) for p in parts]
        per_part, bake = self.per_part, self.bake_transforms
        return self._write("Export parts", lambda ow, ctx: export_parts(
            items, path, per_part=per_part, bake_transforms=bake, overwrite=ow),
            lambda result: self._done("Export", result))

    def export_union(self, path: Path | None = None) -> Job | None:
        parts = self.parts_to_export(False)
        if not parts:
            show_error(self.window, "Nothing to export", "No part is visible.")
            return None
        if path is None:
            path = self._ask_export_path("Export the union of the visible parts", UNION_FORMAT)
            if path is None:
                return None
        items = [export_part(p) for p in parts]

        def write(overwrite: bool, ctx: JobContext) -> tuple[Any, list[str]]:
            ctx.report("Building the union of the visible parts…", None)
            union = union_parts(items)
            ctx.check()
            ctx.report("Writing the union…", None)
            return export_parts([union.as_part("union")], path, overwrite=overwrite), union.problems

        def written(result: tuple[Any, list[str]]) -> None:
            note = "" if not result[1] else f" ({'; '.join(result[1])})"
            self.doc.status.message = f"Union: wrote {Path(path).name}{note}"

        return self._write("Export union", write, written)

    def export_segmentation(self, path: Path | None = None) -> Job | None:
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
            path = self._ask_export_path("Export the input split by part", PARTS_FORMAT)
            if path is None:
                return None
        by_index = {p.index: (p.name, p.colour) for p in reversed(self.doc.assembly.parts) if p.index >= 0}
        vertices, faces, labels, per_part = geo.vertices, geo.faces, geo.labels, self.per_part

        def write(overwrite: bool, ctx: JobContext) -> Any:
            segs = split_by_labels(
                vertices, faces, labels, per="face",
                names=lambda k: by_index[k][0] if k in by_index else f"part {k}",
                colours=lambda k: by_index[k][1] if k in by_index else part_colour(k))
            ctx.check()
            return export_parts(segs, path, per_part=per_part, overwrite=overwrite)

        return self._write("Export segmentation", write, lambda result: self._done("Segmentation", result))

    # --- saved assemblies ---------------------------------------------------------------------
    def saved_assembly(self) -> SavedAssembly:
        a = self.doc.assembly
        predictor = self.window.session.predictor
        ckpt = predictor.path if predictor is not None else None
        parts = [SavedPart(p.name, p.vertices, p.faces, p.index if p.index >= 0 else None, p.colour, p.visible,
                           p.opacity, p.transform, self.c.sources.get(p.id)) for p in a]
        return SavedAssembly(parts, checkpoint=str(ckpt) if ckpt else None,
                             shape=a.info.shape_path or None, resolution=a.info.resolution or None,
                             metadata={"shape_name": a.info.shape_name, "category": a.info.category,
                                       "model_name": a.info.model_name,
                                       **({"fit": self.doc.status.fit} if self.doc.status.fit else {})})

    def save_assembly(self, path: Path | None = None) -> Job | None:
        if not len(self.doc.assembly):
            show_error(self.window, "Nothing to save", "There are no parts to save.")
            return None
        if path is None:
            path = ask_save_path(self.window, "Save assembly", "Saved assembly (*.npasm)", ASSEMBLY_SUFFIX)
            if path is None:
                return None
        saved = self.saved_assembly()
        return self._write("Save assembly", lambda ow, ctx: save_assembly(saved, path, overwrite=ow),
                           lambda result: self._done("Saved assembly", result))

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
        self.doc.status.fit = meta.get("fit") or {}       # a saved fit shows its before/after numbers
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

    def screenshot(self, path: Path | None = None, size: tuple[int, int] | None = None) -> Job | None:
        if size is None:
            size = self._ask_size("Screenshot", self.screenshot_size)
            if size is None:
                return None
        if path is None:
            path = ask_save_path(self.window, "Save screenshot", "PNG image (*.png)", ".png")
            if path is None:
                return None
        img = render_image(self.doc, size, self._camera(), transparent=self.transparent)   # VTK: GUI thread
        return self._write("Save screenshot", lambda ow, ctx: write_files({path: png_bytes(img)}, overwrite=ow),
                           lambda result: self._done("Screenshot", result))

    def turntable(self, path: Path | None = None, size: tuple[int, int] | None = None) -> Job | None:
        if size is None:
            size = self._ask_size("Turntable GIF", self.gif_size)
            if size is None:
                return None
        if path is None:
            path = ask_save_path(self.window, "Save turntable animation", "GIF animation (*.gif)", ".gif")
            if path is None:
                return None
        n = self.gif_frames

        def render() -> Iterator[tuple[str, float]]:      # GUI thread, one frame per turn
            frames = []
            for frame in turntable_iter(self.doc, size, self._camera(), n):
                frames.append(frame)
                yield f"Rendering frame {len(frames)} of {n}…", 0.9 * len(frames) / n
            return frames

        def encode(frames: list) -> None:
            self._write("Save animation", lambda ow, ctx: write_files({path: gif_bytes(frames)}, overwrite=ow),
                        lambda result: self._done("Turntable", result))

        return self.c.jobs.steps(render(), encode, lambda exc, tb: show_error(
            self.window, "Cannot save animation", str(exc).strip() or type(exc).__name__),
            title="Turntable GIF", owner=self)


__all__ = ["FileActions", "export_part"]
