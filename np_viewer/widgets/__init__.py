"""Qt widgets of the viewer; each talks to the Document only."""
from .main_window import MainWindow

__all__ = ["MainWindow"]
