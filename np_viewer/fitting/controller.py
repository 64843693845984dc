"""Shapes > Fit to this shape: runs ``trainer.fitting`` on the shape on screen as a job of the
viewer's job service, shows the current best parts while it runs, and lands the result as one
undoable entry of the edit history (undo: the model's prediction again).

- While the fit runs, the parts on screen are a preview (outside the history); the scene's own
  parts come back before anything else can see the scene (a new shape, the edit stash), and the
  fitted parts replace them as one ``FitEdit`` when the fit ends or is cancelled (Cancel keeps
  the best state so far).
- Fitted models are cached in the job service per (model weights, shape): coming back to the
  shape, at any mesh level, shows the fit again (one undo away from the prediction).
- After each prediction the session measures how far the parts are from the input
  (``Session.distance_ready``); above ``FAR_FROM_MODEL`` the status bar says so and offers the fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton

from trainer.fitting import FitOptions, FitProgress, FitResult
from trainer.inference import Prediction, Predictor, ShapeInput
from trainer.palette import part_colour

from ..document import Part
from ..jobs import Job, JobCancelled, JobContext
from ..session import DISTANCE_KEY, FAR_FROM_MODEL, input_distance, user_message
from ..widgets import MainWindow
from ..widgets.errors import show_error
from .dialog import FitDialog
from .edit import FitEdit


@dataclass
class FitTick:
    """One progress report of a running fit, with the best model so far on snapshot ticks."""

    step: int
    elapsed: float
    objective: float
    best_objective: float
    iou: float | None
    model: torch.nn.Module | None


@dataclass
class FitRecord:
    """A finished fit, cached per (model weights, shape path)."""

    model: torch.nn.Module            # CPU, eval mode
    info: dict                        # mode, steps, seconds, stopped, before/after metrics
    predictions: dict[int, Prediction] = field(default_factory=dict)   # per mesh level


def fit_metrics(predictor: Predictor, prediction: Prediction, shape: ShapeInput, iou: float | None) -> dict:
    """What the info panel compares before and after: the fit's IoU estimate, the distance to the
    input and, for shapes with ground truth, the evaluation scores."""
    out: dict[str, float] = {}
    if iou is not None:
        out["IoU (fit samples)"] = float(iou)
    distance = input_distance(predictor, prediction, shape)
    if distance is not None:
        out[DISTANCE_KEY] = distance
    if shape.ground_truth is not None:
        out.update(predictor.evaluate(prediction, shape))
    return {k: float(v) for k, v in out.items() if math.isfinite(v)}   # saved assemblies hold JSON


class FitController(QObject):
    """The main window's extension ``"fitting"`` (after ``"editing"``, whose history it uses).
    Public pieces: ``action`` (menu and toolbar), ``offer_button`` (status bar), ``job`` (the
    running fit or None), ``start(options)``, ``cancel()``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc
        self.session = window.session
        self.editing = window.extension("editing")
        if self.editing is None:
            raise RuntimeError("install editing (np_viewer.editing.install_editing) before fitting")
        self.jobs = self.session.jobs
        self.job: Job | None = None
        self.seconds = 60.0
        self._originals: list[Part] | None = None     # the scene's parts while a preview shows
        self._preview: list[Part] = []
        self._preview_input: tuple[ShapeInput | None, int] = (None, 0)
        self.action = window.new_action("Fit to this shape…", lambda: self.start(), "Ctrl+Shift+F",
                                        "Optimise the parts for this shape (refine the model's parts or start "
                                        "from scratch); the result is one undoable step")
        self.offer_button = QPushButton("Fit to this shape…")
        self.offer_button.setToolTip("This shape is far from what the model knows: fit the parts to it")
        self.offer_button.clicked.connect(lambda: self.start())
        self.offer_button.setVisible(False)
        window.statusBar().addPermanentWidget(self.offer_button)
        self._install_menus()
        # before the edit stash keeps the scene: it must see the scene's parts, not a preview
        self.doc.assembly.about_to_reset.connect(self._before_reset, priority=10)
        self.doc.assembly.reset.connect(self._after_reset)
        self.session.distance_ready.connect(self._on_distance)

    def _install_menus(self) -> None:
        self.window.add_to_menu("shapes", None, self.action)
        self.window.toolbar.addSeparator()
        self.window.toolbar.addAction(self.action)

    # --- starting -----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.finished

    def start(self, options: FitOptions | None = None) -> Job | None:
        """Fit the shape on screen (``options`` None: ask with the dialog)."""
        problem = self._problem()
        if problem:
            show_error(self.window, "Cannot fit", problem)
            return None
        predictor = self.session.predictor
        if options is None:
            dialog = FitDialog(predictor.n_primitives, self.seconds, self.window)
            if not dialog.exec():
                return None
            options = dialog.options(self.session.device)
        self.seconds = options.seconds or self.seconds
        return self._run(predictor, options)

    def _problem(self) -> str:
        info, shape, entry = self.doc.assembly.info, self.session.current_shape, self.session.current_entry
        if self.running:
            return "A fit is running; cancel it first (the Cancel button in the status bar)."
        if self.session.predictor is None:
            return "Open a model first (File > Open model…)."
        if shape is None or entry is None or "assembly" in info.extra or info.shape_path != entry.path:
            return "Show a shape predicted by the model first."
        if shape.vertices is None and shape.ground_truth is None:
            return f"{shape.name} is a point cloud: a fit needs a mesh (to tell inside from outside)."
        return ""

    def _run(self, predictor: Predictor, options: FitOptions) -> Job:
        shape, before_prediction = self.session.current_shape, self.session.current_prediction
        resolution = int(self.doc.assembly.info.resolution or self.doc.view.resolution)
        total = options.seconds

        def job(ctx: JobContext) -> tuple[FitResult, Predictor, Prediction, dict]:
            def progress(p: FitProgress) -> None:
                ctx.partial(FitTick(p.step, p.elapsed, p.objective, p.best_objective, p.iou, p.model))
                fractions = [p.elapsed / total] if total else []
                if p.total_steps:
                    fractions.append(p.step / p.total_steps)
                iou = f", IoU {p.iou:.3f}" if p.iou is not None else ""
                ctx.report(f"Fitting: step {p.step}, objective {p.objective:.4f}{iou}",
                           min(1.0, max(fractions)) if fractions else None)

            ctx.report("Fitting: preparing the shape…", 0.0)
            result = predictor.fit(shape, options, on_progress=progress, should_stop=lambda: ctx.cancelled)
            if ctx.job.dropped:
                raise JobCancelled()          # nobody wants the result: skip measuring it
            ctx.report("Fitting: measuring the result…", 1.0)
            fitted = Predictor(result.model, device=str(predictor.device))
            prediction = fitted.predict(shape, resolution)
            before = fit_metrics(predictor, before_prediction, shape, result.iou_before) if before_prediction else {}
            after = fit_metrics(fitted, prediction, shape, result.iou_after)
            info = {"mode": options.mode, "primitives": fitted.n_primitives, "steps": result.steps,
                    "seconds": round(result.elapsed, 1), "stopped": result.stopped,
                    "before": before, "after": after}
            return result, fitted, prediction, info

        self._preview_input = (shape, resolution)
        self.doc.selection.clear()
        self.job = self.jobs.submit(job, self._on_done, self._on_failed, on_partial=self._on_tick,
                                    lane="fit", title="Fit to this shape", owner=self, group="fit",
                                    cancellable=True, inline=False)
        self.doc.status.message = f"Fitting {shape.name} ({options.mode})…"
        return self.job

    def cancel(self) -> None:
        """Stop the fit; the best parts so far land as the result."""
        if self.running:
            self.job.cancel()

    # --- while it runs ------------------------------------------------------------------------
    def _on_tick(self, tick: FitTick) -> None:
        """A snapshot of the best model so far: mesh it on its own lane (the fit goes on meanwhile;
        a newer snapshot drops an older one still waiting) and show it."""
        if tick.model is None:
            return
        shape, resolution = self._preview_input
        model = tick.model

        def show(meshes: list) -> None:
            if self.running:
                self._show_preview(meshes)

        self.jobs.submit(lambda ctx: Predictor(model, device="cpu").predict(shape, resolution).meshes, show,
                         lambda exc, tb: None, lane="preview", owner=self, group="preview", inline=False)

    def _show_preview(self, meshes: list) -> None:
        a = self.doc.assembly
        if self._originals is None:
            self._originals = a.parts
        if len(self._preview) == len(meshes):
            for part, (v, f) in zip(self._preview, meshes):
                part.set_mesh(v, f)
            return
        old = self._preview or self._originals
        self._preview = self._new_parts(meshes)
        a.remove_parts(old)
        a.add_parts(self._preview)

    def _new_parts(self, meshes: list) -> list[Part]:
        """Part k in the style (colour, name, visibility) of the scene's part k, when it has one."""
        style = {p.index: p for p in (self._originals or self.doc.assembly.parts)}
        parts = []
        for k, (v, f) in enumerate(meshes):
            s = style.get(k)
            parts.append(Part(k, v, f, s.colour if s else part_colour(k), name=s.name if s else f"part {k}",
                              visible=s.visible if s else True, opacity=s.opacity if s else 1.0))
        return parts

    def _end_preview(self) -> list[Part]:
        """Put the scene's own parts back; returns the preview parts (empty if none showed)."""
        preview, originals = self._preview, self._originals
        self._preview, self._originals = [], None
        if originals is not None:
            self.doc.assembly.remove_parts(preview)
            self.doc.assembly.add_parts(originals)
        return preview

    # --- the result ---------------------------------------------------------------------------
    def _on_done(self, outcome: tuple[FitResult, Predictor, Prediction, dict]) -> None:
        result, fitted, prediction, info = outcome
        self.jobs.cancel(owner=self, group="preview")
        preview = self._end_preview()
        key = self._cache_key()
        if key is not None:
            record = FitRecord(result.model, info, {prediction.resolution: prediction})
            self.jobs.fits.put(key, record)
        parts = preview if len(preview) == len(prediction.meshes) else self._new_parts(prediction.meshes)
        for part, (v, f) in zip(parts, prediction.meshes):
            part.set_mesh(v, f)
        self._push(parts, fitted, prediction, info, f"Fit to this shape ({info['mode']}, {info['steps']} steps)")
        after, before = info["after"], info["before"]
        iou = ""
        if "IoU (fit samples)" in after:
            iou = f"IoU {before.get('IoU (fit samples)', float('nan')):.3f} → {after['IoU (fit samples)']:.3f}, "
        self.doc.status.message = (f"Fit: {iou}{info['steps']} steps in {info['seconds']:.0f} s"
                                   f"{' (cancelled: best so far kept)' if result.stopped == 'cancelled' else ''}"
                                   "; Undo returns to the model's prediction")

    def _push(self, parts: list[Part], fitted: Predictor, prediction: Prediction, info: dict, text: str) -> None:
        before_metrics = dict(self.doc.status.metrics or {})

        def applied(is_fitted: bool) -> None:
            if is_fitted:
                self.session.use_scene_model(fitted, prediction, dict(info["after"]))
                self.doc.status.fit = info
            else:
                self.session.use_scene_model(None, None, before_metrics)
                self.doc.status.fit = {}
            self.offer_button.setVisible(False)

        edit = FitEdit(self.doc.assembly, self.doc.selection, self.doc.assembly.parts, parts, applied, text, info)
        self.editing.push(edit)

    def _on_failed(self, exc: BaseException, tb: str) -> None:
        self.jobs.cancel(owner=self, group="preview")
        self._end_preview()
        show_error(self.window, "Cannot fit", user_message(exc))

    def _cache_key(self) -> tuple | None:
        info = self.doc.assembly.info
        model_key = info.extra.get("model_key")
        return (model_key, info.shape_path) if model_key and info.shape_path else None

    # --- the scene changes --------------------------------------------------------------------
    def _before_reset(self) -> None:
        if self.running:
            self.jobs.cancel(owner=self)      # its result belongs to the scene going away
            self.doc.status.message = "Fit dropped: the scene changed"
        self._end_preview()

    def _after_reset(self) -> None:
        if self.editing.stash.restoring:
            return                    # the stash's own scene swap: its history comes right after
        self.offer_button.setVisible(False)
        self.doc.status.fit = {}
        h = self.editing.history
        kept = [c for c in h.entries[:h.index] if isinstance(c, FitEdit)]
        if kept:                      # the edit stash brought back a fitted scene
            kept[-1].applied(True)
            return
        record = self.jobs.fits.get(self._cache_key()) if self._cache_key() else None
        if record is not None and "assembly" not in self.doc.assembly.info.extra:
            self._reapply(record)

    def _reapply(self, record: FitRecord) -> None:
        """The shape was fitted before (maybe at another mesh level): show that fit again."""
        shape, resolution = self.session.current_shape, int(self.doc.assembly.info.resolution)
        if shape is None:
            return

        def job(ctx: JobContext) -> tuple[Predictor, Prediction]:
            fitted = Predictor(record.model, device=self.session.device)
            prediction = record.predictions.get(resolution) or fitted.predict(shape, resolution)
            record.predictions[resolution] = prediction
            return fitted, prediction

        def done(result: tuple[Predictor, Prediction]) -> None:
            fitted, prediction = result
            self._push(self._new_parts(prediction.meshes), fitted, prediction, record.info,
                       "Fit to this shape (kept from before)")
            self.doc.status.message = f"{self.doc.assembly.info.shape_name}: your fit is back (Undo: the prediction)"

        self.jobs.submit(job, done, self._on_failed, lane="fit", owner=self, group="fit")

    def _on_distance(self, distance: float) -> None:
        far = distance > FAR_FROM_MODEL and not self.doc.status.fit
        self.offer_button.setVisible(far)
        if far:
            self.doc.status.message = (f"{self.doc.assembly.info.shape_name} is far from what the model knows "
                                       f"(parts {distance:.3f} from the input, Chamfer-L1 > {FAR_FROM_MODEL}): "
                                       "Shapes > Fit to this shape… fits the parts to it")

    def shutdown(self) -> None:
        """Drop a running fit."""
        self.jobs.cancel(owner=self)


def install_fitting(window: MainWindow) -> FitController:
    """Add Shapes > Fit to this shape (and the toolbar button) to a main window with editing
    installed (``install_editing``), as its extension ``"fitting"``. Idempotent."""
    return window.extension("fitting", lambda: FitController(window))


__all__ = ["FitController", "FitRecord", "FitTick", "fit_metrics", "install_fitting"]
