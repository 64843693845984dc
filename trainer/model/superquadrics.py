"""``network.type: superquadrics``: each primitive a superquadric (Barr 1981), as in
Paschalidou et al., "Superquadrics Revisited" (CVPR 2019), regressed from the shared features.

In the primitive's frame, with half-sizes a and shape exponents (e1, e2), the
inside-outside function is
    G(x) = (|x/a1|^(2/e2) + |y/a2|^(2/e2))^(e2/e1) + |z/a3|^(2/e1)     (< 1 inside).
G grows like a power of distance that depends on the exponents, so phi is the radial
Euclidean distance instead (Solina and Bajcsy 1990): phi(x) = |x| - r(x/|x|), with
r(u) = G(u)^(-e1/2) the distance from the centre to the surface in direction u. It is
zero on the surface, negative inside, and about a world distance near the surface, so
``loss.sharpness`` means the same as for Neural Parts. G is evaluated in log space
(log-sum-exp of the terms), so no power over- or underflows for any exponent in range.
Surface samples and meshes push unit directions to r(u) u (the surface is star-shaped about
its centre, so the icosphere gives a closed genus-0 mesh with no pinched poles). The directions
are first spread as the parametric form spreads them: u_i -> a_i sgn(u_i) |u_i|^max(e, 1),
renormalised. Unstretched directions bunch at the middle of an elongated primitive and leave
its ends to a few long triangles, which look like spikes; for e1 = e2 >= 1 the spread is the
exact parametric surface, and for e < 1 it is the ellipsoid's (an even cover of a box).
"""
from __future__ import annotations

import numpy as np
import torch

from .analytic import AnalyticPrimitives, Placement
from .sphere import sample_sphere, sphere_mesh

EXPONENT_RANGE = (0.1, 1.9)   # convex, from near-box (0.1) through ellipsoid (1) to near-octahedron
_LOG_FLOOR = 1e-9             # |u_i| + floor inside the log: finite at u_i = 0, gradient bounded
_CENTRE = 1e-7                # |x| below this counts as the centre
_Z = torch.tensor([0.0, 0.0, 1.0])


def _log_add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """log(e^a + e^b) through logsumexp, whose backward only takes exp of values <= 0; torch's
    logaddexp backward overflows in its second derivative (the normal loss needs it) for far-apart terms."""
    return torch.logsumexp(torch.stack([a, b], -1), -1)


def radial_extent(u: torch.Tensor, size: torch.Tensor, exponents: torch.Tensor) -> torch.Tensor:
    """r(u) (B, N, M): centre-to-surface distance along unit directions u (B, N, M, 3)."""
    e1, e2 = exponents[:, None, :, 0], exponents[:, None, :, 1]
    log_ratio = torch.log(u.abs() + _LOG_FLOOR) - torch.log(size)[:, None]   # log |u_i / a_i|
    xy = _log_add(2 / e2 * log_ratio[..., 0], 2 / e2 * log_ratio[..., 1])
    log_g = _log_add(e2 / e1 * xy, 2 / e1 * log_ratio[..., 2])
    return torch.exp(-0.5 * e1 * log_g)


class Superquadrics(AnalyticPrimitives):
    """Size (3), exponents (e1, e2) squashed into EXPONENT_RANGE, rotation, translation."""

    n_shape_params = 2
    primitive_name = (f"superquadric (half-sizes, exponents in [{EXPONENT_RANGE[0]}, {EXPONENT_RANGE[1]}], "
                      "rotation, translation)")

    def shape_parameters(self, raw: torch.Tensor) -> torch.Tensor:
        low, high = EXPONENT_RANGE
        return low + (high - low) * torch.sigmoid(raw)   # 1.0 (an ellipsoid) at raw = 0

    def local_distance(self, local: torch.Tensor, p: Placement) -> torch.Tensor:
        # At (numerically) the centre any direction will do, phi there is -r(u) either way; the
        # substitution comes before the norm so no branch has a 0/0 derivative (NaN through where).
        at_centre = (local.abs().amax(-1, keepdim=True) < _CENTRE)
        safe = torch.where(at_centre, _Z.to(local), local)
        norm = torch.linalg.vector_norm(safe, dim=-1, keepdim=True)
        radius = torch.where(at_centre, torch.zeros_like(norm), norm)[..., 0]
        return radius - radial_extent(safe / norm, p.size, p.shape)

    def _push(self, u: torch.Tensor, p: Placement) -> torch.Tensor:
        """Unit directions (B, N, M, 3) -> surface points, spread along the primitive (docstring)."""
        e1, e2 = p.shape[:, None, :, 0:1], p.shape[:, None, :, 1:2]
        power = torch.cat([e2, e2, e1], -1).clamp(min=1.0)
        spread = p.size[:, None] * torch.sign(u) * (u.abs() + _LOG_FLOOR) ** power
        d = spread / torch.linalg.vector_norm(spread, dim=-1, keepdim=True)
        return d * radial_extent(d, p.size, p.shape)[..., None]

    def local_surface(self, p: Placement, n_points: int, generator: torch.Generator | None) -> torch.Tensor:
        B, M = p.size.shape[:2]
        u = sample_sphere((B, n_points, M), 1.0, p.size.device, generator).to(p.size.dtype)
        return self._push(u, p)

    def local_mesh(self, p: Placement, resolution: int) -> tuple[torch.Tensor, np.ndarray]:
        vertices, faces = sphere_mesh(resolution, 1.0)
        B, M = p.size.shape[:2]
        u = torch.from_numpy(vertices).to(p.size.device, p.size.dtype)
        u = u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
        return self._push(u[None, :, None].expand(B, -1, M, -1), p), faces
