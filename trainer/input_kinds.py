"""The kinds of input an encoder takes, spelled once: the encoders declare one (``input_kind``),
the datasets build it and the predictor turns a shape into it.

The published config names the encoder, not its input (``feature_extractor.type``:
"pointcloud", "resnet18", "voxel", the authors' format, read unchanged); ``ENCODER_INPUT`` maps
those names to the kinds."""
from __future__ import annotations

from typing import Any, Mapping

POINTS = "points"   # (B, N, 3) surface points
IMAGE = "image"     # (B, 3, H, W) a normalised rendered view
VOXELS = "voxels"   # (B, 1, 32, 32, 32) occupancy grid
INPUT_KINDS = (POINTS, IMAGE, VOXELS)

DEFAULT_ENCODER = "pointcloud"
ENCODER_INPUT = {"pointcloud": POINTS, "resnet18": IMAGE, "voxel": VOXELS}


def encoder_type(config: Mapping[str, Any]) -> str:
    """``feature_extractor.type`` of a config in the published schema."""
    return str((config.get("feature_extractor", {}) or {}).get("type", DEFAULT_ENCODER))


def input_kind_of(config: Mapping[str, Any]) -> str:
    """The kind of input the config's encoder takes (points for a type we do not know: the
    model builder refuses it with a clear message)."""
    return ENCODER_INPUT.get(encoder_type(config), POINTS)
