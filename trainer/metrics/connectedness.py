"""Part connectedness: is each primitive's share of the surface one region, or scattered patches?

Part purity counts which ground-truth part each surface point's owner (argmin_m phi_m) maps
to; it cannot see two primitives that split a seat into interleaved patches, since both may
still map to "seat". Connectedness needs no labels: join each surface sample to its k nearest
samples, keep the edges whose two ends have the same owner, and count the fraction of samples
that lie in the largest connected region of their owner. 1.0 means every primitive owns one
piece of surface; a primitive split into islands loses the samples outside its largest one.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

NEIGHBOURS = 8


def part_connectedness(points: np.ndarray, owner: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Fraction of ``points`` (N, 3) in the largest same-owner region of the k-nearest-neighbour
    graph of their owner (``owner``: (N,) primitive index per point); nan for no points."""
    points = np.asarray(points, np.float64)
    owner = np.asarray(owner, np.int64).ravel()
    if points.ndim != 2 or points.shape[1] != 3 or len(points) != len(owner):
        raise ValueError("points must be (N, 3) with one owner per point.")
    n = len(points)
    if n == 0:
        return float("nan")
    k = min(k, n - 1)
    if k < 1:
        return 1.0
    _, nbr = cKDTree(points).query(points, k + 1)
    i = np.repeat(np.arange(n), k)
    j = nbr[:, 1:].ravel()
    same = owner[i] == owner[j]
    graph = coo_matrix((np.ones(int(same.sum()), np.int8), (i[same], j[same])), shape=(n, n))
    _, region = connected_components(graph, directed=False)
    sizes = np.bincount(region)
    region_owner = np.empty(len(sizes), np.int64)
    region_owner[region] = owner
    largest = np.zeros(int(owner.max()) + 1, np.int64)
    np.maximum.at(largest, region_owner, sizes)
    return float(largest.sum()) / n
