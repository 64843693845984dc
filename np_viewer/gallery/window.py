"""GalleryWindow: N instances side by side, linked camera, shared part styles, paging, and the
part-consistency panel. Usable standalone or opened from the main viewer."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QColorDialog, QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QToolBar,
                               QVBoxLayout, QWidget)

from trainer.inference import Prediction, Predictor, ShapeRef, list_shapes

from ..render import STANDARD_VIEWS
from ..widgets.errors import show_error
from ..widgets.parts_panel import PartsPanel
from ..widgets.shell import ShellWindow
from ..jobs import JobContext, JobService
from .consistency import ALL_SPLITS, ConsistencyReport, compute_consistency, dataset_has_labels
from .consistency_panel import ConsistencyPanel
from .model import MAX_SIDE, MIN_SIDE, GalleryModel
from .predict import PageLoader
from .view import GalleryView

if TYPE_CHECKING:
    from trainer.inference.bundled import Choice


ALL_CATEGORIES = "All categories"


class GalleryWindow(ShellWindow):
    """Signals: ``open_instance(path)`` when the user asks to open an instance in the main view;
    ``error(title, message)``; ``page_ready()`` when every instance of the page has its parts;
    ``consistency_ready()`` when the consistency table has been filled."""

    open_instance = Signal(str)
    error = Signal(str, str)
    page_ready = Signal()
    consistency_ready = Signal()
    consistency_progress = Signal(str, float)    # (message, fraction done) while it is computed

    def __init__(self, rows: int = 4, cols: int = 4, predictor: Predictor | None = None,
                 dataset: str | Path | None = None, split: str | None = None, resolution: int = 3,
                 auto_update: bool = False, synchronous: bool = False, show_dialogs: bool = True,
                 parent: QWidget | None = None, jobs: JobService | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Neural Parts Studio – gallery")
        self.model = GalleryModel(rows, cols)
        self.predictor: Predictor | None = None
        self.dataset: Path | None = None
        self.split = split
        self.resolution = int(resolution)
        self.synchronous = synchronous
        self.show_dialogs = show_dialogs
        self.consistency: ConsistencyReport | None = None
        self._consistency_generation = 0
        self.jobs = jobs if jobs is not None else JobService(synchronous, self)   # shared with the main view
        self._auto_update = auto_update
        self._all_entries: list[ShapeRef] = []
        self.category: str | None = None
        # Set when no model was given: category -> the bundled model choice for it, so that
        # picking a category in the box also switches to that family's model.
        self.model_chooser: Callable[[str], Choice] | None = None

        self.view = GalleryView(self.model, self, auto_update=auto_update)
        self.setCentralWidget(self.view)
        self.loader = PageLoader(self, synchronous=synchronous, jobs=self.jobs)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.finished.connect(self._on_loader_finished)
        self.parts_panel = PartsPanel(self.model.styles)
        self.consistency_panel = ConsistencyPanel(colour_of=lambda k: self.model.style(k).colour)
        self._build_docks()
        self._build_toolbar()
        self.status_label = QLabel("")
        self.statusBar().addWidget(self.status_label, 1)

        self.model.layout_changed.connect(self._on_layout)
        self.model.styles.assembly.part_changed.connect(self._on_style_changed)
        self.view.open_requested.connect(self._open_index)
        self.consistency_panel.instance_requested.connect(self.show_instance)
        self.consistency_panel.open_requested.connect(self.open_instance.emit)
        self.consistency_panel.primitive_selected.connect(self._select_primitive)
        self.consistency_panel.order_requested.connect(self.set_order)
        self.error.connect(self._on_error)
        if predictor is not None:
            self.set_predictor(predictor)
        if dataset is not None:
            self.open_dataset(dataset, split)

    # --- layout -------------------------------------------------------------------------------
    def _build_docks(self) -> None:
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.parts_panel)
        row = QHBoxLayout()
        self.colour_button = QPushButton("Colour…")
        self.colour_button.setToolTip("Recolour the selected primitive(s) in every instance")
        self.colour_button.clicked.connect(self._pick_colour)
        row.addWidget(self.colour_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.parts_panel.table.cellDoubleClicked.connect(
            lambda r, c: self._pick_colour() if c == 0 else None)
        docks = [self.add_panel("primitives", "Primitives (all instances)", holder),
                 self.add_panel("consistency", "Part consistency", self.consistency_panel)]
        self.resizeDocks(docks, [360, 360], Qt.Orientation.Horizontal)   # most of the room for the grid

    def _build_toolbar(self) -> None:
        tb = QToolBar("Gallery", self)
        tb.setObjectName("gallery-toolbar")
        self.addToolBar(tb)
        self.act_prev = self.new_action("◀ Page", lambda: self.model.step_page(-1), "PgUp", "Previous page")
        self.act_next = self.new_action("Page ▶", lambda: self.model.step_page(1), "PgDown", "Next page")
        self.page_label = QLabel(" 1 / 1 ")
        tb.addAction(self.act_prev)
        tb.addWidget(self.page_label)
        tb.addAction(self.act_next)
        tb.addSeparator()
        self.category_box = QComboBox()
        self.category_box.setToolTip("Show one category of the dataset")
        self.category_box.addItem(ALL_CATEGORIES)
        self.category_box.setEnabled(False)
        self.category_box.currentTextChanged.connect(self.set_category)
        tb.addWidget(self.category_box)
        tb.addWidget(QLabel(" Grid: "))
        self.rows_box, self.cols_box = QSpinBox(), QSpinBox()
        for box, value in ((self.rows_box, self.model.rows), (self.cols_box, self.model.cols)):
            box.setRange(MIN_SIDE, MAX_SIDE)
            box.setValue(value)
            box.valueChanged.connect(lambda _v: self.model.set_grid(self.rows_box.value(), self.cols_box.value()))
        tb.addWidget(self.rows_box)
        tb.addWidget(QLabel(" × "))
        tb.addWidget(self.cols_box)
        tb.addWidget(QLabel(" Mesh level: "))
        self.resolution_box = QSpinBox()
        self.resolution_box.setRange(0, 5)
        self.resolution_box.setValue(self.resolution)
        self.resolution_box.setToolTip("Icosphere subdivision of every part (3 = 642 vertices; 2 renders "
                                       "about 4x fewer triangles, for big grids)")
        self.resolution_box.valueChanged.connect(self.set_resolution)
        tb.addWidget(self.resolution_box)
        tb.addSeparator()
        self.act_fit = self.new_action("Fit", self.view.renderer.fit, "F", "Frame the whole grid")
        tb.addAction(self.act_fit)
        for name in STANDARD_VIEWS:
            tb.addAction(self.new_action(name.upper() if name != "iso" else "Iso",
                                         lambda n=name: self.view.renderer.set_view(n),
                                         "R" if name == "iso" else None, f"Every instance seen from {name}"))
        tb.addSeparator()
        self.act_open = self.new_action("Open in main view", self._open_highlighted, "Return",
                                        "Open the highlighted instance in the main view (or double-click it)")
        tb.addAction(self.act_open)
        self.act_explore = self.new_action("Inside the model…", self.open_explorer, "Ctrl+I",
                                           "Blend the highlighted instance with the next one in feature space, "
                                           "and slice the implicit functions")
        tb.addAction(self.act_explore)
        history = self.model.styles.history    # style edits (panel, colour button) undo here
        # shortcuts only: the toolbar stays as it was
        self.act_undo = self.new_action("Undo", history.undo, "Ctrl+Z", "Undo a style edit")
        self.act_redo = self.new_action("Redo", history.redo, "Ctrl+Shift+Z", "Redo a style edit")

    # --- public API ---------------------------------------------------------------------------
    def set_predictor(self, predictor: Predictor | None) -> None:
        self.predictor = predictor
        self._reload()

    def set_resolution(self, level: int) -> None:
        """Mesh level of every part (re-predicts the page; results are cached per level)."""
        level = int(level)
        if not 0 <= level <= 6:
            raise ValueError(f"resolution must be 0..6, got {level}")
        if level != self.resolution:
            self.resolution = level
            self.resolution_box.blockSignals(True)
            self.resolution_box.setValue(level)
            self.resolution_box.blockSignals(False)
            self.model.clear_results()
            self._on_layout()

    def open_checkpoint(self, path: str | Path, config: str | Path | None = None, device: str = "auto") -> None:
        """Load a model off the GUI thread, then predict the page with it."""
        self._message(f"Loading model {Path(path).name}…")
        self._run(lambda ctx: Predictor(path, config=config, device=device), self.set_predictor,
                  lambda exc, tb: self.error.emit("Cannot open model", _first_line(exc)))

    def open_dataset(self, path: str | Path, split: str | None = None, category: str | None = None) -> None:
        """Show the shapes behind ``path`` (a prepared dataset, a folder of meshes, ...), optionally
        only one category."""
        try:
            refs = list_shapes(path, split)
        except Exception as exc:  # noqa: BLE001 - a user's path: one message, state kept
            self.error.emit("Cannot open shapes", _first_line(exc))
            return
        categories = sorted({r.category for r in refs if r.category})
        if category and category not in categories:
            self.error.emit("Cannot open shapes", f"{path} has no category {category!r} "
                            f"(it has {', '.join(categories) or 'none'})")
            return
        self.dataset, self.split = Path(path), split
        self._all_entries = list(refs)
        self.category_box.blockSignals(True)
        self.category_box.clear()
        self.category_box.addItems([ALL_CATEGORIES, *categories])
        self.category_box.setCurrentText(category or ALL_CATEGORIES)
        self.category_box.setEnabled(len(categories) > 1)
        self.category_box.blockSignals(False)
        self.set_category(category)

    def set_category(self, category: str | None) -> None:
        """Show only the shapes of ``category`` (None: all); the consistency panel follows."""
        category = None if category in (None, "", ALL_CATEGORIES) else category
        self.category = category
        self.model.set_entries([e for e in self._all_entries if category is None or e.category == category])
        if self.model_chooser is None or category is None:
            self._start_consistency()
            return
        chooser = self.model_chooser          # off the GUI thread: "closest" runs every bundled model

        def failed(exc, tb) -> None:  # noqa: ANN001 - unreadable shapes, no bundled models: keep the model shown
            self.error.emit("Cannot choose a model", _first_line(exc))
            self._start_consistency()
        self._run(lambda ctx: chooser(category), lambda choice: self._follow_model(category, choice), failed,
                  group="model-choice")

    def _follow_model(self, category: str, choice: Choice) -> None:
        """Open ``category``'s bundled model unless it is the one shown (or the user moved on)."""
        if category != self.category:
            return
        current = self.predictor.path if self.predictor is not None else None
        if current is not None and Path(current).resolve() == Path(choice.path).resolve():
            self._start_consistency()
            return
        self.open_checkpoint(choice.path)     # its arrival re-predicts the page and the consistency
        self._message(f"Category {category}: {choice.describe()}")

    def set_order(self, paths: list[str]) -> None:
        """Show the shapes at ``paths`` first, in that order (the rest after, in dataset order); an
        empty list restores the dataset order."""
        shown = [e for e in self._all_entries if self.category is None or e.category == self.category]
        rank = {p: i for i, p in enumerate(paths)}
        self.model.set_entries(sorted(shown, key=lambda e: rank.get(e.path, len(rank))))

    def set_entries(self, entries: list[ShapeRef]) -> None:
        """Show these shapes (no consistency panel unless ``open_dataset`` is used)."""
        self.dataset = None
        self._all_entries = list(entries)
        self.set_category(None)

    def set_instance_meshes(self, meshes: list[list[tuple[np.ndarray, np.ndarray]]]) -> None:
        """Show ready-made part meshes (benchmarks, scripts): one list of parts per cell."""
        self.model.set_entries([ShapeRef(f"mesh-{i}", f"instance {i}") for i in range(len(meshes))])
        for i, parts in enumerate(meshes[: self.model.per_page]):
            self.model.set_result(i, parts)

    def show_instance(self, path: str) -> None:
        """Page to the instance at ``path`` and highlight it."""
        index = next((i for i, e in enumerate(self.model.entries) if e.path == path), -1)
        if index < 0:
            self._message(f"{Path(path).name} is not among the shapes shown")
            return
        self.model.show_entry(index)

    def wait(self, timeout_ms: int = 120000) -> bool:
        """Block until background work is done (results still arrive through the event loop)."""
        return self.jobs.wait(timeout_ms)

    @property
    def busy(self) -> bool:
        return self.loader.pending > 0 or any(not c.ready and not c.error for c in self.model.cells)

    # --- page loading -------------------------------------------------------------------------
    def _reload(self) -> None:
        self.model.clear_results()
        self._on_layout()
        self._start_consistency()

    def _on_layout(self) -> None:
        m = self.model
        self.page_label.setText(f" {m.page + 1} / {m.page_count} ")
        self.act_prev.setEnabled(m.page > 0)
        self.act_next.setEnabled(m.page < m.page_count - 1)
        for box, v in ((self.rows_box, m.rows), (self.cols_box, m.cols)):
            box.blockSignals(True)
            box.setValue(v)
            box.blockSignals(False)
        if self.predictor is None:
            self._message(f"{len(m.entries)} shapes; no model loaded")
            return
        todo = []
        for cell in m.cells:
            if cell.entry.path.startswith("mesh-"):
                continue
            hit = self.loader.cached(self.predictor, cell.entry, self.resolution)
            if hit is not None:
                m.set_result(cell.index, hit.meshes)
            else:
                todo.append((cell.index, cell.entry))
        if todo:
            self._message(f"Predicting {len(todo)} shapes on {self.predictor.device}…")
        self.loader.request(self.predictor, todo, self.resolution)

    def _on_loaded(self, index: int, prediction: Prediction | None, error: str) -> None:
        self.model.set_result(index, prediction.meshes if prediction is not None else None, error)

    def _on_loader_finished(self) -> None:
        m = self.model
        failed = [c for c in m.cells if c.error]
        if self.loader.pending == 0:
            text = f"Page {m.page + 1} of {m.page_count}: {len(m.cells)} of {len(m.entries)} shapes"
            if failed:
                text += f"; {len(failed)} failed ({failed[0].entry.name}: {failed[0].error})"
            self._message(text)
            self.page_ready.emit()

    # --- consistency --------------------------------------------------------------------------
    def _start_consistency(self) -> None:
        self._consistency_generation += 1
        generation = self._consistency_generation
        predictor, dataset = self.predictor, self.dataset
        if predictor is None or dataset is None:
            return
        if not dataset_has_labels(dataset):
            self.consistency_panel.set_unavailable("This dataset has no ground-truth part labels.")
            return
        split = self.split or ALL_SPLITS
        only = None if self.category is None else {e.path for e in self.model.entries}
        self.consistency_panel.set_busy(f"Computing part consistency on split '{split}'…")

        def job(ctx: JobContext) -> ConsistencyReport:
            return compute_consistency(predictor, dataset, split, only=only,
                                       on_shape=lambda i, n: ctx.report(f"{i} of {n} shapes", i / n))

        def progress(message: str, fraction: float | None = None) -> None:
            if generation == self._consistency_generation:
                self.consistency_panel.set_busy(f"Computing part consistency on split '{split}': {message}…")
                self.consistency_progress.emit(message, -1.0 if fraction is None else float(fraction))

        def done(report: ConsistencyReport) -> None:
            if generation == self._consistency_generation:
                self.consistency = report
                self.consistency_panel.set_report(report, self.category)
                self.consistency_ready.emit()

        def failed(exc: BaseException, tb: str) -> None:
            if generation == self._consistency_generation:
                self.consistency_panel.set_unavailable(f"Part consistency unavailable: {_first_line(exc)}")
                self.consistency_ready.emit()

        self._run(job, done, failed, progress, group="consistency")

    # --- primitive styles ---------------------------------------------------------------------
    def _select_primitive(self, k: int) -> None:
        try:
            self.model.styles.selection.set([self.model.style(k).id])
        except KeyError:
            pass

    def _on_style_changed(self, part, field: str) -> None:  # noqa: ANN001
        if field == "colour":
            self.consistency_panel.refresh_colours()

    def _pick_colour(self) -> None:
        styles = self.model.styles
        chosen = [p for p in styles.assembly if p.id in styles.selection]
        if not chosen:
            self._message("Select a primitive in the list first")
            return
        colour = QColorDialog.getColor(QColor.fromRgbF(*chosen[0].colour), self, "Primitive colour")
        if colour.isValid():
            self.model.set_colours(chosen, (colour.redF(), colour.greenF(), colour.blueF()))

    # --- opening in the main view -------------------------------------------------------------
    def _open_index(self, index: int) -> None:
        entries = self.model.entries
        if 0 <= index < len(entries):
            self.open_instance.emit(entries[index].path)

    def _open_highlighted(self) -> None:
        inst = self.model.highlighted
        if inst is not None:
            self.open_instance.emit(inst.entry.path)

    def open_explorer(self):  # noqa: ANN201 - returns the ExploreWindow
        """Open 'inside the model' on the highlighted instance (or the page's first) and the next:
        this window's extension ``"explore"``."""
        if self.predictor is None or not self.model.entries:
            self._message("Inside the model needs a model and shapes")
            return None
        from ..explore import ExploreWindow
        entries = self.model.entries
        inst = self.model.highlighted or (self.model.cells[0] if self.model.cells else None)
        a = inst.index if inst is not None else 0

        def create() -> ExploreWindow:
            explorer = ExploreWindow(self.predictor, entries, resolution=self.resolution,
                                     auto_update=self._auto_update, synchronous=self.synchronous, jobs=self.jobs)
            explorer.resize(900, 700)
            return explorer

        explorer = self.extension("explore", create)
        explorer.set_pair(a, min(a + 1, len(entries) - 1) if len(entries) > 1 else a)
        explorer.show()
        explorer.raise_()
        return explorer

    # --- plumbing -----------------------------------------------------------------------------
    def _run(self, fn: Callable, on_done: Callable, on_error: Callable,
             on_progress: Callable[[str, float | None], None] | None = None, group: str | None = None) -> None:
        self.jobs.submit(fn, on_done, on_error, on_progress, owner=self, group=group)

    def _message(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_error(self, title: str, message: str) -> None:
        self._message(f"{title}: {message}")
        if self.show_dialogs:
            show_error(self, title, message)

    def _release(self) -> None:
        """After the explore window: stop background work and close the plotter."""
        self._consistency_generation += 1
        self.loader.shutdown()
        self.jobs.cancel(owner=self)
        self.jobs.wait(60000)
        self.view.close_plotter()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
