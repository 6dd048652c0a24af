"""The input and the code the page shows: what both encoders make of the input, and the sliders' code."""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from page.state import Input
from vae import explore


@dataclass(frozen=True)
class Encoded:
    """The input and what both encoders make of it: computed once per input, not per slider move."""

    x: np.ndarray  # (C, H, W) in [0, 1]
    caption: str
    input: Input  # a test image, an upload or a drawing (page/state.py)
    ae: object
    vm: object
    ae_z: np.ndarray  # (D,) the AE's z = f(y)
    mu0: np.ndarray  # (D,) the VAE encoder's mu and sigma for x
    sigma0: np.ndarray


@dataclass(frozen=True)
class View(Encoded):
    """The input and both models' codes for it, as the sliders have set them."""

    mu: np.ndarray  # (D,) as the sliders have them
    sigma: np.ndarray
    seed: int  # of eps
    eps: np.ndarray  # (D,)
    z: np.ndarray  # (D,) mu + sigma * eps

    @property
    def dim(self) -> int:
        return len(self.mu)

    @cached_property
    def kl(self) -> np.ndarray:
        """KL per dimension in nats, from the sliders' mu and sigma."""
        return explore.kl_nats(self.mu, self.sigma)

    @cached_property
    def reconstruction_ae(self) -> float:
        """The AE's BCE on this input, summed over pixels, nats."""
        return explore.reconstruction_nats(self.ae, self.x, self.ae_z)

    @cached_property
    def reconstruction_vae(self) -> float:
        """The VAE's BCE on this input decoding the current z, summed over pixels, nats."""
        return explore.reconstruction_nats(self.vm, self.x, self.z)

    def sample_eps(self, k: int) -> np.ndarray:
        """k draws of eps, (k, D), fixed per seed: z_k = mu + sigma * eps_k around the current mu and sigma."""
        return explore.eps_for(self.seed + 10_000, self.dim, k)
