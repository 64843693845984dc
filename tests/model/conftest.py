import json
from pathlib import Path

import numpy as np
import pytest
import torch

from trainer.model import NeuralParts

from testkit import tiny_config

FIXTURE = Path(__file__).parent / "data" / "official_reference_small.npz"


@pytest.fixture
def tiny_model() -> NeuralParts:
    torch.manual_seed(0)
    return NeuralParts.from_config(tiny_config()).eval()


@pytest.fixture(scope="session")
def reference():
    data = np.load(FIXTURE)
    config = json.loads(bytes(data["config_json"]).decode())
    state = {k[len("state_dict."):]: torch.from_numpy(data[k]) for k in data.files if k.startswith("state_dict.")}
    outputs = {k[len("out."):]: torch.from_numpy(data[k]) for k in data.files if k.startswith("out.")}
    return config, state, outputs
