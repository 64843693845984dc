"""Quaternion to rotation matrix, as the published model uses it."""
from __future__ import annotations

import torch


def quaternion_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (..., 3, 3) for quaternions (..., 4) in (w, x, y, z) order.

    The standard Hamilton matrix; ``q`` need not be unit length (it is scaled by 2/|q|^2),
    and a zero quaternion gives the identity. The published model applies it to ROW
    vectors (``x @ R``), which rotates by the inverse of the Hamilton rotation.
    """
    w, x, y, z = q.unbind(-1)
    n = (q * q).sum(-1)
    s = torch.where(n > 0, 2.0 / torch.where(n > 0, n, torch.ones_like(n)), torch.zeros_like(n))
    xx, yy, zz = s * x * x, s * y * y, s * z * z
    xy, xz, yz = s * x * y, s * x * z, s * y * z
    xw, yw, zw = s * x * w, s * y * w, s * z * w
    rows = (
        torch.stack([1 - yy - zz, xy - zw, xz + yw], -1),
        torch.stack([xy + zw, 1 - xx - zz, yz - xw], -1),
        torch.stack([xz - yw, yz + xw, 1 - xx - yy], -1),
    )
    return torch.stack(rows, -2)
