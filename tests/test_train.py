"""Training lowers the loss, is reproducible, and the command line writes what it says."""

import json

import pytest
import torch

from vae import TrainConfig, load_checkpoint
from vae.__main__ import main
from vae.evaluate import evaluate
from vae.train import train


@pytest.mark.slow
def test_short_training_lowers_the_loss_for_both_kinds():
    for kind in ("ae", "vae"):
        history = []
        train(TrainConfig(kind=kind, latent_dim=2, epochs=6, batch_size=128), progress=False,
              on_epoch=lambda epoch, stats, history=history: history.append(stats))
        assert history[-1]["loss"] < history[0]["loss"] * 0.9, (kind, history)
        assert (history[-1]["kl"] == 0) == (kind == "ae")


@pytest.mark.slow
def test_training_is_reproducible_under_a_seed():
    cfg = TrainConfig(kind="vae", latent_dim=2, epochs=2, batch_size=256, seed=5)
    a, b = train(cfg, progress=False), train(cfg, progress=False)
    for k, v in a.state_dict().items():
        torch.testing.assert_close(b.state_dict()[k], v)


@pytest.mark.slow
def test_cli_train_evaluate_and_convert(tmp_path, capsys):
    ae_path, vae_path = tmp_path / "ae.safetensors", tmp_path / "from-ae.safetensors"
    assert main(["train", "--kind", "ae", "--latent-dim", "3", "--epochs", "2", "--quiet", "-o", str(ae_path)]) == 0
    assert main(["train", "--init-from", str(ae_path), "--latent-dim", "3", "--epochs", "2", "--quiet",
                 "-o", str(vae_path)]) == 0
    converted = load_checkpoint(vae_path)
    assert converted.card.kind == "vae" and converted.card.training["init_from"] == str(ae_path)
    assert converted.card.name == "digits-vae-z3-from-ae"
    capsys.readouterr()
    assert main(["evaluate", str(vae_path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures == {"name": converted.card.name, **evaluate(converted)}
    assert figures["neg_elbo_nats"] == figures["reconstruction_nats"] + figures["kl_nats"]
    assert len(figures["kl_per_dim_nats"]) == 3


def test_cli_reports_errors_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nonsense")
    assert main(["evaluate", str(bad)]) == 2
    assert "bad.safetensors" in capsys.readouterr().err


@pytest.mark.slow
def test_a_time_budget_stops_training_early_and_says_so():
    model = train(TrainConfig(kind="vae", latent_dim=2, epochs=10_000, batch_size=512), progress=False, max_seconds=0.5)
    assert 1 <= model.card.training["epochs_run"] < 10_000


@pytest.mark.slow
def test_init_from_refuses_an_ae_that_does_not_fit(tmp_path, capsys):
    ae_path = tmp_path / "ae.safetensors"
    assert main(["train", "--kind", "ae", "--latent-dim", "2", "--epochs", "1", "--quiet", "-o", str(ae_path)]) == 0
    assert main(["train", "--init-from", str(ae_path), "--latent-dim", "8", "--epochs", "1", "--quiet"]) == 2
    assert "same dataset and latent size" in capsys.readouterr().err
    ae = load_checkpoint(ae_path)
    assert ae.card.beta == 1.0
