"""The plain phi at many points, differentiated only where the loss looks.

The occupancy loss reads max_m(-sharpness * phi_m) (its gradient reaches one primitive
per point), the coverage loss k points per primitive and the overlap loss only the points
inside more than ``max_shared_points`` primitives: most of the (point, primitive) entries
of phi get an exactly zero gradient. :func:`implicit_sparse_backward` evaluates phi for
all of them without autograd (chunked, cache-sized) and, in backward, recomputes the flow
with autograd for the entries whose incoming gradient is non-zero only. Values and
gradients are those of ``model.implicit`` (the chain rule skips only zero terms), for any
loss; the cost of the backward scales with the entries a loss actually uses.
"""
from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .flow import ConditionalNVP, Conditioning

# Rows (points x primitives x batch items) per no-grad flow pass of a training step: keeps
# the activations within L2 cache; measured 25-35% faster than the 1024 points per pass of
# inference at both config sizes (benchmarks/README.md, "Training step").
NO_GRAD_CHUNK_ROWS = 4096


def no_grad_chunk(batch: int, n_primitives: int) -> int:
    """Points per no-grad flow pass."""
    return max(16, NO_GRAD_CHUNK_ROWS // (batch * n_primitives))



def _conditioning(tensors: list[torch.Tensor | None], n_layers: int) -> Conditioning:
    return Conditioning(list(tensors[:n_layers]), *tensors[n_layers:])


def _phi(flow: ConditionalNVP, cond: Conditioning, points: torch.Tensor, radius: float) -> torch.Tensor:
    latent, _ = flow.inverse_aligned(cond, points)
    return latent.norm(dim=-1) - radius


class _SparseBackwardImplicit(torch.autograd.Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda")  # backward's recompute runs under the same autocast
    def forward(ctx, flow, radius, n_layers, n_cond, points, *tensors):
        cond_tensors = list(tensors[:n_cond])
        cond = _conditioning(cond_tensors, n_layers)
        B, M = cond.feature_terms[0].shape[:2]
        aligned = cond.per_point()
        parts = [_phi(flow, aligned, chunk[:, :, None].expand(-1, -1, M, -1), radius)
                 for chunk in points.split(no_grad_chunk(B, M), dim=1)]
        ctx.flow, ctx.radius, ctx.n_layers, ctx.n_cond = flow, radius, n_layers, n_cond
        ctx.has_cond = [t is not None for t in cond_tensors]
        ctx.save_for_backward(points, *[t for t in tensors if t is not None])
        return torch.cat(parts, dim=1)

    @staticmethod
    @once_differentiable
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, grad_phi):
        saved = list(ctx.saved_tensors)
        points, rest = saved[0], saved[1:]
        cond_tensors, it = [], iter(rest)
        for present in ctx.has_cond:
            cond_tensors.append(next(it) if present else None)
        params = list(it)
        needs = ctx.needs_input_grad
        item, point, prim = (grad_phi != 0).nonzero(as_tuple=True)
        with torch.enable_grad():
            leaves = [None if t is None else t.detach().requires_grad_(needs[5 + i])
                      for i, t in enumerate(cond_tensors)]
            x = points.detach().requires_grad_(needs[4])
            cond = _conditioning(leaves, ctx.n_layers).pairs(item, prim)
            phi = _phi(ctx.flow, cond, x[item, point], ctx.radius)
            wrt = ([x] if needs[4] else []) + [t for t in leaves if t is not None and t.requires_grad] \
                + [p for p in params if p.requires_grad]
            grads = iter(torch.autograd.grad(phi, wrt, grad_phi[item, point, prim], allow_unused=True)
                         if wrt and len(item) else [None] * len(wrt))
        grad_points = next(grads) if needs[4] else None
        grad_cond = [next(grads) if t is not None and t.requires_grad else None for t in leaves]
        grad_params = [next(grads) if p.requires_grad else None for p in params]
        return (None, None, None, None, grad_points, *grad_cond, *grad_params)


def implicit_sparse_backward(model, cond: Conditioning, points: torch.Tensor) -> torch.Tensor:
    """phi (B, N, M) at points (B, N, 3), equal to ``model.implicit`` in value and
    gradient; ``model.invertible_network`` must be a ConditionalNVP."""
    flow: ConditionalNVP = model.invertible_network
    cond_tensors = [*cond.feature_terms, cond.sigma, cond.rotation, cond.translation]
    params = list(flow.layers.parameters())
    return _SparseBackwardImplicit.apply(flow, float(model.sphere_radius), len(cond.feature_terms),
                                         len(cond_tensors), points, *cond_tensors, *params)
