"""Mirror a GalleryModel into ONE pyvista renderer: instances laid out on a grid in space.

Measured faster than one linked subplot per instance under the software renderer
(benchmarks/results_gallery.md). "Linked cameras" are kept exact: a shared *virtual* camera
(``GalleryRenderer.camera``, a vtkCamera) says how every instance is seen; each instance is posed
with the rotation of that camera's view (one shared vtkTransform), while the real camera looks
straight at the grid with a parallel projection, so every cell shows its shape exactly as that
camera would. Rotating in any cell rotates the virtual camera, hence every instance.

Owns no state beyond handles to the actors it made; everything shown is a function of the model.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyvista as pv
import vtk

from ..render import camera_pose
from ..render.meshes import vertex_normals
from .labels import draw_strips, strips_mesh
from .model import GalleryModel, Instance

SPACING = 1.3          # distance between cell centres; shapes live in the unit box of the prepared frame
LABEL_DROP = 0.56      # top of the name strip, below the cell centre
BACKGROUND = "#eef1f5"     # flat: a gradient costs the software renderer a full-screen pass per frame
LABEL_COLOUR = (0.2, 0.22, 0.26)
ERROR_COLOUR = (0.75, 0.1, 0.1)
HIGHLIGHT_COLOUR = (0.1, 0.45, 0.85)


class GalleryRenderer:
    def __init__(self, plotter: pv.Plotter, model: GalleryModel,
                 request_render: Callable[[], None] | None = None) -> None:
        self.plotter = plotter
        self.model = model
        self._request = request_render or self.render_now
        self._actors: dict[tuple[int, int], pv.Actor] = {}    # (cell, primitive) -> actor shown
        self._spare: dict[tuple[int, int], pv.Actor] = {}     # hidden, kept for reuse
        self._labels: dict[int, str] = {}              # cell -> the name shown under it
        self._labels_key: tuple | None = None
        self._labels_dirty = True
        self._label_actor: pv.Actor | None = None
        self._cell_transforms: dict[int, vtk.vtkTransform] = {}
        self.rotation = vtk.vtkTransform()                    # shared by every instance
        self.camera = vtk.vtkCamera()                          # the linked (virtual) camera
        self._camera_obs = self.camera.AddObserver("ModifiedEvent", lambda *_: self._on_camera())
        plotter.set_background(BACKGROUND)
        # One headlight instead of pyvista's five-light kit, and back faces culled (part meshes are
        # closed): together they halve the software renderer's cost per frame (benchmarks/).
        plotter.remove_all_lights()
        plotter.add_light(pv.Light(light_type="headlight"))
        cam = plotter.renderer.camera
        cam.SetParallelProjection(True)
        self._highlight = self._make_highlight()
        self._connections = [
            (model.layout_changed, self._on_layout), (model.instance_changed, self._on_instance),
            (model.highlight_changed, self._on_highlight),
            (model.styles.assembly.part_changed, self._on_style),
            (model.styles.assembly.reset, self._on_styles_reset),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self.set_view("iso")
        self._on_layout()

    def detach(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self.camera.RemoveObserver(self._camera_obs)

    def render_now(self) -> None:
        self.prepare()
        self.plotter.render()

    def prepare(self) -> None:
        """Bring what is drawn once per frame (the name strips) up to date; call before rendering."""
        if self._labels_dirty:
            self._update_labels()

    # --- geometry of the grid -----------------------------------------------------------------
    def cell_centre(self, cell: int) -> np.ndarray:
        r, c = divmod(cell, self.model.cols)
        return np.array([c * SPACING, -r * SPACING, 0.0])

    def cell_at_world(self, x: float, y: float) -> int:
        """Cell under world point (x, y) of the grid plane, or -1."""
        c, r = int(round(x / SPACING)), int(round(-y / SPACING))
        if not (0 <= r < self.model.rows and 0 <= c < self.model.cols):
            return -1
        if abs(x - c * SPACING) > SPACING / 2 or abs(-y - r * SPACING) > SPACING / 2:
            return -1
        cell = r * self.model.cols + c
        return cell if cell < len(self.model.cells) else -1

    def cell_at_display(self, x: float, y: float) -> int:
        """Cell under display pixel (x, y) (VTK convention: origin bottom-left)."""
        ren = self.plotter.renderer
        ren.SetDisplayPoint(float(x), float(y), 0.0)
        ren.DisplayToWorld()
        wx, wy, _, w = ren.GetWorldPoint()
        w = w or 1.0
        return self.cell_at_world(wx / w, wy / w)

    def fit(self) -> None:
        """Frame the whole grid (parallel projection: set the half-height of the view)."""
        m = self.model
        cam = self.plotter.renderer.camera
        cx, cy = (m.cols - 1) * SPACING / 2, -(m.rows - 1) * SPACING / 2 - 0.04
        cam.SetFocalPoint(cx, cy, 0.0)
        cam.SetPosition(cx, cy, 10.0)
        cam.SetViewUp(0.0, 1.0, 0.0)
        w, h = self.plotter.window_size
        aspect = max(w, 1) / max(h, 1)
        half_h = m.rows * SPACING / 2
        half_w = m.cols * SPACING / 2
        cam.SetParallelScale(max(half_h, half_w / aspect) * 1.01)
        cam.SetClippingRange(1.0, 20.0)
        self._update_labels()
        self._request()

    def zoomed(self) -> None:
        """The real camera's scale changed: keep the names at their size in pixels."""
        self._update_labels()
        self._request()

    # --- the linked camera --------------------------------------------------------------------
    def set_view(self, name: str) -> None:
        """One of the viewer's standard views (``iso``, ``+x``, ...) for every instance."""
        position, up = camera_pose(name)
        self.camera.SetFocalPoint(0.0, 0.0, 0.0)
        self.camera.SetPosition(*position)
        self.camera.SetViewUp(*up)
        self.camera.OrthogonalizeViewUp()

    def view_rotation(self) -> np.ndarray:
        """3x3 rotation (world -> eye) of the linked camera: how every instance is seen."""
        m = self.camera.GetViewTransformMatrix()
        return np.array([[m.GetElement(r, c) for c in range(3)] for r in range(3)])

    def instance_matrix(self, cell: int) -> np.ndarray:
        """4x4 pose of the instance in ``cell`` in the grid's world frame."""
        t = self._cell_transforms.get(cell)
        if t is None:
            raise KeyError(f"no instance in cell {cell}")
        m = t.GetMatrix()
        return np.array([[m.GetElement(r, c) for c in range(4)] for r in range(4)])

    def _on_camera(self) -> None:
        rot = np.eye(4)
        rot[:3, :3] = self.view_rotation()
        self.rotation.SetMatrix(rot.ravel().tolist())
        self._request()

    # --- actors -------------------------------------------------------------------------------
    def actors(self, cell: int) -> dict[int, pv.Actor]:
        """Primitive -> actor of one cell."""
        return {k: a for (c, k), a in self._actors.items() if c == cell}

    def actors_of_primitive(self, k: int) -> list[pv.Actor]:
        return [a for (c, kk), a in sorted(self._actors.items()) if kk == k]

    def label(self, cell: int) -> str:
        self.prepare()
        return self._labels.get(cell, "")

    def _cell_transform(self, cell: int) -> vtk.vtkTransform:
        t = self._cell_transforms.get(cell)
        if t is None:
            t = vtk.vtkTransform()
            t.PostMultiply()
            t.Concatenate(self.rotation)    # by reference: a camera move updates every instance
            t.Translate(*self.cell_centre(cell))
            self._cell_transforms[cell] = t
        return t

    def _clear_cell(self, cell: int) -> None:
        for key in [key for key in self._actors if key[0] == cell]:
            self._retire(key)

    def _retire(self, key: tuple[int, int]) -> None:
        """Hide an actor and keep it for the next page (building actors is the slow part of paging)."""
        actor = self._actors.pop(key)
        actor.visibility = False
        self._spare[key] = actor

    def _update_cell(self, cell: int) -> None:
        inst = self.model.cells[cell]
        meshes = inst.meshes or []
        for key in [key for key in self._actors if key[0] == cell and key[1] >= len(meshes)]:
            self._retire(key)
        for k, (v, f) in enumerate(meshes):
            key = (cell, k)
            actor = self._actors.get(key) or self._spare.pop(key, None)
            if actor is None:
                # our own normals, no smoothing filter in the pipeline: then a new page can move the
                # vertices of the same mesh in place
                actor = self.plotter.add_mesh(part_mesh(v, f), smooth_shading=False, specular=0.3,
                                              specular_power=25.0, ambient=0.12, diffuse=0.88,
                                              reset_camera=False, render=False, pickable=False)
                actor.prop.interpolation = "phong"
                actor.prop.backface_culling = True
                actor.SetUserTransform(self._cell_transform(cell))
            else:
                update_part_mesh(actor, v, f)
            self._actors[key] = actor
            self._style_actor(actor, k)
        self._labels_dirty = True          # redrawn once, before the next frame

    def _style_actor(self, actor: pv.Actor, k: int) -> None:
        try:
            style = self.model.style(k)
        except KeyError:
            return
        actor.visibility = style.visible
        actor.prop.color = style.colour
        actor.prop.opacity = style.opacity

    def _label_text(self, inst: Instance) -> tuple[str, bool]:
        if inst.error:
            return f"{inst.entry.name} (failed)", True
        return (inst.entry.name if inst.ready else f"{inst.entry.name} …"), False

    def _update_labels(self) -> None:
        """Redraw the name sheet (only when a name or a state changed)."""
        self._labels_dirty = False
        m = self.model
        texts = [[self._label_text(m.cells[r * m.cols + c]) if r * m.cols + c < len(m.cells) else ("", False)
                  for c in range(m.cols)] for r in range(m.rows)]
        _, h = self.plotter.window_size
        px_per_unit = max(h, 1) / (2.0 * self.plotter.renderer.camera.GetParallelScale())
        key = (m.rows, m.cols, round(px_per_unit, 2), tuple(map(tuple, texts)))
        if key == self._labels_key:
            return
        self._labels_key = key
        self._labels = {i: texts[i // m.cols][i % m.cols][0] for i in range(len(m.cells))}
        image = draw_strips(texts, BACKGROUND, LABEL_COLOUR, ERROR_COLOUR, round(SPACING * px_per_unit))
        mesh = strips_mesh(m.rows, m.cols, SPACING, LABEL_DROP, px_per_unit)
        if self._label_actor is None:
            self._label_actor = self.plotter.add_mesh(
                mesh, texture=pv.Texture(image), lighting=False, reset_camera=False, render=False,
                pickable=False, name="gallery-labels")
            self._label_actor.texture.interpolate = True
        else:
            self._label_actor.mapper.dataset = mesh
            self._label_actor.texture = pv.Texture(image)
            self._label_actor.texture.interpolate = True

    def _make_highlight(self) -> vtk.vtkActor:
        h = SPACING / 2 - 0.02
        pts = np.array([[-h, -h, 0], [h, -h, 0], [h, h, 0], [-h, h, 0]], float)
        lines = pv.PolyData(pts, lines=np.array([5, 0, 1, 2, 3, 0]))
        actor = self.plotter.add_mesh(lines, color=HIGHLIGHT_COLOUR, line_width=3.0, reset_camera=False,
                                      render=False, pickable=False, lighting=False)
        actor.visibility = False
        return actor

    # --- events -------------------------------------------------------------------------------
    def _on_layout(self) -> None:
        for cell in {c for c, _ in self._actors} - set(range(len(self.model.cells))):
            self._clear_cell(cell)
        # the grid size may have changed: cells move
        for cell, t in self._cell_transforms.items():
            t.Identity()
            t.Concatenate(self.rotation)
            t.Translate(*self.cell_centre(cell))
        for cell in range(len(self.model.cells)):
            self._update_cell(cell)
        self._on_highlight(self.model.highlight, render=False)
        self.fit()          # also redraws the name strips

    def _on_instance(self, cell: int) -> None:
        self._update_cell(cell)
        self._request()

    def _on_style(self, part, field: str) -> None:  # noqa: ANN001 - a style Part
        if field in ("visible", "colour", "opacity"):
            for actor in self.actors_of_primitive(part.index):
                self._style_actor(actor, part.index)
            self._request()

    def _on_styles_reset(self) -> None:
        for (cell, k), actor in self._actors.items():
            self._style_actor(actor, k)
        self._request()

    def _on_highlight(self, cell: int, render: bool = True) -> None:
        if 0 <= cell < len(self.model.cells):
            self._highlight.position = tuple(self.cell_centre(cell))
            self._highlight.visibility = True
        else:
            self._highlight.visibility = False
        if render:
            self._request()


def part_mesh(vertices: np.ndarray, faces: np.ndarray) -> pv.PolyData:
    """A part as PolyData, faces wound outward, with vertex normals computed in numpy (a VTK normals
    filter per part made paging several times slower)."""
    v = np.ascontiguousarray(vertices, np.float32)
    f = outward_faces(v, faces)
    mesh = pv.PolyData(v, np.hstack([np.full((len(f), 1), 3, np.int64), f]).ravel())
    _set_normals(mesh, vertex_normals(v, f))
    return mesh


def _set_normals(mesh: pv.PolyData, normals: np.ndarray) -> None:
    mesh.point_data.set_array(normals, "Normals")
    mesh.point_data.active_normals_name = "Normals"
    mesh.point_data.active_scalars_name = None      # shaded by the normals, coloured by the part


def update_part_mesh(actor: pv.Actor, vertices: np.ndarray, faces: np.ndarray) -> None:
    """New vertices into an actor's mesh: in place when the connectivity is the same (every part of a
    model at one mesh level shares the icosphere's faces), else a new mesh."""
    mesh = actor.mapper.dataset
    f = outward_faces(vertices, faces)
    if mesh is not None and mesh.n_points == len(vertices) and mesh.n_cells == len(f) and \
            np.array_equal(mesh.regular_faces, f):
        v = np.ascontiguousarray(vertices, np.float32)
        mesh.points = v
        _set_normals(mesh, vertex_normals(v, f))
        mesh.Modified()
    else:
        actor.mapper.dataset = part_mesh(vertices, faces)
        actor.mapper.Update()


def outward_faces(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Faces wound so that normals point out of the closed mesh (positive signed volume); back-face
    culling then removes exactly the hidden side."""
    f = np.asarray(faces, np.int64)
    if len(f) == 0:
        return f
    v = np.asarray(vertices, np.float64)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    volume = float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum()) / 6.0
    return f[:, ::-1].copy() if volume < 0 else f
