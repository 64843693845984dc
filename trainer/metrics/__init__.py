"""Evaluation metrics (numpy): IoU, Chamfer-L1, F-score, normal consistency, part purity,
part connectedness."""
from .connectedness import part_connectedness
from .occupancy import iou
from .parts import PartConsistency
from .pointcloud import PointCloudScores, chamfer_l1, compare_point_clouds, fscore

__all__ = ["iou", "PartConsistency", "part_connectedness", "PointCloudScores", "chamfer_l1", "compare_point_clouds", "fscore"]
