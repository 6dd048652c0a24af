"""What the page computes per interaction, and the figures it draws, without a browser."""

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vae import explore, plots


@pytest.fixture(scope="module")
def models():
    import torch
    from conftest import tiny_card

    from vae import build_model

    torch.manual_seed(0)
    return build_model(tiny_card("ae", latent_dim=3)).eval(), build_model(tiny_card("vae", latent_dim=3)).eval()


def test_encode_decode_shapes(models):
    ae, vm = models
    x = np.random.default_rng(0).random((1, 8, 8)).astype(np.float32)
    z, none = explore.encode(ae, x)
    mu, sigma = explore.encode(vm, x)
    assert z.shape == mu.shape == sigma.shape == (3,) and none is None and (sigma > 0).all()
    assert explore.decode(vm, mu).shape == (1, 8, 8)
    assert explore.decode(vm, np.stack([mu, mu])).shape == (2, 1, 8, 8)


def test_z_from_is_mu_plus_sigma_eps():
    mu, sigma, eps = np.array([0.5, -1.0]), np.array([0.2, 2.0]), np.array([1.5, -0.5])
    np.testing.assert_allclose(explore.z_from(mu, sigma, eps), mu + sigma * eps)


def test_eps_is_frozen_by_its_seed():
    np.testing.assert_array_equal(explore.eps_for(3, 8), explore.eps_for(3, 8))
    assert not np.allclose(explore.eps_for(3, 8), explore.eps_for(4, 8))
    assert explore.eps_for(3, 8, k=5).shape == (5, 8)


@settings(max_examples=150, deadline=None)
@given(mu=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
       sigma=st.lists(st.floats(1e-3, 50.0), min_size=3, max_size=3),
       seed=st.integers(0, 2**31 - 1))
def test_every_shown_number_is_finite_over_the_slider_ranges_and_beyond(models, mu, sigma, seed):
    ae, vm = models
    x = np.full((1, 8, 8), 0.5, dtype=np.float32)
    z = explore.z_from(mu, sigma, explore.eps_for(seed, 3))
    kl = explore.kl_nats(mu, sigma)
    assert np.isfinite(kl).all() and (kl >= 0).all()
    assert np.isfinite(explore.reconstruction_nats(vm, x, z))
    image = explore.decode(vm, z)
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1


def test_to_pixels_keeps_pixels_square_and_clips():
    a = np.array([[0.0, 1.0], [2.0, -1.0]])
    out = plots.to_pixels(a, size=4)
    assert out.dtype == np.uint8 and out.shape == (4, 4)
    assert (out[:2, :2] == 0).all() and (out[:2, 2:] == 255).all() and (out[2:, :2] == 255).all()
    assert plots.to_pixels(np.full((1, 3, 3), np.nan)).max() == 0


def test_image_grid_places_every_tile():
    grid = plots.image_grid(np.ones((5, 1, 2, 2)), cols=3, size=2, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 3 + 1) and (grid == 255).sum() == 5 * 4


def test_kl_bar_figure_marks_collapsed_dimensions():
    fig = plots.kl_bar_figure(np.array([1.0, 0.001, 2.0]), collapsed=np.array([False, True, False]))
    assert isinstance(fig, go.Figure)
    bar = fig.data[0]
    assert list(bar.y) == [1.0, 0.001, 2.0] and bar.marker.color[1] != bar.marker.color[0]
