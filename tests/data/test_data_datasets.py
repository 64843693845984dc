"""PreparedDataset: what training reads."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from trainer.data import PreparedDataset, load_prepared
from trainer.data.datasets import DatasetError, dataset_from_config
from trainer.data.prepare import main
from trainer.input_kinds import IMAGE, VOXELS


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("prepared")
    for fam, split in (("humanoid", "train"), ("chair", "val")):
        assert main(["--synthetic", fam, "--count", "2", "--out", str(out), "--split", split,
                     "--surface", "1000", "--uniform", "1500", "--near", "500", "--views", "2",
                     "--view-size", "64", "--quiet", "--workers", "1"]) == 0
    return out


def test_item_contract(dataset_dir):
    ds = PreparedDataset(dataset_dir, "train", n_input_points=256, n_surface_samples=300,
                         n_volume_samples=400, seed=0)
    assert len(ds) == 2
    item = ds[0]
    shapes = {"input": (256, 3), "surface_points": (300, 3), "surface_normals": (300, 3),
              "volume_points": (400, 3), "occupancy": (400,), "volume_weights": (400,),
              "part_labels": (300,)}
    for k, shape in shapes.items():
        assert tuple(item[k].shape) == shape, k
    for k in ("input", "surface_points", "surface_normals", "volume_points", "occupancy", "volume_weights"):
        assert item[k].dtype == torch.float32, k
    assert item["part_labels"].dtype == torch.int64 and item["index"].item() == 0
    assert set(item["occupancy"].unique().tolist()) == {0.0, 1.0}
    # the samples are drawn from the prepared record
    rec = load_prepared(ds.shape_dirs[0])
    surf = {tuple(p) for p in rec.surface_points.tolist()}
    assert all(tuple(p) in surf for p in item["surface_points"].tolist())
    assert item["part_labels"].min() >= 0


def test_a_lone_shape_folder_is_one_shape_over_every_split(dataset_dir):
    """A prepared shape folder (no manifest) is in every split; asked for several, it is one shape
    (the gallery's consistency panel once counted it three times over "all")."""
    shape = PreparedDataset(dataset_dir, "train").shape_dirs[0]
    ds = PreparedDataset(shape, ["train", "val", "test"], n_input_points=64, n_surface_samples=50,
                         n_volume_samples=50)
    assert ds.shape_dirs == [shape]


def test_equal_sampling_balances_and_weights(dataset_dir):
    ds = PreparedDataset(dataset_dir, "train", n_volume_samples=1000, equal=True, seed=1)
    item = ds[1]
    occ, w = item["occupancy"].numpy(), item["volume_weights"].numpy()
    assert occ.mean() == pytest.approx(0.5)
    rec = load_prepared(ds.shape_dirs[1])
    frac_in = rec.uniform_occupancy.mean()
    assert np.allclose(w[occ == 1], 2 * frac_in, rtol=1e-5)
    assert np.allclose(w[occ == 0], 2 * (1 - frac_in), rtol=1e-5)
    assert w.mean() == pytest.approx(1.0, rel=1e-5)           # unbiased for the uniform volume
    # and only uniform points are used by default (IoU-compatible distribution)
    uni = {tuple(p) for p in rec.uniform_points.tolist()}
    assert all(tuple(p) in uni for p in item["volume_points"].tolist())
    plain = PreparedDataset(dataset_dir, "train", n_volume_samples=1000, equal=False, seed=1)[1]
    assert torch.all(plain["volume_weights"] == 1)
    assert abs(plain["occupancy"].mean().item() - frac_in) < 0.08


def test_positive_weight_sampling_oversamples_inside_and_stays_unbiased(dataset_dir):
    """The published data.positive_weight (with equal: false): inside points W times as likely."""
    W = 5.0
    ds = PreparedDataset(dataset_dir, "train", n_volume_samples=20000, equal=False, seed=3, positive_weight=W)
    item = ds[1]
    occ, w = item["occupancy"].numpy(), item["volume_weights"].numpy()
    frac_in = load_prepared(ds.shape_dirs[1]).uniform_occupancy.mean()
    expected_in = W * frac_in / (W * frac_in + 1 - frac_in)
    assert abs(occ.mean() - expected_in) < 0.02
    z = W * frac_in + (1 - frac_in)                       # per-point normaliser / n_total
    assert np.allclose(w[occ == 1], z / W, rtol=1e-5) and np.allclose(w[occ == 0], z, rtol=1e-5)
    assert (w * occ).mean() == pytest.approx(frac_in, abs=0.01)    # weighted fill = uniform fill
    cfg_ds = dataset_from_config({"data": {"dataset_directory": str(dataset_dir), "equal": False,
                                           "positive_weight": W}}, "train", seed=3)
    assert cfg_ds.positive_weight == W


def test_seeded_and_epoch_dependent(dataset_dir):
    a = PreparedDataset(dataset_dir, "train", seed=7)
    b = PreparedDataset(dataset_dir, "train", seed=7)
    assert torch.equal(a[0]["volume_points"], b[0]["volume_points"])
    assert torch.equal(a[0]["input"], a[0]["input"])
    a.set_epoch(1)
    assert not torch.equal(a[0]["volume_points"], b[0]["volume_points"])
    c = PreparedDataset(dataset_dir, "train", seed=None)
    torch.manual_seed(3)
    x = c[0]["input"]
    torch.manual_seed(3)
    assert torch.equal(x, c[0]["input"])


def test_default_collate_and_loader(dataset_dir):
    ds = PreparedDataset(dataset_dir, ["train", "val"], n_input_points=128, n_surface_samples=64,
                         n_volume_samples=64)
    batch = next(iter(DataLoader(ds, batch_size=4, shuffle=False)))
    assert batch["input"].shape == (4, 128, 3) and batch["index"].tolist() == [0, 1, 2, 3]
    assert batch["scale"].shape == (4,) and batch["translation"].shape == (4, 3)


def test_voxel_and_image_inputs(dataset_dir):
    vox = PreparedDataset(dataset_dir, "val", input_kind=VOXELS, seed=0)[0]["input"]
    assert vox.shape == (1, 32, 32, 32) and 0 < vox.mean() < 1
    img = PreparedDataset(dataset_dir, "val", input_kind=IMAGE, random_view=True, seed=0)[0]["input"]
    assert img.shape == (3, 64, 64) and img.dtype == torch.float32
    assert img.std() > 0.1     # the shape is visible, not a blank image


def test_unknown_labels_are_minus_one(tmp_path):
    import trimesh
    from trainer.data.pipeline import PrepareOptions, prepare_mesh
    prepare_mesh(trimesh.creation.icosphere(2), name="ball", category="misc", split="train",
                 out_dir=tmp_path, options=PrepareOptions(n_surface=200, n_uniform=200, n_near=200))
    item = PreparedDataset(tmp_path, "train", n_surface_samples=50, seed=0)[0]
    assert torch.all(item["part_labels"] == -1)


def test_config_entry_point_and_errors(dataset_dir, tmp_path):
    cfg = {"data": {"dataset_type": "prepared", "dataset_directory": str(dataset_dir),
                    "n_points_on_mesh": 100, "n_points_in_mesh": 120, "equal": True},
           "feature_extractor": {"type": "pointcloud"}}
    ds = dataset_from_config(cfg, ["train"], seed=0)
    assert ds[0]["surface_points"].shape == (100, 3) and ds[0]["volume_points"].shape == (120, 3)
    with pytest.raises(DatasetError, match="shapenet_v1"):
        dataset_from_config({"data": {"dataset_type": "shapenet_v1", "dataset_directory": "x"}}, "train")
    with pytest.raises(DatasetError, match="no prepared shapes"):
        PreparedDataset(dataset_dir, "test")
    with pytest.raises(Exception, match=str(tmp_path)):
        PreparedDataset(tmp_path / "nothing", "train")
