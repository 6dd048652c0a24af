"""The browser's decoder and KL (panels/decoder.js), run in Chromium, against torch's own forward
pass and vae.kl_per_dim: every shipped decoder, on fixed and extreme z."""

import base64
import copy
import json

import numpy as np
import pytest
import torch
from conftest import ROOT
from test_browser import browser  # noqa: F401  (the module's Chromium)

import vae
from vae.checkpoints import checkpoint_bytes

pytestmark = pytest.mark.browser
DECODER_JS = (ROOT / "panels" / "decoder.js").read_text()


@pytest.fixture(scope="module")
def page(browser):  # noqa: F811
    page = browser.new_page()
    page.set_content("<html><body></body></html>")
    # decoder.js is an ES module: its exports are handed to the page through a global
    page.add_script_tag(type="module", content=DECODER_JS + "\nwindow.decoder = {readSafetensors, makeDecoder, "
                        "klPerDim, reconstructionNats, sigmoid};")
    page.wait_for_function("() => window.decoder !== undefined")
    yield page
    page.close()


def fixed_z(latent_dim: int) -> np.ndarray:
    """Ordinary codes, the sliders' corners and far beyond them, (9, D)."""
    rng = np.random.default_rng(latent_dim)
    extreme = [np.full(latent_dim, v) for v in (-4.0, 4.0, -30.0, 30.0)]
    return np.concatenate([rng.normal(size=(4, latent_dim)), extreme, np.zeros((1, latent_dim))])


@pytest.mark.parametrize("name", [c.name for c in vae.list_pretrained()])
def test_browser_decodes_like_torch(page, name):
    model = vae.load_pretrained(name)
    z = fixed_z(model.card.latent_dim)
    with torch.no_grad():
        as_run = model.decode(torch.as_tensor(z, dtype=torch.float32)).flatten(1).numpy()
        # the browser sums in float64 over the float32 weights: torch's forward in float64 on the
        # same weights is its exact reference; float32 torch differs by its own rounding at |z| = 30
        expected = copy.deepcopy(model).double().decode(torch.as_tensor(z)).flatten(1).numpy()
    got = page.evaluate("""([weights, zs]) => {
        const bytes = Uint8Array.from(atob(weights), (c) => c.charCodeAt(0));
        const model = decoder.makeDecoder(decoder.readSafetensors(bytes));
        const pixels = (logits) => Array.from(logits, decoder.sigmoid);
        // each z alone, and each with the next as a pair (a mu move decodes z and mu in one pass)
        return [zs.map((z) => pixels(model.decodeLogits(z))),
                zs.map((z, i) => model.decodePair(z, zs[(i + 1) % zs.length]).map(pixels))];
    }""", [base64.b64encode(checkpoint_bytes(model, prefix="decoder.")).decode(), z.tolist()])
    got, pairs = np.array(got[0]), np.array(got[1])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    np.testing.assert_array_equal(pairs[:, 0], got)
    np.testing.assert_array_equal(pairs[:, 1], np.roll(got, -1, axis=0))
    ordinary = np.abs(z).max(axis=1) <= 4  # the sliders' range: within 1e-5 of the float32 model as it runs
    np.testing.assert_allclose(got[ordinary], as_run[ordinary], atol=1e-5, rtol=0)


def test_browser_kl_matches_kl_per_dim(page):
    rng = np.random.default_rng(0)
    mu = np.concatenate([rng.uniform(-4, 4, 40), [0.0, 1e-8, -1e3, 1e3]])
    sigma = np.concatenate([rng.uniform(0.01, 3, 40), [1.0, 1 + 1e-7, 1e-6, 50.0]])
    got = np.array(page.evaluate("([mu, sigma]) => decoder.klPerDim(mu, sigma)", [mu.tolist(), sigma.tolist()]))
    expected = vae.kl_per_dim(torch.from_numpy(mu), torch.from_numpy(np.log(sigma))).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-300)


def test_browser_reconstruction_is_bce_summed_over_pixels(page):
    rng = np.random.default_rng(1)
    logits, x = rng.normal(scale=8, size=64), rng.uniform(size=64)
    got = page.evaluate("([l, x]) => decoder.reconstructionNats(l, x)", [logits.tolist(), x.tolist()])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(logits), torch.from_numpy(x), reduction="sum").item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_a_broken_weights_file_is_refused_with_its_reason(page):
    reasons = page.evaluate("""(header) => [new Uint8Array(4), (() => {
            const text = new TextEncoder().encode(header), bytes = new Uint8Array(8 + text.length);
            new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
            bytes.set(text, 8);
            return bytes;
        })()].map((bytes) => { try { decoder.makeDecoder(decoder.readSafetensors(bytes)); return "read"; }
                               catch (e) { return e.message; } })""",
                            json.dumps({"__metadata__": {"card": "{}"}}))
    assert reasons == ["too short to be a safetensors file (4 bytes)", "it has no decoder tensors"]
