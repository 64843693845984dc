"""In-memory dataset of ellipsoids for the training tests (also imported by the
torchrun worker script, which is why it is a plain module)."""
import numpy as np
import torch
from torch.utils.data import Dataset


class EllipsoidDataset(Dataset):
    """Axis-aligned ellipsoids with analytic surface samples, normals and occupancy."""

    def __init__(self, n_shapes=4, n_input=64, n_surface=64, n_volume=64, seed=0):
        rng = np.random.default_rng(seed)
        self.items = []
        for _ in range(n_shapes):
            axes = rng.uniform(0.15, 0.4, size=3)
            d = rng.normal(size=(n_surface + n_input, 3))
            d /= np.linalg.norm(d, axis=1, keepdims=True)
            p = d * axes
            n = p / axes ** 2
            n /= np.linalg.norm(n, axis=1, keepdims=True)
            v = rng.uniform(-0.5, 0.5, size=(n_volume, 3))
            occ = ((v / axes) ** 2).sum(1) < 1
            f = lambda a: torch.as_tensor(a, dtype=torch.float32)
            self.items.append({
                "input": f(p[n_surface:]), "surface_points": f(p[:n_surface]),
                "surface_normals": f(n[:n_surface]), "volume_points": f(v),
                "occupancy": f(occ), "volume_weights": torch.ones(n_volume),
                "part_labels": torch.as_tensor((p[:n_surface, 0] > 0).astype(np.int64)),
            })

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]
