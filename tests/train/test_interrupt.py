"""Ctrl-C (SIGINT) or SIGTERM during training saves a checkpoint at an update boundary and exits cleanly."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from trainer import checkpoint


def test_ctrl_c_saves_and_exits_cleanly(tmp_path):
    worker = Path(__file__).with_name("np_train_ddp_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(worker), str(tmp_path), "100000"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = tmp_path / "log.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and len(log.read_text().splitlines()) >= 2:
            break
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    assert "Interrupted at step" in out
    ck = checkpoint.read(tmp_path / "last.pt")
    assert 0 < ck["step"] < 100000 and ck["step"] % 2 == 0  # at an update boundary (aggregate 2)
    assert not (tmp_path / "model.pt").exists()  # the run is not finished


def test_sigterm_saves_at_an_update_boundary(tmp_path, ellipsoids, tiny_config):
    from torch.utils.data import Dataset

    from trainer.training import TrainOptions, train

    class SignalOnFifthItem(Dataset):  # the signal arrives mid-run, inside an accumulation cycle
        def __init__(self, inner):
            self.inner, self.calls = inner, 0

        def __len__(self):
            return len(self.inner)

        def __getitem__(self, i):
            self.calls += 1
            if self.calls == 5:
                os.kill(os.getpid(), signal.SIGTERM)
            return self.inner[i]

    cfg = tiny_config(epochs=1, steps_per_epoch=100000, batch_size=1, aggregate=2, checkpoint_every=100000)
    r = train(cfg, TrainOptions(tmp_path, progress=False), dataset=SignalOnFifthItem(ellipsoids))
    # item 5 is in step 5, i.e. the cycle of steps 5-6: the run stops after step 6
    assert r.interrupted and r.step == 6
    assert checkpoint.read(tmp_path / "last.pt")["step"] == 6
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler removed again
