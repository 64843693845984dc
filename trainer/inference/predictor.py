"""Predictor: a checkpoint on a device, turning shapes into part meshes and implicit values.

The viewer and ``np-infer`` reach the model only through this class.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from ..input_kinds import IMAGE, POINTS, VOXELS
from .resolution import check_resolution
from .shapes import ShapeInput

IMAGE_SIZE = 224       # the published image models were trained on 224 x 224 renderings
VOXEL_SIZE = 32
# On the CPU the flow is fastest when one pass holds about this many sphere vertices (all batch
# items together): more spills the activations out of cache (benchmarks/results_gallery.md).
CPU_VERTICES_PER_PASS = 2600


@dataclass
class Prediction:
    """Part meshes for one shape, in the shape's normalised frame."""

    meshes: list[tuple[np.ndarray, np.ndarray]]   # M x (vertices (V, 3) float32, faces (T, 3) int64)
    features: torch.Tensor                        # (1, M, 2f) per-primitive features, on the model's device
    resolution: int
    timing: dict[str, float] = field(default_factory=dict)   # seconds: input, encode, meshes, total
    device: str = "cpu"

    @property
    def n_primitives(self) -> int:
        return len(self.meshes)


def resolve_device(requested: str = "auto") -> tuple[torch.device, str]:
    """(device, note). ``auto`` takes CUDA when torch sees it; ``cuda`` without CUDA falls back to
    the CPU with a note saying so."""
    requested = (requested or "auto").lower()
    if requested not in ("auto", "cpu") and not requested.startswith("cuda"):
        raise ValueError(f"device must be auto, cpu or cuda[:N], got {requested!r}")
    has_cuda = torch.cuda.is_available()
    if requested == "cpu":
        return torch.device("cpu"), ""
    if requested == "auto":
        return (torch.device("cuda"), "") if has_cuda else (torch.device("cpu"), "")
    if not has_cuda:
        return torch.device("cpu"), "CUDA was requested but torch sees no CUDA device; running on the CPU."
    dev = torch.device(requested)
    if dev.index is not None and dev.index >= torch.cuda.device_count():
        return torch.device("cuda:0"), f"{requested} does not exist; using cuda:0."
    return dev, ""


