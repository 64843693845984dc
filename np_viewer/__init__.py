"""Neural Parts Studio desktop viewer (PySide6 + pyvista/pyvistaqt).

Layers: ``document`` (plain Python + psygnal state), ``render`` (pyvista adapter that mirrors the
document into actors and owns no state), ``widgets`` (Qt panels that talk to the document only),
``session`` (runs loading and inference off the GUI thread and writes results into the document).
"""
