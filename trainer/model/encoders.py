"""Shape encoders chosen by ``feature_extractor.type``: pointcloud (ours), resnet18, voxel.

Every encoder keeps its layers under ``_feature_extractor`` like the published code, so
state-dict keys read ``feature_extractor._feature_extractor.*``. No weights are downloaded:
a published checkpoint carries its encoder, and new models train from scratch.
"""
from __future__ import annotations

import torch
from torch import nn

from ..input_kinds import DEFAULT_ENCODER, IMAGE, POINTS, VOXELS


class Encoder(nn.Module):
    """Base: maps an input batch to (B, feature_size)."""

    feature_size: int
    input_kind: str  # one of trainer.input_kinds.INPUT_KINDS: what the data pipeline must feed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._feature_extractor(x)


class _PointNet(nn.Module):
    def __init__(self, feature_size: int, widths: tuple[int, ...] = (64, 128, 256)):
        super().__init__()
        layers: list[nn.Module] = []
        prev = 3
        for width in widths:
            layers += [nn.Linear(prev, width), nn.ReLU()]
            prev = width
        self.point_mlp = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(2 * prev, 2 * prev), nn.ReLU(), nn.Linear(2 * prev, feature_size))

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        per_point = self.point_mlp(points)  # (B, N, C)
        pooled = torch.cat([per_point.amax(dim=1), per_point.mean(dim=1)], dim=-1)
        return self.head(pooled)


class PointCloudEncoder(Encoder):
    """PointNet with max + mean pooling over (B, N, 3) surface points.

    Chosen for CPU speed: every operation is a dense matmul over points (O(N)), with no
    neighbour search (DGCNN, PointNet++ pay O(N^2) or tree queries for local context) and
    no normalisation layer that would tie results to batch composition. The two poolings
    make it invariant to point order and number; the mean adds the global extent cue
    that max alone loses.
    """

    input_kind = POINTS

    def __init__(self, feature_size: int):
        super().__init__()
        self.feature_size = feature_size
        self._feature_extractor = _PointNet(feature_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != 3:
            raise ValueError(f"pointcloud encoder expects (B, N, 3) points, got {tuple(x.shape)}")
        return self._feature_extractor(x)


class FrozenBatchNorm2d(nn.Module):
    """Batch norm with fixed statistics; ``running_var`` already includes eps (published)."""

    def __init__(self, channels: int):
        super().__init__()
        for name, init in (("weight", torch.ones), ("bias", torch.zeros),
                           ("running_mean", torch.zeros), ("running_var", torch.ones)):
            self.register_buffer(name, init(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * self.running_var.rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale[None, :, None, None] + shift[None, :, None, None]


def _norm(channels: int, frozen: bool) -> nn.Module:
    return FrozenBatchNorm2d(channels) if frozen else nn.BatchNorm2d(channels)


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock, same attribute names."""

    def __init__(self, c_in: int, c_out: int, stride: int, frozen_bn: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = _norm(c_out, frozen_bn)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = _norm(c_out, frozen_bn)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), _norm(c_out, frozen_bn))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class _ResNet18(nn.Module):
    """ResNet-18 with torchvision's module names and the published fc head."""

    def __init__(self, feature_size: int, frozen_bn: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = _norm(64, frozen_bn)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        widths = (64, 128, 256, 512)
        c_in = 64
        for i, width in enumerate(widths, start=1):
            stride = 1 if i == 1 else 2
            blocks = nn.Sequential(BasicBlock(c_in, width, stride, frozen_bn), BasicBlock(width, width, 1, frozen_bn))
            setattr(self, f"layer{i}", blocks)
            c_in = width
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, feature_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ResNet18Encoder(Encoder):
    """Image encoder (B, 3, H, W) of the published image-input models."""

    input_kind = IMAGE

    def __init__(self, feature_size: int, freeze_bn: bool = True):
        super().__init__()
        self.feature_size = feature_size
        self._feature_extractor = _ResNet18(feature_size, freeze_bn)


class VoxelEncoder(Encoder):
    """3D convolutional encoder over (B, 1, 32, 32, 32) occupancy grids (published layout)."""

    input_kind = VOXELS

    def __init__(self, feature_size: int):
        super().__init__()
        self.feature_size = feature_size
        layers: list[nn.Module] = []
        widths = (1, 32, 64, 128, 256, 512)
        for i in range(5):
            layers += [nn.Conv3d(widths[i], widths[i + 1], 3, padding=1, stride=1 if i == 0 else 2), nn.ReLU()]
        self._feature_extractor = nn.Sequential(*layers)
        self._feature_extractor_fc = nn.Linear(512 * 2 * 2 * 2, feature_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or tuple(x.shape[1:]) != (1, 32, 32, 32):
            raise ValueError(f"voxel encoder expects (B, 1, 32, 32, 32) grids, got {tuple(x.shape)}")
        features = self._feature_extractor(x)
        return self._feature_extractor_fc(features.flatten(1))


# feature_extractor.type (the published names) -> encoder; its input_kind is ENCODER_INPUT[type]
ENCODERS = {"pointcloud": PointCloudEncoder, "resnet18": ResNet18Encoder, "voxel": VoxelEncoder}


def build_encoder(feature_cfg: dict) -> Encoder:
    kind = feature_cfg.get("type", DEFAULT_ENCODER)
    size = int(feature_cfg.get("feature_size", 256))
    if kind == "pointcloud":
        return PointCloudEncoder(size)
    if kind == "resnet18":
        return ResNet18Encoder(size, bool(feature_cfg.get("freeze_bn", True)))
    if kind == "voxel":
        return VoxelEncoder(size)
    raise ValueError(f"unknown feature_extractor.type {kind!r}; expected one of {sorted(ENCODERS)}")
