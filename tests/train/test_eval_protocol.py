"""The evaluation protocol on primitives with known answers (analytic spheres)."""
import numpy as np
import pytest
import torch
import trimesh

from trainer.evaluate.protocol import EvalSettings, owners, score_shape, union_surface_samples
from trainer.metrics import part_connectedness


class Spheres:
    """Stand-in with the primitive interface of NeuralParts: M spheres."""

    def __init__(self, centres, radii):
        self.c = torch.tensor(centres, dtype=torch.float32)
        self.r = torch.tensor(radii, dtype=torch.float32)
        self.n_primitives = len(radii)

    def implicit(self, F, x, chunk_size=None, cond=None):
        return torch.linalg.vector_norm(x[:, :, None] - self.c, dim=-1) - self.r

    def primitive_meshes(self, F, resolution=3):
        meshes = []
        for c, r in zip(self.c.numpy(), self.r.numpy()):
            s = trimesh.creation.icosphere(subdivisions=resolution, radius=float(r))
            meshes.append((np.asarray(s.vertices + c, np.float32), np.asarray(s.faces, np.int64)))
        return [meshes]


def _sphere_gt(n, r, seed):
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    v = rng.uniform(-0.55, 0.55, size=(4000, 3))
    return p * r, p, v, np.linalg.norm(v, axis=1) < r


def test_primitive_fitted_to_a_sphere_scores_perfectly():
    gt, normals, v, occ = _sphere_gt(50000, 0.4, 0)
    s = score_shape(Spheres([[0, 0, 0]], [0.4]), torch.zeros(1, 1, 2), gt, normals, v, occ,
                    EvalSettings(n_points=20000, mesh_resolution=5))
    assert s.iou == 1.0
    # what remains is the spacing of random samples: mean nearest-neighbour distance
    # ~ 0.5 / sqrt(density), 0.0032 (GT) and 0.005 (prediction) here
    assert s.chamfer_l1 < 0.0055
    assert s.fscore > 0.85 and s.normal_consistency > 0.99
    assert s.union_surface_fraction == 1.0
    assert s.part_connectedness == 1.0


def test_wrong_sphere_scores_as_computed_by_hand():
    gt, normals, v, occ = _sphere_gt(5000, 0.4, 1)
    s = score_shape(Spheres([[0, 0, 0]], [0.3]), torch.zeros(1, 1, 2), gt, normals, v, occ,
                    EvalSettings(n_points=5000, mesh_resolution=5))
    assert s.iou == pytest.approx(0.3 ** 3 / 0.4 ** 3, abs=0.04)   # volume ratio
    assert s.chamfer_l1 == pytest.approx(0.1, abs=0.005)            # radial gap
    assert s.fscore == 0.0


def test_union_surface_drops_points_inside_other_primitives():
    model = Spheres([[-0.1, 0, 0], [0.1, 0, 0]], [0.2, 0.2])
    pts, nrm, prim, frac = union_surface_samples(model, torch.zeros(1, 2, 2), EvalSettings(n_points=3000))
    assert len(pts) == 3000 and nrm.shape == (3000, 3) and prim.shape == (3000,)
    d = np.linalg.norm(pts[:, None] - model.c.numpy()[None], axis=-1)
    assert np.abs(d[np.arange(3000), prim] - 0.2).max() < 1e-2   # each point on the sphere it is labelled with
    assert set(np.unique(prim)) == {0, 1} and ((pts[:, 0] < 0) == (prim == 0)).all()
    assert part_connectedness(pts, prim) == 1.0                     # each sphere shows as one piece
    assert (d.min(1) > 0.2 - 1e-2).all()  # on a sphere (up to facets)
    assert (d.max(1) >= 0.2).all()        # and outside the other one
    # the cap of each sphere inside the other is 1/4 of its area (h = r - d/2 = 0.1)
    assert frac == pytest.approx(0.75, abs=0.03)
    own = owners(model, torch.zeros(1, 2, 2), np.array([[-0.3, 0, 0], [0.3, 0, 0]]))
    assert list(own) == [0, 1]
