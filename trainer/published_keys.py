"""What the trainer does with every key of the published config schema.

Each published key is *honoured* (it changes what trains), *refused* for the values we do
not implement (one ConfigError naming the key), or *tolerated* for a stated reason (it
selects something of the authors' Python code that has no counterpart here and changes
nothing about the model or objective). ``PUBLISHED_KEYS`` is the table README reproduces;
:func:`check_training_config` enforces the refusals before a run does any work.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .config import ConfigError

HONOURED, REFUSED_OTHERWISE, TOLERATED = "honoured", "honoured; other values refused", "tolerated"


@dataclass(frozen=True)
class KeySupport:
    key: str      # "section.key"
    status: str   # HONOURED, REFUSED_OTHERWISE or TOLERATED
    note: str     # what we do with it (for tolerated keys: why that is safe)


PUBLISHED_KEYS: tuple[KeySupport, ...] = (
    KeySupport("data.dataset_factory", TOLERATED,
               "names the authors' loader class; a prepared directory holds every quantity it returns"),
    KeySupport("data.dataset_type", REFUSED_OTHERWISE,
               "prepared (shapenet_v1 / dynamic_faust / freihand are read as prepared directories)"),
    KeySupport("data.dataset_directory", HONOURED, "the prepared dataset (--dataset-directory overrides)"),
    KeySupport("data.splits_file", TOLERATED, "splits live in the prepared manifest (np-prepare reads the file)"),
    KeySupport("data.n_points_in_mesh", HONOURED, "volume samples per shape and step"),
    KeySupport("data.n_points_on_mesh", HONOURED, "target surface samples per shape and step"),
    KeySupport("data.equal", HONOURED, "inside/outside balanced volume sampling with importance weights"),
    KeySupport("data.normalize", TOLERATED,
               "normalisation is applied once by np-prepare and recorded in the prepared directory"),
    KeySupport("data.biased", HONOURED, "true: unit volume weights (the sampler alone sets the balance)"),
    KeySupport("data.positive_weight", HONOURED, "inside samples drawn W times more often (with weights)"),
    KeySupport("data.input_dims", REFUSED_OTHERWISE, "3"),
    KeySupport("data.random_view", HONOURED, "a random rendered view per step (image encoders)"),
    KeySupport("data.mesh_folder / points_folder / surface_points_folder / renderings_folder", TOLERATED,
               "D-FAUST folder names; the prepared directory layout replaces them"),
    KeySupport("network.type", REFUSED_OTHERWISE, "flexible_primitives"),
    KeySupport("network.sphere_radius", HONOURED, "radius r of every primitive's sphere"),
    KeySupport("network.n_primitives", HONOURED, "M"),
    KeySupport("network.n_points_on_sphere", HONOURED,
               "S random sphere points per primitive and step (Chamfer and euclidean phi; >= 1)"),
    KeySupport("network.euclidean_phi_volume", REFUSED_OTHERWISE,
               "true/false: phi at the volume samples is the distance to the nearest of S fresh surface "
               "samples of the primitive, signed by the plain phi (true), or the plain phi (false)"),
    KeySupport("network.phi_surface", REFUSED_OTHERWISE,
               "true, or false when normal_consistency_loss is not listed (it reads phi at the surface)"),
    KeySupport("network.y_prim", REFUSED_OTHERWISE,
               "true, or false when true_chamfer_loss is not listed (it reads the surface samples)"),
    KeySupport("network.phi_volume", TOLERATED,
               "the published switch for the plain phi at volume samples; we compute it whenever a loss "
               "reads it (euclidean_phi_volume overrides it, as published)"),
    KeySupport("network.union_surface", REFUSED_OTHERWISE, "true (the Chamfer term uses the union's surface)"),
    KeySupport("network.edge_lengths", REFUSED_OTHERWISE, "false (no edge-length loss here)"),
    KeySupport("network.with_dropout", HONOURED, "dropout 0.5 on the encoder output"),
    KeySupport("feature_extractor.type", REFUSED_OTHERWISE, "pointcloud (ours), resnet18, voxel"),
    KeySupport("feature_extractor.feature_size", HONOURED, "f"),
    KeySupport("feature_extractor.freeze_bn", HONOURED,
               "resnet18's batch norms frozen (the other encoders have none)"),
    KeySupport("invertible_network.type", REFUSED_OTHERWISE, "simple_nvp"),
    KeySupport("invertible_network.n_blocks", HONOURED, "L coupling layers"),
    KeySupport("invertible_network.hidden_size", HONOURED, "H"),
    KeySupport("invertible_network.checkpoint", HONOURED, "activation checkpointing of each coupling layer"),
    KeySupport("invertible_network.normalize", HONOURED, "per-axis scale head"),
    KeySupport("invertible_network.explicit_affine", HONOURED, "rotation and translation heads"),
    KeySupport("projection_layer.type", REFUSED_OTHERWISE, "simple"),
    KeySupport("projection_layer.proj_dims", HONOURED, "p"),
    KeySupport("loss.type", REFUSED_OTHERWISE,
               "true_chamfer_loss, normal_consistency_loss, implicit_surface_loss, min_points_loss, "
               "non_overlapping_regularizer"),
    KeySupport("loss.weights", HONOURED, "one weight per loss.type entry"),
    KeySupport("loss.sharpness", HONOURED, "logit scale of the occupancy, coverage and overlap losses"),
    KeySupport("loss.min_n_points", HONOURED, "k of min_points_loss"),
    KeySupport("loss.max_shared_points", HONOURED, "overlap allowance"),
    KeySupport("loss.smooth_max", HONOURED, "logsumexp instead of max for the union's logit"),
    KeySupport("metrics", REFUSED_OTHERWISE, "[iou]: the validation pass reports IoU"),
    KeySupport("training.splits", HONOURED, "splits trained on"),
    KeySupport("training.epochs / steps_per_epoch", HONOURED, "run length in steps"),
    KeySupport("training.save_frequency", HONOURED, "checkpoint interval in epochs"),
    KeySupport("training.batch_size / aggregate", HONOURED, "batch and gradient accumulation"),
    KeySupport("training.optimizer", REFUSED_OTHERWISE, "Adam, RAdam, SGD"),
    KeySupport("training.lr / weight_decay", HONOURED, "optimizer settings"),
    KeySupport("training.lr_schedule", HONOURED,
               "ours: constant (as published) or cosine decay to final_fraction x lr, optional warmup_steps"),
    KeySupport("training.momentum", HONOURED, "SGD's momentum (Adam and RAdam have none, as published)"),
    KeySupport("validation.splits / frequency / batch_size", HONOURED, "the validation pass"),
)

SUPPORTED_METRICS = ("iou",)


def _bool(section: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} is {value!r}; it must be true or false")
    return value


def check_training_config(cfg: Mapping[str, Any], loss_names: list[str]) -> None:
    """Refuse, by key, every published value this trainer does not implement.

    ``cfg`` is a full config (defaults merged); ``loss_names`` the loss.type entries.
    """
    net = cfg.get("network", {})
    _bool(net, "euclidean_phi_volume", "network", True)
    if int(net.get("n_points_on_sphere", 0)) < 1:
        raise ConfigError(f"network.n_points_on_sphere is {net.get('n_points_on_sphere')!r}; it must be >= 1")
    if not _bool(net, "phi_surface", "network", True) and "normal_consistency_loss" in loss_names:
        raise ConfigError("network.phi_surface is false but loss.type lists normal_consistency_loss, "
                          "which reads phi at the surface samples")
    if not _bool(net, "y_prim", "network", True) and "true_chamfer_loss" in loss_names:
        raise ConfigError("network.y_prim is false but loss.type lists true_chamfer_loss, "
                          "which reads the primitives' surface samples")
    if not _bool(net, "union_surface", "network", True):
        raise ConfigError("network.union_surface: false is not supported; the Chamfer term always "
                          "uses the points on the union's surface")
    if _bool(net, "edge_lengths", "network", False):
        raise ConfigError("network.edge_lengths: true is not supported; there is no edge-length loss")
    from .training.optim import check_lr_schedule
    check_lr_schedule(cfg.get("training", {}) or {})
    metrics = cfg.get("metrics", ["iou"]) or []
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        raise ConfigError(f"metrics is {metrics!r}; it must be a list such as [iou]")
    unknown = [m for m in metrics if m not in SUPPORTED_METRICS]
    if unknown:
        raise ConfigError(f"metrics lists {unknown[0]!r}; supported: {', '.join(SUPPORTED_METRICS)}")


def markdown_table() -> str:
    """The README table of :data:`PUBLISHED_KEYS`."""
    rows = ["| key | what we do | values / why |", "|---|---|---|"]
    rows += [f"| `{k.key}` | {k.status} | {k.note} |" for k in PUBLISHED_KEYS]
    return "\n".join(rows)
