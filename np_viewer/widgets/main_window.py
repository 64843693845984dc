"""The main window: viewport in the centre, shape browser left, parts and info right.

Features attach through the seams of ``ShellWindow`` (panels, extensions, shutdown) and the named
menus here: ``menu(key)`` for ``MENUS`` (created in that order) and ``add_to_menu(key, *actions,
section=...)``, filled with ``new_action(...)``s."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QLabel, QMenu, QProgressBar, QSpinBox,
                               QToolBar, QWidget)

from trainer.file_types import SHAPE_OPEN_FILTER

from ..document import OVERLAY_MODES, Document
from ..render import STANDARD_VIEWS
from ..session import Session
from .errors import show_error
from .info_panel import InfoPanel
from .job_progress import JobProgress
from .parts_panel import PartsPanel
from .shape_browser import ShapeBrowser
from .shell import ShellWindow
from .viewport import Viewport

MODEL_FILTER = "Checkpoints (*.pt *.pth *.ckpt *.tar);;All files (*)"
# the menu bar, in this order (key, title); each is there from the start, extensions fill them
MENUS = (("file", "&File"), ("edit", "&Edit"), ("view", "&View"), ("shapes", "&Shapes"), ("export", "E&xport"))
FILE_SECTIONS = ("open", "assembly", "quit")     # named places in the File menu (add_to_menu section=)


class MainWindow(ShellWindow):
    def __init__(self, document: Document, session: Session, parent: QWidget | None = None,
                 dialogs: bool = True) -> None:
        super().__init__(parent)
        self.dialogs = dialogs      # False for --screenshot: nothing may wait for a person
        self.doc = document
        self.session = session
        self.setWindowTitle("Neural Parts Studio")
        self.viewport = Viewport(document, self)
        self.setCentralWidget(self.viewport)
        self.browser = ShapeBrowser(document)
        self.parts_panel = PartsPanel(document)
        self.info_panel = InfoPanel(document)
        self.add_panel("shapes", "Shapes", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_panel("parts", "Parts", self.parts_panel)
        self.add_panel("info", "Info", self.info_panel)
        self._menus: dict[str, QMenu] = {}
        self._sections: dict[tuple[str, str], QAction] = {}   # (menu, section) -> the separator ending it
        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        session.error.connect(self.show_error)
        session.config_needed.connect(self._ask_config)
        document.assembly.reset.connect(self._update_title)
        document.view.changed.connect(self._sync_view_controls)

    # --- menus and actions --------------------------------------------------------------------
    def menu(self, key: str) -> QMenu:
        """One of the ``MENUS`` by key (``file``, ``edit``, ``view``, ``shapes``, ``export``)."""
        return self._menus[key]

    def add_to_menu(self, key: str, *actions: QAction | None, section: str | None = None) -> None:
        """Append ``actions`` (None: a separator) to menu ``key``, or to the end of its named
        ``section`` (``FILE_SECTIONS`` in the File menu)."""
        menu = self.menu(key)
        end = self._sections[(key, section)] if section is not None else None
        for act in actions:
            if act is None:
                menu.insertSeparator(end) if end is not None else menu.addSeparator()
            elif end is not None:
                menu.insertAction(end, act)
            else:
                menu.addAction(act)

    def _end_section(self, key: str, name: str) -> None:
        # consecutive separators collapse on screen: an empty section shows nothing
        self._sections[(key, name)] = self.menu(key).addSeparator()

    def _build_toolbar(self) -> None:
        v = self.doc.view
        tb = self.toolbar = QToolBar("View", self)
        tb.setObjectName("view-toolbar")
        self.addToolBar(tb)
        self.act_fit = self.new_action("Fit", self.viewport.renderer.fit, "F", tip="Fit the scene in view")
        self.act_reset = self.new_action("Reset", lambda: self.viewport.renderer.set_view("iso"), "R",
                                         tip="Default three-quarter view")
        tb.addAction(self.act_fit)
        tb.addAction(self.act_reset)
        self.view_actions = {}
        for name in [n for n in STANDARD_VIEWS if n != "iso"]:
            act = self.new_action(name.upper(), lambda n=name: self.viewport.renderer.set_view(n),
                                  tip=f"Look along {name}")
            self.view_actions[name] = act
            tb.addAction(act)
        tb.addSeparator()

        def toggle(text: str, field: str, key: str, tip: str = "") -> QAction:
            return self.new_action(text, lambda on: setattr(v, field, on), key, tip, checkable=True)

        self.act_wireframe = toggle("Wireframe", "wireframe", "W")
        self.act_edges = toggle("Edges", "show_edges", "E")
        self.act_legend = toggle("Legend", "show_legend", "L")
        self.act_segment = toggle("Segment", "segmentation", "S", "Colour the input by the primitive that owns each point")
        for act in (self.act_wireframe, self.act_edges, self.act_legend, self.act_segment):
            tb.addAction(act)
        tb.addSeparator()
        tb.addWidget(QLabel(" Input: "))
        self.overlay_box = QComboBox()
        self.overlay_box.addItems(list(OVERLAY_MODES))
        self.overlay_box.setToolTip("Overlay the input: translucent mesh or its points")
        self.overlay_box.currentTextChanged.connect(lambda t: setattr(v, "overlay", t))
        tb.addWidget(self.overlay_box)
        tb.addWidget(QLabel(" Mesh level: "))
        self.resolution_box = QSpinBox()
        self.resolution_box.setRange(0, 5)
        self.resolution_box.setToolTip("Icosphere subdivision of each part (3 = 642 vertices)")
        self.resolution_box.valueChanged.connect(lambda n: setattr(v, "resolution", int(n)))
        tb.addWidget(self.resolution_box)
        self._sync_view_controls()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        for key, title in MENUS:
            self._menus[key] = bar.addMenu(title)
        a = self.new_action
        self.add_to_menu("file", a("Open shapes…", self._open_shapes_dialog, "Ctrl+O"),
                         a("Open folder or dataset…", self._open_folder_dialog, "Ctrl+Shift+O"),
                         a("Open model…", self._open_model_dialog, "Ctrl+M"))
        for name in FILE_SECTIONS[:-1]:
            self._end_section("file", name)
        self.add_to_menu("file", a("Quit", self.close, "Ctrl+Q"))
        self.add_to_menu("view", self.act_fit, self.act_reset, *self.view_actions.values(), None,
                         self.act_wireframe, self.act_edges, self.act_legend, self.act_segment)
        self.act_next = a("Next shape", lambda: self.doc.library.step(1), "PgDown")
        self.act_prev = a("Previous shape", lambda: self.doc.library.step(-1), "PgUp")
        self.add_to_menu("shapes", self.act_next, self.act_prev)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(120)
        self.progress.setVisible(False)
        self.device_label = QLabel("")
        self.job_progress = JobProgress(self.session.jobs)     # exports and fits, with Cancel
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.job_progress)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.device_label)
        self.doc.status.changed.connect(self._on_status)
        self._on_status("", None)

    def fit_panels(self) -> None:
        """Give the side panels a share of the window width that leaves the 3D view the most room."""
        w = max(self.width(), 400)
        shapes, parts, info = (self.panel(k) for k in ("shapes", "parts", "info"))
        self.resizeDocks([shapes, parts], [int(0.18 * w), int(0.25 * w)], Qt.Orientation.Horizontal)
        h = max(self.height(), 300)
        self.resizeDocks([parts, info], [int(0.4 * h), int(0.6 * h)], Qt.Orientation.Vertical)

    def set_panels_visible(self, on: bool) -> None:
        """Show or hide everything but the 3D view (docks, toolbar, menu and status bars)."""
        for w in (*self.findChildren(QDockWidget), *self.findChildren(QToolBar), self.menuBar(), self.statusBar()):
            w.setVisible(on)

    # --- document -> widgets ------------------------------------------------------------------
    def _on_status(self, field: str, value: object) -> None:
        s = self.doc.status
        self.status_label.setText(s.message)
        if self.progress.isHidden() == bool(s.busy):     # re-layout the status bar only on change
            self.progress.setVisible(bool(s.busy))
        text = f"Device: {s.device}" if s.device else "No model"
        self.device_label.setText(text + (" (CUDA unavailable)" if s.device_note else ""))
        self.device_label.setToolTip(s.device_note)

    def _sync_view_controls(self, *_: object) -> None:
        v = self.doc.view
        for act, on in ((self.act_wireframe, v.wireframe), (self.act_edges, v.show_edges),
                        (self.act_legend, v.show_legend), (self.act_segment, v.segmentation)):
            act.blockSignals(True)
            act.setChecked(bool(on))
            act.blockSignals(False)
        for w, setter in ((self.overlay_box, lambda: self.overlay_box.setCurrentText(v.overlay)),
                          (self.resolution_box, lambda: self.resolution_box.setValue(int(v.resolution)))):
            w.blockSignals(True)
            setter()
            w.blockSignals(False)

    def _update_title(self) -> None:
        info = self.doc.assembly.info
        parts = [p for p in (info.shape_name, info.model_name) if p]
        self.setWindowTitle("Neural Parts Studio" + (f" – {' · '.join(parts)}" if parts else ""))

    # --- actions ------------------------------------------------------------------------------
    def show_error(self, title: str, message: str) -> None:
        if self.dialogs:
            show_error(self, title, message)

    def _open_shapes_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open shapes", "", SHAPE_OPEN_FILTER)
        if files:
            self.session.open_paths(files)

    def _open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of shapes or a prepared dataset")
        if folder:
            self.session.open_paths([folder])

    def _open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open model checkpoint", "", MODEL_FILTER)
        if path:
            self.session.open_checkpoint(path)

    def _ask_config(self, checkpoint: str) -> None:
        """A published state dict with no YAML beside it: ask for its config."""
        path, _ = QFileDialog.getOpenFileName(
            self, f"YAML config for {Path(checkpoint).name}", str(Path(checkpoint).parent),
            "YAML config (*.yaml *.yml);;All files (*)")
        if path:
            self.session.open_checkpoint(checkpoint, config=path)
        else:
            self.show_error("Cannot open model", f"{checkpoint} is a published state dict and needs its YAML config.")

    # --- shutdown -----------------------------------------------------------------------------
    def _release(self) -> None:
        """After the extensions (editing waits for a running swap and removes the gizmo): stop the
        session's work and close the plotter."""
        self.session.shutdown()
        self.viewport.close_plotter()
