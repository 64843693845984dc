"""Today's training step, frozen (the code path of commit 20ac5eb, before the throughput work).

``reference_loss(model, batch, loss_config, n_points_on_sphere)`` computes the training
loss the way the trainer did before: the flow as it was (concatenated s/t first layer
sliced into two addmm branches, log-determinants always accumulated), phi at the volume
samples always the plain latent-space phi (the published ``euclidean_phi_volume`` was
accepted and ignored), phi at the surface samples for every primitive with a full
double backward, and the same losses. It reads the model's parameters by their published
names only, so it keeps running on any later NeuralParts. The encoder and the flow's
per-primitive heads (scale, rotation, translation) are the model's own: the throughput
work did not touch them.

Used by ``bench_step.py`` (side-by-side timing) and by the test that checks the new step's
losses equal these with ``euclidean_phi_volume: false``.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
from torch.nn import functional as fn

CHUNK_ELEMENTS = 1 << 22
INFERENCE_CHUNK = 1024


# --- flow (as trainer/model/flow.py was) ------------------------------------------------
def _feature_term(layer, F):
    f = F.shape[-1]
    weight = torch.cat([layer.map_s[0].weight[:, :f], layer.map_t[0].weight[:, :f]])
    bias = torch.cat([layer.map_s[0].bias, layer.map_t[0].bias])
    return fn.linear(F, weight, bias)


def _scale_shift(layer, f, feature_term, v_masked):
    weight = torch.cat([layer.map_s[0].weight[:, f:], layer.map_t[0].weight[:, f:]])
    h = fn.linear(layer.projection(v_masked), weight)
    h = h.add_(feature_term.unsqueeze(1)).relu_()
    hidden = h.shape[-1] // 2
    rows = h.view(-1, 2 * hidden)
    s = torch.addmm(layer.map_s[2].bias, rows[:, :hidden], layer.map_s[2].weight.t()).relu_()
    s = torch.addmm(layer.map_s[4].bias, s, layer.map_s[4].weight.t()).clamp_(-10.0, 10.0)
    t = torch.addmm(layer.map_t[2].bias, rows[:, hidden:], layer.map_t[2].weight.t()).relu_()
    t = torch.addmm(layer.map_t[4].bias, t, layer.map_t[4].weight.t())
    return s.view(v_masked.shape), t.view(v_masked.shape)


def condition(flow, F):
    """(feature terms as they were, sigma, rotation, translation, f); the per-primitive heads
    are the flow's own (unchanged, and a negligible cost)."""
    heads = flow.condition(F)
    return [_feature_term(layer, F) for layer in flow.layers], heads.sigma, heads.rotation, \
        heads.translation, F.shape[-1]


def flow_forward(flow, cond, y):
    terms, sigma, rotation, translation, f = cond
    x = y
    for layer, term in zip(flow.layers, terms):
        x1 = x * layer.mask
        s, t = _scale_shift(layer, f, term, x1)
        x = x1 + (1 - layer.mask) * ((x - t) * torch.exp(-s))
    if sigma is not None:
        x = x / sigma.unsqueeze(1)
    if rotation is not None:
        x = torch.einsum("bnmi,bmij->bnmj", x, rotation) + translation.unsqueeze(1)
    return x


def flow_inverse(flow, cond, x):
    terms, sigma, rotation, translation, f = cond
    y = x
    if rotation is not None:
        y = torch.einsum("bnmj,bmij->bnmi", y - translation.unsqueeze(1), rotation)
    if sigma is not None:
        y = y * sigma.unsqueeze(1)
    logdet = torch.zeros(y.shape[:-1], dtype=y.dtype, device=y.device)
    for layer, term in zip(reversed(flow.layers), reversed(terms)):
        x1 = y * layer.mask
        s, t = _scale_shift(layer, f, term, x1)
        y = x1 + (1 - layer.mask) * (y * torch.exp(s) + t)
        logdet = logdet + s.sum(-1)
    return y, logdet


def implicit(model, cond, x, chunk="auto"):
    if chunk == "auto":
        chunk = None if torch.is_grad_enabled() else INFERENCE_CHUNK
    if chunk is None or x.shape[1] <= chunk:
        xm = x[:, :, None].expand(-1, -1, model.n_primitives, -1)
        latent, _ = flow_inverse(model.invertible_network, cond, xm)
        return latent.norm(dim=-1) - model.sphere_radius
    return torch.cat([implicit(model, cond, part, None) for part in x.split(chunk, dim=1)], dim=1)


# --- predictions (as trainer/training/predictions.py was) --------------------------------
def predictions(model, F, targets, needs, n_points_on_sphere):
    cond = condition(model.invertible_network, F)
    out = {}
    if "phi_volume" in needs:
        out["phi_volume"] = implicit(model, cond, targets["volume_points"])
    if "phi_surface" in needs:
        out["phi_surface"] = implicit(model, cond, targets["surface_points"])
    if "y_prim" in needs:
        B, M = F.shape[0], model.n_primitives
        y = torch.randn(B, n_points_on_sphere, M, 3, device=F.device)
        y = y * (model.sphere_radius / y.norm(dim=-1, keepdim=True).clamp_min(1e-12))
        y_prim = flow_forward(model.invertible_network, cond, y.to(F.dtype))
        out["y_prim"] = y_prim
        with torch.no_grad():
            S = n_points_on_sphere
            phi = implicit(model, cond, y_prim.reshape(B, S * M, 3)).reshape(B, S, M, M)
            phi = phi.masked_fill(torch.eye(M, dtype=torch.bool, device=phi.device), float("inf"))
            out["on_surface"] = (phi >= 0).all(-1)
    return out


