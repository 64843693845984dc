"""Two CPU processes under torchrun (gloo) end with identical parameters."""
import os
import subprocess
import sys
from pathlib import Path

import torch

from trainer import checkpoint


def test_two_process_ddp_ranks_agree(tmp_path):
    worker = Path(__file__).with_name("np_train_ddp_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(worker), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world"] == r1["world"] == 2 and r0["step"] == r1["step"] == 4
    for k, v in r0["state"].items():
        assert torch.equal(v, r1["state"][k]), k
    # rank 0 wrote the checkpoint, with both ranks' RNG states
    ck = checkpoint.read(tmp_path / "model.pt")
    assert len(ck["rng"]) == 2 and ck["world_size"] == 2
    for k, v in ck["model"].items():
        assert torch.equal(v, r0["state"][k])
