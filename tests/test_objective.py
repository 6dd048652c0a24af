"""The seed's formulas against independent references: torch.distributions and sample statistics."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Normal, kl_divergence

from vae import kl_per_dim, kl_per_example, reparameterize
from vae.objective import reconstruction_per_example


def reference_kl(mu, log_sigma):
    return kl_divergence(Normal(mu, log_sigma.exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))


def test_kl_matches_torch_distributions_on_random_values():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(64, 8, generator=g, dtype=torch.float64) * 3
    log_sigma = torch.randn(64, 8, generator=g, dtype=torch.float64) * 2
    torch.testing.assert_close(kl_per_dim(mu, log_sigma), reference_kl(mu, log_sigma))
    torch.testing.assert_close(kl_per_example(mu, log_sigma), reference_kl(mu, log_sigma).sum(-1))


def test_kl_is_the_seeds_formula_in_sigma():
    mu, sigma = torch.tensor([0.5, -2.0, 0.0]), torch.tensor([0.3, 1.7, 1.0])
    seed_form = 0.5 * (mu**2 + sigma**2 - 2 * sigma.log() - 1)
    torch.testing.assert_close(kl_per_dim(mu, sigma.log()), seed_form)


def test_kl_is_zero_at_the_prior_and_precise_near_it():
    assert kl_per_dim(torch.zeros(3), torch.zeros(3)).abs().max() == 0
    # sigma = 1 + 1e-4: the naive form loses this to float32 rounding; the expm1 form keeps it
    log_sigma = torch.tensor([1e-4])
    expected = reference_kl(torch.zeros(1, dtype=torch.float64), log_sigma.double()).float()
    torch.testing.assert_close(kl_per_dim(torch.zeros(1), log_sigma), expected, rtol=1e-3, atol=0)


def test_kl_finite_at_extremes():
    mu = torch.tensor([1e3, -1e3, 0.0, 1e3, -1e3])
    log_sigma = torch.tensor([20.0, -20.0, 20.0, -20.0, 0.0])
    kl = kl_per_dim(mu, log_sigma)
    assert torch.isfinite(kl).all()
    torch.testing.assert_close(kl.double(), reference_kl(mu.double(), log_sigma.double()), rtol=1e-5, atol=0)


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e3, 1e3), st.floats(-20, 20))
def test_kl_finite_and_nonnegative_everywhere(mu, log_sigma):
    kl = kl_per_dim(torch.tensor([mu]), torch.tensor([log_sigma]))
    assert torch.isfinite(kl).all() and kl.item() >= 0


def test_reparameterization_moments():
    mu, log_sigma = torch.tensor([1.5, -0.5, 0.0]), torch.tensor([0.2, -1.0, 0.7])
    eps = torch.randn(200_000, 3, generator=torch.Generator().manual_seed(1))
    z = reparameterize(mu, log_sigma, eps)
    sigma = log_sigma.exp()
    torch.testing.assert_close(z.mean(0), mu, atol=4 * sigma.max().item() / 200_000**0.5, rtol=0)
    torch.testing.assert_close(z.var(0), sigma**2, rtol=0.02, atol=0)


def test_gradients_reach_mu_and_log_sigma_through_the_sample():
    mu = torch.tensor([0.3, -0.2], requires_grad=True)
    log_sigma = torch.tensor([-0.5, 0.1], requires_grad=True)
    eps = torch.tensor([1.0, -2.0])
    reparameterize(mu, log_sigma, eps).sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones(2))
    torch.testing.assert_close(log_sigma.grad, log_sigma.detach().exp() * eps)  # dz/dlog_sigma = sigma*eps


def test_reconstruction_is_bce_summed_over_pixels_per_example():
    x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    logits = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    p = torch.sigmoid(logits)
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).flatten(1).sum(1)
    torch.testing.assert_close(reconstruction_per_example(logits, x), expected, rtol=1e-5, atol=1e-5)