# --- losses (as trainer/losses was) -------------------------------------------------------
def _nearest_distances(queries, references, mask=None):
    B, Q, _ = queries.shape
    R = references.shape[1]
    rows = max(1, CHUNK_ELEMENTS // max(1, B * R))
    idx = torch.empty(B, Q, dtype=torch.long, device=queries.device)
    with torch.no_grad():
        for start in range(0, Q, rows):
            d = torch.cdist(queries.detach()[:, start:start + rows], references.detach(),
                            compute_mode="donot_use_mm_for_euclid_dist")
            if mask is not None:
                d = d.masked_fill(~mask[:, None, :], float("inf"))
            idx[:, start:start + rows] = d.argmin(-1)
    nearest = torch.gather(references, 1, idx[..., None].expand(-1, -1, references.shape[-1]))
    return torch.linalg.vector_norm(queries - nearest, dim=-1)


def true_chamfer(p, t, c):
    B, S, M, D = p["y_prim"].shape
    flat = p["y_prim"].reshape(B, S * M, D)
    flat_mask = p["on_surface"].reshape(B, S * M)
    search = None
    if c.get("target_to_prim_on_surface", False):
        search = flat_mask | ~flat_mask.any(-1, keepdim=True)
    t2p = _nearest_distances(t["surface_points"], flat, search).mean()
    p2t = _nearest_distances(flat, t["surface_points"]).masked_fill(~flat_mask, 0.0).mean() \
        / p["on_surface"].float().mean()
    return float(c.get("target_to_prim_weight", 1.0)) * t2p + float(c.get("prim_to_target_weight", 1.0)) * p2t


def normal_consistency(p, t, c):
    phi = p["phi_surface"]
    owner = (phi ** 2).argmin(-1, keepdim=True)
    (grad,) = torch.autograd.grad(torch.gather(phi, -1, owner)[..., 0].sum(), t["surface_points"],
                                  retain_graph=True, create_graph=True)
    normals = grad / torch.linalg.vector_norm(grad, dim=-1, keepdim=True).clamp_min(1e-12)
    return (1.0 - (t["surface_normals"] * normals).sum(-1)).mean()


def implicit_surface(p, t, c):
    logits = -float(c.get("sharpness", 1.0)) * p["phi_volume"]
    union = torch.logsumexp(logits, dim=-1) if c.get("smooth_max", False) else logits.max(-1)[0]
    bce = fn.binary_cross_entropy_with_logits(union, t["occupancy"].to(union.dtype), reduction="none")
    if t.get("volume_weights") is not None:
        bce = t["volume_weights"].to(bce.dtype) * bce
    return bce.mean()


def min_points(p, t, c):
    phi = p["phi_volume"]
    k = min(int(c.get("min_n_points", 10)), phi.shape[1])
    masked = phi + ((1.0 - t["occupancy"].to(phi.dtype)) * 1e6)[..., None]
    topk = torch.topk(masked, k, dim=1, largest=False, sorted=False)[0]
    return -torch.log(torch.sigmoid(-float(c.get("sharpness", 1.0)) * topk) + 1e-6).mean()


def non_overlapping(p, t, c):
    inside = torch.sigmoid(-float(c.get("sharpness", 1.0)) * p["phi_volume"])
    return (inside.sum(-1) - float(c.get("max_shared_points", 2.0))).relu().mean()


LOSSES = {"true_chamfer_loss": (true_chamfer, ("y_prim",)),
          "normal_consistency_loss": (normal_consistency, ("phi_surface",)),
          "implicit_surface_loss": (implicit_surface, ("phi_volume",)),
          "min_points_loss": (min_points, ("phi_volume",)),
          "non_overlapping_regularizer": (non_overlapping, ("phi_volume",))}


def reference_loss(model, batch: Mapping[str, torch.Tensor], loss_config: Mapping[str, Any],
                   n_points_on_sphere: int) -> tuple[torch.Tensor, dict[str, float]]:
    """(total, {name: unweighted value}) of today's step; ``batch`` as the training loop's
    targets plus "input" (surface_points must require grad for the normal loss)."""
    names = list(loss_config["type"])
    weights = [float(w) for w in loss_config.get("weights", [1.0] * len(names))]
    needs = {n for name in names for n in LOSSES[name][1]}
    F = model(batch["input"])
    preds = predictions(model, F, batch, needs, n_points_on_sphere)
    total, terms = 0.0, {}
    for name, w in zip(names, weights):
        value = LOSSES[name][0](preds, batch, loss_config)
        terms[name] = float(value.detach())
        total = total + w * value
    return total, terms
