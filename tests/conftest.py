import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
torch.set_num_threads(1)  # tests are many small models; threads only add contention on 2 cores

from vae import ModelCard, build_model  # noqa: E402


def tiny_card(kind="vae", dataset="digits", latent_dim=2, arch=None, name=None) -> ModelCard:
    shape = (1, 32, 32) if dataset == "sprites" else (1, 8, 8)
    arch = arch or ({"type": "conv", "channels": [8, 8], "hidden": 16} if dataset == "sprites"
                    else {"type": "mlp", "hidden": [16, 8]})
    return ModelCard(name=name or f"{dataset}-{kind}-z{latent_dim}", kind=kind, dataset=dataset,
                     image_shape=shape, latent_dim=latent_dim, architecture=arch)


@pytest.fixture
def tiny_model():
    def make(kind="vae", **kw):
        torch.manual_seed(0)
        return build_model(tiny_card(kind, **kw)).eval()
    return make


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
