"""Connecting the compare view to the main window: View > Compare models… (as the gallery's link)."""
from __future__ import annotations

from PySide6.QtGui import QAction

from trainer.inference import Predictor

from ..session import DISTANCE_KEY
from ..widgets import MainWindow
from .dialog import CompareDialog
from .panes import PaneResult
from .window import CompareWindow


def install_compare_action(window: MainWindow) -> QAction:
    """Add View > Compare models… (Ctrl+Shift+C): the shape on screen under the chosen checkpoints
    (and the fit on screen), on the window's job service."""
    action = window.new_action("Compare &models…", lambda: ask_and_compare(window), "Ctrl+Shift+C")
    window.add_to_menu("view", action)
    return action


def fitted_result(window: MainWindow) -> PaneResult | None:
    """The fit on screen (Shapes > Fit to this shape) as a pane, or None."""
    fit, scene = window.doc.status.fit, window.session.scene_model
    if not fit or scene is None:
        return None
    predictor, prediction = scene
    after = fit.get("after", {})
    # the same numbers as pane_metrics: evaluation scores with ground truth, else the fit's own
    scores = {"IoU": after.get("IoU", after.get("IoU (fit samples)")),
              "Chamfer-L1": after.get("Chamfer-L1", after.get(DISTANCE_KEY))}
    return PaneResult(f"fitted ({fit.get('mode', 'fit')})", predictor, prediction,
                      {k: float(v) for k, v in scores.items() if v is not None}, float(fit.get("seconds", 0.0)), "fit")


def ask_and_compare(window: MainWindow) -> CompareWindow | None:
    session = window.session
    if session.current_shape is None or session.current_entry is None:
        window.show_error("Compare models", "Open a shape first.")
        return None
    current = str(session.predictor.path) if session.predictor is not None and session.predictor.path else None
    fitted = fitted_result(window)
    dialog = CompareDialog([current] if current else [], fitted is not None, window)
    if not dialog.exec():
        return None
    return open_compare_for(window, dialog.checkpoints, fitted if dialog.include_fit.isChecked() else None)


def open_compare_for(window: MainWindow, checkpoints: list[str], fitted: PaneResult | None = None) -> CompareWindow:
    """Show (or reuse) the compare window on the shape on screen (the window's extension
    ``"compare"``): one pane per checkpoint, then the fitted result when given."""
    session = window.session

    def create() -> CompareWindow:
        compare = CompareWindow(jobs=session.jobs, device=session.device, resolution=int(window.doc.view.resolution))
        compare.error.connect(lambda title, message: window.show_error(title, message))
        compare.resize(1400, 520)
        return compare

    compare = window.extension("compare", create)
    compare.fit_predictor = session.predictor if isinstance(session.predictor, Predictor) else None
    compare.set_shape(session.current_entry.path, session.current_shape)
    compare.compare([*checkpoints, *([fitted] if fitted is not None else [])])
    compare.show()
    compare.raise_()
    return compare
