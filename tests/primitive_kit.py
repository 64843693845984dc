"""Tiny models of every primitive type for the tests that run each type through the product."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent / "train"))
from np_train_ellipsoids import EllipsoidDataset  # noqa: E402  (a plain module beside the train tests)

# test name -> (network.type, coupling layers); ellipsoids are Neural Parts with 0 layers
TYPES = {
    "neural_parts": ("flexible_primitives", 2),
    "ellipsoids": ("flexible_primitives", 0),
    "superquadrics": ("superquadrics", 0),
    "cuboids": ("cuboids", 0),
}
# parameters a model of this type has but cannot use (kept for the checkpoint layout)
UNUSED = {"ellipsoids": ("invertible_network._projection.",)}
# centres of spread-apart parts in the normalised frame: a square facing the default camera
PART_CENTRES = np.array([[-0.32, 0.3, 0.0], [0.32, 0.3, 0.0], [-0.32, -0.3, 0.0], [0.32, -0.3, 0.0]])


def type_config(name: str, n_primitives: int = 3, **sections) -> dict:
    """A config of about 10-40k parameters for test type ``name``."""
    kind, blocks = TYPES[name]
    cfg = {
        "data": {"n_input_points": 256},
        "network": {"type": kind, "n_primitives": n_primitives, "sphere_radius": 0.25,
                    "n_points_on_sphere": 32},
        "feature_extractor": {"type": "pointcloud", "feature_size": 16},
    }
    if kind == "flexible_primitives":
        cfg["invertible_network"] = {"n_blocks": blocks, "hidden_size": 16}
        cfg["projection_layer"] = {"proj_dims": 8}
    else:
        cfg["network"]["head_hidden_size"] = 16
    for key, value in sections.items():
        cfg[key] = {**cfg.get(key, {}), **value}
    return cfg


def build(name: str, seed: int = 0, **kwargs):
    from trainer.model import build_model
    torch.manual_seed(seed)
    return build_model(type_config(name, **kwargs))


def _translation_head(model):
    """The two Linear layers that output each primitive's translation (test-only knowledge)."""
    net = getattr(model, "invertible_network", model)
    return net.translations[0], net.translations[2]


def spread_apart(model) -> None:
    """Put primitive m at PART_CENTRES[m], modest size and no rotation, for any input shape."""
    M, f = model.n_primitives, model.feature_size
    with torch.no_grad():
        emb = torch.zeros(M, f)
        emb[torch.arange(M), torch.arange(M)] = 1.0
        model.primitive_embedding.copy_(emb)
        t0, t2 = _translation_head(model)
        for layer in (t0, t2):
            layer.weight.zero_()
            layer.bias.zero_()
        for m in range(M):
            t0.weight[m, f + m] = 1.0
        t2.weight[:, :M] = torch.tensor(PART_CENTRES[:M].T, dtype=torch.float32)
        if hasattr(model, "invertible_network"):
            model.invertible_network.scales[2].weight.mul_(0.1)
            model.invertible_network.scales[2].bias.zero_()
            model.invertible_network.rotations[2].weight.zero_()
            model.invertible_network.rotations[2].bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
        else:
            model.sizes[2].weight.zero_()
            model.sizes[2].bias.fill_(-0.6)       # half-size 0.02 + 0.5 * sigmoid(-0.6) = 0.2
            model.rotations[2].weight.zero_()


def write_checkpoints(folder: Path, spread: bool = False, n_primitives: int = 3) -> dict[str, Path]:
    """One checkpoint per test type under ``folder``."""
    from trainer import checkpoint
    out = {}
    for name in TYPES:
        model = build(name, n_primitives=n_primitives)
        if spread:
            spread_apart(model)
        out[name] = checkpoint.save(Path(folder) / f"{name}.pt", model, model.config)
    return out


def toy_batch(batch: int = 2, n: int = 128, seed: int = 0) -> dict[str, torch.Tensor]:
    """A collated batch of the training tests' ellipsoids (input, surface points + normals,
    volume points + occupancy + weights)."""
    data = EllipsoidDataset(n_shapes=batch, n_input=n, n_surface=n, n_volume=n, seed=seed)
    return {k: torch.stack([data[i][k] for i in range(batch)]) for k in data[0]}
