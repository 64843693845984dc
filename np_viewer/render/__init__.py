"""pyvista side of the viewer: an adapter that mirrors the document into actors (no state)."""
from .adapter import SceneRenderer
from .meshes import polydata
from .views import STANDARD_VIEWS, camera_pose, set_view

__all__ = ["SceneRenderer", "STANDARD_VIEWS", "camera_pose", "polydata", "set_view"]
