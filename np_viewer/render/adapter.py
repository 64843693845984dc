"""Keeps pyvista actors in sync with a Document. Owns no state of its own: every actor is a
function of the document, so the adapter can be dropped and re-created at any time."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyvista as pv

from ..document import Document, Part
from .meshes import polydata, surface_actor
from .views import set_view

INPUT_COLOUR = (0.75, 0.75, 0.78)
HIDDEN_SEGMENT_COLOUR = (0.85, 0.85, 0.85)
SELECTED_EDGE_COLOUR = (1.0, 1.0, 1.0)


def _name(part: Part) -> str:
    return f"part-{part.id}"


class SceneRenderer:
    """Mirror ``document`` into ``plotter`` (a pyvista Plotter or pyvistaqt QtInteractor).

    ``request_render`` is called after every change; the app passes a coalescing scheduler so a
    burst of changes (solo touches every part) costs one frame. By default it renders at once.
    """

    def __init__(self, plotter: pv.Plotter, document: Document,
                 request_render: Callable[[], None] | None = None) -> None:
        self.plotter = plotter
        self.doc = document
        self._request = request_render or self.render_now
        self._camera_set = False
        self._legend_key: tuple = ()   # memo of what the legend shows, to skip identical rebuilds
        a = document.assembly
        self._connections = [
            (a.reset, self._on_reset), (a.part_changed, self._on_part_changed),
            (a.parts_added, self._on_parts_added), (a.parts_removed, self._on_parts_removed),
            (a.input_changed, self._on_input_changed), (document.view.changed, self._on_view_changed),
            (document.selection.changed, self._on_selection_changed),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self.plotter.set_background("#f4f5f7", top="#c9d3df")
        self._rebuild()

    def detach(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []

    def render_now(self) -> None:
        self.plotter.render()

    # --- queries (used by tests and picking) --------------------------------------------------
    def part_actor(self, part: Part) -> pv.Actor | None:
        return self.plotter.actors.get(_name(part))

    def part_actors(self) -> dict[int, pv.Actor]:
        return {p.id: a for p in self.doc.assembly if (a := self.part_actor(p)) is not None}

    def part_at(self, actor: object) -> Part | None:
        if actor is None:
            return None
        address = actor.GetAddressAsString("vtkObject")
        for p in self.doc.assembly:
            mine = self.part_actor(p)
            if mine is not None and mine.GetAddressAsString("vtkObject") == address:
                return p
        return None

    def pick(self, x: int, y: int) -> Part | None:
        """The visible part under display pixel (x, y) (VTK convention: origin bottom-left)."""
        from vtkmodules.vtkRenderingCore import vtkPropPicker
        picker = vtkPropPicker()
        if not picker.Pick(x, y, 0, self.plotter.renderer):
            return None
        return self.part_at(picker.GetActor())

    def display_position(self, point: np.ndarray) -> tuple[int, int]:
        """Display pixel (VTK convention) of a world point."""
        ren = self.plotter.renderer
        ren.SetWorldPoint(*map(float, point), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        return int(round(x)), int(round(y))

    # --- camera -------------------------------------------------------------------------------
    def set_view(self, name: str) -> None:
        set_view(self.plotter, name)
        self._request()

    def fit(self) -> None:
        self.plotter.reset_camera()
        self._request()

    # --- building -----------------------------------------------------------------------------
    def _rebuild(self) -> None:
        for name in [n for n in self.plotter.actors if n.startswith("part-") or n == "input"]:
            self.plotter.remove_actor(name, render=False)
        for part in self.doc.assembly:
            self._add_part(part)
        self._update_input()
        self._update_legend()
        if not self._camera_set and (len(self.doc.assembly) or self.doc.assembly.input is not None):
            set_view(self.plotter, "iso")   # first scene: default view; later scenes keep the camera
            self._camera_set = True

    def _add_part(self, part: Part) -> None:
        v = self.doc.view
        actor = surface_actor(polydata(part.vertices, part.faces))
        prop = actor.prop
        prop.color = part.colour
        prop.opacity = part.opacity
        prop.interpolation = "gouraud"        # smooth shading from the vertex normals
        prop.specular, prop.specular_power = 0.25, 20.0
        prop.style = "wireframe" if v.wireframe else "surface"
        prop.line_width = 1.0
        self.plotter.add_actor(actor, name=_name(part), reset_camera=False, render=False, pickable=True)
        actor.user_matrix = part.transform
        actor.visibility = part.visible and not v.segmentation
        self._style_selected(part, actor)

    def _style_selected(self, part: Part, actor: pv.Actor) -> None:
        prop = actor.prop
        if part.id in self.doc.selection:
            prop.show_edges = True
            prop.edge_color = SELECTED_EDGE_COLOUR
        else:
            prop.show_edges = self.doc.view.show_edges
            prop.edge_color = (0.15, 0.15, 0.15)

    def _update_input(self) -> None:
        self.plotter.remove_actor("input", render=False)
        geo, v = self.doc.assembly.input, self.doc.view
        if geo is None:
            return
        no_parts = len(self.doc.assembly) == 0     # no model yet: show the input itself
        overlay = "mesh" if no_parts and v.overlay == "none" else v.overlay
        if v.segmentation and not no_parts:
            self._add_segmented_input(geo)
        elif overlay == "mesh" and geo.has_mesh:
            self.plotter.add_mesh(polydata(geo.vertices, geo.faces), color=INPUT_COLOUR,
                                  opacity=1.0 if no_parts else v.overlay_opacity, smooth_shading=True,
                                  name="input", reset_camera=False, render=False, pickable=False)
        elif overlay in ("mesh", "points"):
            self.plotter.add_mesh(pv.PolyData(np.asarray(geo.points, np.float32)), color=(0.2, 0.2, 0.25),
                                  point_size=3.0, render_points_as_spheres=False, name="input",
                                  reset_camera=False, render=False, pickable=False)

    def _add_segmented_input(self, geo) -> None:  # noqa: ANN001
        if geo.labels is None:
            return  # labels are computed in the background; input_changed fires when they land
        if geo.segment_mesh is not None and geo.segment_labels is not None:
            (seg_v, seg_f), labels = geo.segment_mesh, geo.segment_labels
        else:
            (seg_v, seg_f), labels = (geo.vertices, geo.faces), geo.labels
        visible = {p.index: (p.colour if p.visible else HIDDEN_SEGMENT_COLOUR) for p in self.doc.assembly}
        colours = np.array([visible.get(k, HIDDEN_SEGMENT_COLOUR) for k in range(int(labels.max()) + 1)])
        rgb = (colours[labels] * 255).astype(np.uint8)
        if seg_f is not None and len(labels) == len(seg_f):
            mesh = polydata(seg_v, seg_f)
            mesh.cell_data["segment"] = rgb
            self.plotter.add_mesh(mesh, scalars="segment", rgb=True, name="input",
                                  reset_camera=False, render=False, pickable=False, show_scalar_bar=False)
        else:
            cloud = pv.PolyData(np.asarray(geo.points, np.float32))
            cloud.point_data["segment"] = rgb
            self.plotter.add_mesh(cloud, scalars="segment", rgb=True, point_size=5.0,
                                  render_points_as_spheres=True, name="input", reset_camera=False,
                                  render=False, pickable=False, show_scalar_bar=False)

    def _update_legend(self) -> None:
        parts = self.doc.assembly.parts
        key = tuple((p.name, p.colour) for p in parts) if self.doc.view.show_legend else ()
        if key == self._legend_key and (not key or self.plotter.legend is not None):
            return      # same labels and colours as drawn (the usual case when stepping shapes)
        self._legend_key = key
        self.plotter.remove_legend(render=False)
        if not key:
            return
        labels = [[p.name, p.colour, "rectangle"] for p in parts]
        self.plotter.add_legend(labels, bcolor=(1.0, 1.0, 1.0), border=True, loc="upper right",
                                size=(0.11, min(0.035 * len(parts), 0.45)), background_opacity=0.85)

    # --- events -------------------------------------------------------------------------------
    def _on_reset(self) -> None:
        self._rebuild()
        self._request()

    def _on_parts_added(self, parts: list) -> None:
        for p in parts:
            self._add_part(p)
        self._update_legend()
        self._request()

    def _on_parts_removed(self, parts: list) -> None:
        for p in parts:
            self.plotter.remove_actor(_name(p), render=False)
        self._update_legend()
        self._request()

    def _on_input_changed(self) -> None:
        self._update_input()
        self._request()

    def _on_part_changed(self, part: Part, field: str) -> None:
        actor = self.part_actor(part)
        if actor is None:
            return
        if field == "visible":
            actor.visibility = part.visible and not self.doc.view.segmentation
            if self.doc.view.segmentation:
                self._update_input()
        elif field == "opacity":
            actor.prop.opacity = part.opacity
        elif field == "colour":
            actor.prop.color = part.colour
            self._update_legend()
            if self.doc.view.segmentation:
                self._update_input()
        elif field == "transform":
            actor.user_matrix = part.transform
        elif field == "mesh":
            actor.GetMapper().SetInputData(polydata(part.vertices, part.faces))
        elif field == "name":
            self._update_legend()
        self._request()

    def _on_view_changed(self, field: str, value: object) -> None:
        v = self.doc.view
        if field in ("wireframe", "show_edges"):
            for p in self.doc.assembly:
                if (actor := self.part_actor(p)) is not None:
                    actor.prop.style = "wireframe" if v.wireframe else "surface"
                    self._style_selected(p, actor)
        elif field in ("overlay", "overlay_opacity"):
            self._update_input()
        elif field == "segmentation":
            for p in self.doc.assembly:
                if (actor := self.part_actor(p)) is not None:
                    actor.visibility = p.visible and not v.segmentation
            self._update_input()
        elif field == "show_legend":
            self._update_legend()
        else:
            return  # e.g. resolution: the session re-predicts and resets the assembly
        self._request()

    def _on_selection_changed(self) -> None:
        for p in self.doc.assembly:
            if (actor := self.part_actor(p)) is not None:
                self._style_selected(p, actor)
        self._request()