class Predictor:
    """``Predictor(checkpoint, config=None, device="auto")``.

    ``checkpoint``: a path to one of our checkpoints or a published state dict (``config`` is its
    YAML, or a ``*.yaml`` beside it), or an already-built primitive model (``trainer.model.PrimitiveModel``;
    then ``config`` is ignored). Raises ``trainer.checkpoint.CheckpointError`` for files that cannot be used.
    """

    def __init__(self, checkpoint: str | os.PathLike | torch.nn.Module,
                 config: str | os.PathLike | Mapping[str, Any] | None = None, device: str = "auto") -> None:
        from ..checkpoint import load
        self.device, self.device_note = resolve_device(device)
        if isinstance(checkpoint, torch.nn.Module):
            model, cfg, self.path = checkpoint, checkpoint.config, None
        else:
            self.path = Path(checkpoint)
            model, cfg = load(self.path, config=config, map_location="cpu")
        self.model = model.to(self.device).eval()
        self.config: dict = cfg
        self._n_points = int(cfg.get("data", {}).get("n_input_points", 2048))

    # --- description --------------------------------------------------------------------------
    @property
    def n_primitives(self) -> int:
        return int(self.model.n_primitives)

    @property
    def input_kind(self) -> str:
        return str(getattr(self.model, "input_kind", POINTS))

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "in-memory model"

    @property
    def key(self) -> str:
        """Identifies the weights for caching: path + modification time + size."""
        if self.path is None:
            return f"module-{id(self.model)}"
        st = self.path.stat()
        return f"{self.path.resolve()}:{st.st_mtime_ns}:{st.st_size}"

    def summary(self) -> dict[str, Any]:
        """name, path, the model's ``describe()`` (type, primitives, encoder, primitive, ...),
        parameters and device."""
        return {
            "name": self.name,
            "path": str(self.path) if self.path else "",
            **self.model.describe(),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "device": str(self.device),
        }

    # --- inference ----------------------------------------------------------------------------
    def encoder_input(self, shape: ShapeInput) -> torch.Tensor:
        """The (1, ...) tensor the encoder takes for ``shape``: points, a 224x224 view or voxels."""
        kind = self.input_kind
        if kind == POINTS:
            pts = shape.points
            if len(pts) > self._n_points:   # a fixed subset, so a shape always gives the same parts
                pts = pts[np.random.default_rng(0).choice(len(pts), self._n_points, replace=False)]
            x = torch.from_numpy(np.ascontiguousarray(pts, np.float32))[None]
        elif kind == IMAGE:
            img = shape.image if shape.image is not None else render_view(shape.points, shape.normals)
            x = _image_tensor(img)
        elif kind == VOXELS:
            stored = getattr(shape.ground_truth, "voxels", None)     # prepared shapes carry their grid
            grid = np.asarray(stored, np.float32) if stored is not None else voxelize(shape.points)
            x = torch.from_numpy(np.ascontiguousarray(grid))[None, None]
        else:
            raise ValueError(f"unsupported encoder input kind {kind!r}")
        return x.to(self.device)

    @torch.no_grad()
    def features(self, shape: ShapeInput) -> torch.Tensor:
        return self.model.primitive_features(self.model.encode(self.encoder_input(shape)))

    @torch.no_grad()
    def predict(self, shape: ShapeInput, resolution: int = 3) -> Prediction:
        check_resolution(resolution)
        t0 = time.perf_counter()
        x = self.encoder_input(shape)
        t1 = time.perf_counter()
        F = self.model.primitive_features(self.model.encode(x))
        _sync(self.device)
        t2 = time.perf_counter()
        meshes = self.model.primitive_meshes(F, int(resolution))[0]
        t3 = time.perf_counter()
        return Prediction(meshes=[(np.asarray(v, np.float32), np.asarray(f, np.int64)) for v, f in meshes],
                          features=F, resolution=int(resolution), device=str(self.device),
                          timing={"input": t1 - t0, "encode": t2 - t1, "meshes": t3 - t2, "total": t3 - t0})

    @torch.no_grad()
    def features_of_input(self, x: torch.Tensor) -> torch.Tensor:
        """F (B, M, 2f) for a ready encoder input batch (B, ...), e.g. a dataset item's ``input``."""
        return self.model.primitive_features(self.model.encode(x.to(self.device)))

    @torch.no_grad()
    def meshes_from_features(self, features: torch.Tensor, resolution: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
        """The M part meshes of features F (1, M, 2f), as the model's primitive type builds them."""
        check_resolution(resolution)
        meshes = self.model.primitive_meshes(features.to(self.device), int(resolution))[0]
        return [(np.asarray(v, np.float32), np.asarray(f, np.int64)) for v, f in meshes]

    @torch.no_grad()
    def predict_many(self, shapes: "list[ShapeInput] | tuple[ShapeInput, ...]", resolution: int = 3,
                     vertices_per_pass: int | None = CPU_VERTICES_PER_PASS) -> list[Prediction]:
        """``predict`` for many shapes, same results: shapes whose encoder inputs have the same size
        go through the model together, as many at once as pay off (all of them on CUDA, or with
        ``vertices_per_pass=None``; about ``vertices_per_pass`` sphere vertices per flow pass on the
        CPU, where bigger passes spill the activations out of cache)."""
        check_resolution(resolution)
        out: list[Prediction | None] = [None] * len(shapes)
        groups: dict[tuple, list[tuple[int, torch.Tensor]]] = {}
        for i, shape in enumerate(shapes):
            x = self.encoder_input(shape)
            groups.setdefault(tuple(x.shape), []).append((i, x))
        per_pass = max(1, len(shapes))
        if self.device.type != "cuda" and vertices_per_pass is not None:
            per_pass = max(1, int(vertices_per_pass) // (10 * 4 ** int(resolution) + 2))
        for items in groups.values():
            for start in range(0, len(items), per_pass):
                part = items[start:start + per_pass]
                t0 = time.perf_counter()
                F = self.model.primitive_features(self.model.encode(torch.cat([x for _, x in part])))
                meshes = self.model.primitive_meshes(F, int(resolution))
                _sync(self.device)
                seconds = (time.perf_counter() - t0) / len(part)
                for b, (i, _) in enumerate(part):
                    out[i] = Prediction(
                        meshes=[(np.asarray(v, np.float32), np.asarray(f, np.int64)) for v, f in meshes[b]],
                        features=F[b:b + 1].clone(), resolution=int(resolution), device=str(self.device),
                        timing={"total": seconds})
        return out  # type: ignore[return-value]

    def union_distance(self, prediction: Prediction, points: np.ndarray, n_points: int = 3000,
                       mesh_resolution: int = 3, seed: int = 0) -> float:
        """Chamfer-L1 (the evaluation code's definition) between the surface of the union of the
        predicted parts (sampled as ``np-eval`` samples it) and ``points`` (N, 3) on the input's
        surface, in the normalised frame: how far the parts are from the shape."""
        from ..evaluate.protocol import EvalSettings, union_surface_samples
        from ..metrics import chamfer_l1
        settings = EvalSettings(n_points=n_points, mesh_resolution=mesh_resolution, seed=seed)
        pts = np.asarray(points, np.float64)
        if len(pts) > n_points:
            pts = pts[np.random.default_rng(seed).choice(len(pts), n_points, replace=False)]
        with torch.no_grad():
            surface, _, _, _ = union_surface_samples(self.model, prediction.features.to(self.device), settings)
        return float(chamfer_l1(surface, pts))

    def fit(self, shape: ShapeInput, options: Any, on_progress: Any = None, should_stop: Any = None) -> Any:
        """``trainer.fitting.fit_shape`` for ``shape`` with this predictor's model as the start
        (refine) or the architecture (scratch); the fit works on a copy, this model stays as it is.
        Returns the ``FitResult``; ``Predictor(result.model)`` predicts the fitted parts."""
        from ..fitting import fit_shape
        return fit_shape(shape, options, model=self.model, on_progress=on_progress, should_stop=should_stop)

    @torch.no_grad()
    def implicit(self, prediction_or_features: Prediction | torch.Tensor, points: np.ndarray,
                 chunk: int = 8192) -> np.ndarray:
        """phi (N, M) for points (N, 3) in the normalised frame; negative inside; the owning
        primitive of a point is ``phi.argmin(1)``."""
        F = prediction_or_features.features if isinstance(prediction_or_features, Prediction) \
            else prediction_or_features
        F = F.to(self.device)
        pts = torch.from_numpy(np.ascontiguousarray(points, np.float32)).to(self.device)[None]
        phi = self.model.implicit(F, pts, chunk_size=chunk)
        return phi[0].float().cpu().numpy()

    def evaluate(self, prediction: Prediction, shape: ShapeInput) -> dict[str, float]:
        """The evaluation code's per-shape scores (``trainer.evaluate``, as ``np-eval`` computes them)
        for a prepared shape; {} when the shape has no ground truth."""
        gt = shape.ground_truth
        if gt is None:
            return {}
        from ..evaluate.protocol import EvalSettings
        from ..evaluate.shapes import score_prepared
        settings = EvalSettings()
        s = score_prepared(self.model, prediction.features.to(self.device), gt, settings, settings.seed)
        return {"IoU": s.iou, "Chamfer-L1": s.chamfer_l1, "F-score": s.fscore,
                "Normal consistency": s.normal_consistency, "Connectedness": s.part_connectedness}

    def owners(self, prediction_or_features: Prediction | torch.Tensor, points: np.ndarray,
               chunk: int = 20000) -> np.ndarray:
        """Owning primitive (argmin of phi) per point, int64 (N,), as ``np-eval`` computes it."""
        if len(points) == 0:
            return np.zeros((0,), np.int64)
        from ..evaluate.protocol import owners
        F = prediction_or_features.features if isinstance(prediction_or_features, Prediction) \
            else prediction_or_features
        return owners(self.model, F.to(self.device), np.asarray(points, np.float32), chunk).astype(np.int64)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --- encoder inputs for image and voxel models -----------------------------------------------------
def _image_tensor(img: np.ndarray) -> torch.Tensor:
    img = np.asarray(img)
    if img.shape[:2] != (IMAGE_SIZE, IMAGE_SIZE):
        t = torch.from_numpy(img[..., :3].astype(np.float32)).permute(2, 0, 1)[None]
        t = torch.nn.functional.interpolate(t, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
    else:
        t = torch.from_numpy(img[..., :3].astype(np.float32)).permute(2, 0, 1)[None]
    return t / 255.0


def render_view(points: np.ndarray, normals: np.ndarray | None, size: int = IMAGE_SIZE) -> np.ndarray:
    """A grey shaded view of the surface samples on white, for image models when the shape has
    no rendered view of its own (an approximation of the published renderings)."""
    pts = np.asarray(points, np.float64)
    direction = np.array([1.0, 0.7, 1.6]) / np.linalg.norm([1.0, 0.7, 1.6])
    x_axis = np.cross([0.0, 1.0, 0.0], direction)
    x_axis /= np.linalg.norm(x_axis)
    basis = np.stack([x_axis, np.cross(direction, x_axis), direction])
    cam = pts @ basis.T
    scale = (size / 2 - 8) / max(float(np.abs(cam[:, :2]).max()), 1e-9)
    px = np.clip((cam[:, 0] * scale + size / 2).astype(int), 0, size - 1)
    py = np.clip((size / 2 - cam[:, 1] * scale).astype(int), 0, size - 1)
    if normals is not None:
        shade = 0.3 + 0.7 * np.abs(np.asarray(normals, np.float64) @ direction)
    else:
        d = cam[:, 2]
        shade = 0.4 + 0.6 * (d - d.min()) / max(np.ptp(d), 1e-9)
    img = np.full((size, size, 3), 255, np.uint8)
    order = np.argsort(cam[:, 2])
    for dx in (0, 1, 2):
        for dy in (0, 1, 2):
            img[np.clip(py + dy, 0, size - 1)[order], np.clip(px + dx, 0, size - 1)[order]] = \
                (shade[order, None] * 200).astype(np.uint8)
    return img


def voxelize(points: np.ndarray, size: int = VOXEL_SIZE) -> np.ndarray:
    """(size, size, size) float32 occupancy of the normalised unit cube [-0.5, 0.5]^3: the voxels
    the surface passes through, with enclosed space filled."""
    from scipy import ndimage
    idx = np.clip(((np.asarray(points) + 0.5) * size).astype(int), 0, size - 1)
    grid = np.zeros((size, size, size), bool)
    grid[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    grid = ndimage.binary_closing(grid, iterations=1) | grid
    return ndimage.binary_fill_holes(grid).astype(np.float32)
