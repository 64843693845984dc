"""pyvista side of the viewer: an adapter that mirrors the document into actors (no state)."""
from .adapter import SceneRenderer
from .meshes import polydata
from .views import STANDARD_VIEWS, set_view

__all__ = ["SceneRenderer", "STANDARD_VIEWS", "polydata", "set_view"]
