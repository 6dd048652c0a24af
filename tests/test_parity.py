"""The browser's networks and formulas (live/js/model.js), run by node as the browser runs them,
against torch's own forward pass and vae.kl_per_dim: every shipped model's encoder and decoder, on test
images and on fixed and extreme z. model.js is free of the DOM, so node imports it as it is."""

import copy
import json

import numpy as np
import pytest
import safetensors.torch
import torch
from nodejs import node

import vae
from vae.checkpoints import checkpoint_bytes

pytestmark = pytest.mark.slow  # node runs the browser's code


def fixed_z(latent_dim: int) -> np.ndarray:
    """Ordinary codes, the sliders' corners and far beyond them, (9, D)."""
    rng = np.random.default_rng(latent_dim)
    extreme = [np.full(latent_dim, v) for v in (-4.0, 4.0, -30.0, 30.0)]
    return np.concatenate([rng.normal(size=(4, latent_dim)), extreme, np.zeros((1, latent_dim))])


@pytest.mark.parametrize("name", [c.name for c in vae.list_pretrained()])
def test_the_browser_encodes_and_decodes_like_torch(name, tmp_path):
    model = vae.load_pretrained(name)
    x = vae.load_dataset(model.card.dataset, "test").images[:6]
    z = fixed_z(model.card.latent_dim)
    served = tmp_path / f"{name}.safetensors"  # in float16, as routes/files.py sends the halves
    served.write_bytes(checkpoint_bytes(model, dtype=torch.float16))
    got = node({"module": "model.js", "call": "forward", "file": str(served), "x": x.flatten(1).tolist(),
                "z": z.tolist()})
    # the browser sums in float64 over the float16 weights it is sent, which are the loaded model's own
    # (vae.checkpoints.round_to_float16): torch's forward in float64 on the same weights is its exact
    # reference; float32 torch differs by its own rounding at |z| = 30
    exact = copy.deepcopy(model).double()
    with torch.no_grad():
        encoded = exact.encode(x.double())
        decoded = exact.decode(torch.as_tensor(z)).flatten(1).numpy()
        as_run = model.decode(torch.as_tensor(z, dtype=torch.float32)).flatten(1).numpy()
        encoded_as_run = model.encode(x)
    np.testing.assert_allclose(got["mu"], encoded.mu.numpy(), atol=1e-5, rtol=0)
    np.testing.assert_allclose(got["mu"], encoded_as_run.mu.numpy(), atol=1e-5, rtol=0)
    if model.card.kind == "vae":
        np.testing.assert_allclose(got["logSigma"], encoded.log_sigma.numpy(), atol=1e-5, rtol=0)
    else:
        assert got["logSigma"] == [None] * len(x)
    pixels, pairs = np.array(got["decoded"]), np.array(got["pairs"])
    np.testing.assert_allclose(pixels, decoded, atol=1e-5, rtol=0)
    np.testing.assert_array_equal(pairs[:, 0], pixels)
    np.testing.assert_array_equal(pairs[:, 1], np.roll(pixels, -1, axis=0))
    ordinary = np.abs(z).max(axis=1) <= 4  # the sliders' range: within 1e-5 of the float32 model as it runs
    np.testing.assert_allclose(pixels[ordinary], as_run[ordinary], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", [c.name for c in vae.list_pretrained()])
def test_float16_weights_move_no_pixel_by_three_grey_levels(name):
    """What rounding the weights to float16 costs the pictures: the model as loaded (rounded) against the
    float32 file as shipped, on 1000 test images decoded from mu and on codes within the sliders' range. The
    most any shipped model moves is 0.0089 (mnist-ae-z2 on the whole test split, 2.3 grey levels of 255;
    most move by under 0.003: benchmarks/float16.md)."""
    model = vae.load_pretrained(name)
    shipped = copy.deepcopy(model)
    shipped.load_state_dict(safetensors.torch.load_file(model.source[0]))
    assert any(not torch.equal(a, b) for a, b in zip(model.state_dict().values(), shipped.state_dict().values()))
    x = vae.load_dataset(model.card.dataset, "test").images[:1000]
    z = torch.as_tensor(fixed_z(model.card.latent_dim)[:5], dtype=torch.float32)  # ordinary codes and |z| = 4
    with torch.no_grad():
        moved = [(m.decode(m.encode(x).mu), m.decode(z)) for m in (model, shipped)]
    for rounded, exact in zip(*moved):
        assert (rounded - exact).abs().max() < 3 / 255


def test_the_browsers_kl_is_kl_per_dim():
    rng = np.random.default_rng(0)
    mu = np.concatenate([rng.uniform(-4, 4, 40), [0.0, 1e-8, -1e3, 1e3]])
    sigma = np.concatenate([rng.uniform(0.01, 3, 40), [1.0, 1 + 1e-7, 1e-6, 50.0]])
    got = np.array(node({"module": "model.js", "call": "klPerDim", "args": [mu.tolist(), sigma.tolist()]}))
    expected = vae.kl_per_dim(torch.from_numpy(mu), torch.from_numpy(np.log(sigma))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-300)
    reference = torch.distributions.kl_divergence(  # an independent reference, not a copy of the formula
        torch.distributions.Normal(torch.from_numpy(mu[:40]), torch.from_numpy(sigma[:40])),
        torch.distributions.Normal(0.0, 1.0)).numpy()
    np.testing.assert_allclose(got[:40], reference, rtol=1e-9)


def test_the_browsers_reconstruction_is_bce_summed_over_pixels():
    rng = np.random.default_rng(1)
    logits, x = rng.normal(scale=8, size=64), rng.uniform(size=64)
    got = node({"module": "model.js", "call": "reconstructionNats", "args": [logits.tolist(), x.tolist()]})
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(logits), torch.from_numpy(x), reduction="sum").item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_a_broken_weights_file_is_refused_with_its_reason():
    text = json.dumps({"__metadata__": {"card": "{}"}}).encode()
    header_only = len(text).to_bytes(8, "little") + text

    def reason(data: bytes) -> str:
        return node({"module": "model.js", "call": "readError", "args": [data.hex()]})

    assert reason(bytes(4)) == "too short to be a safetensors file (4 bytes)"
    assert reason(header_only) == "it has no decoder tensors"
    assert reason((10**6).to_bytes(8, "little") + b"{}") == "its header runs past the end of the file"
