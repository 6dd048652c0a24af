"""Numbers behind the seed's side note: why the network outputs log sigma rather than sigma.

For one latent dimension with mu = 0, the KL term is 1/2 (sigma^2 - 2 log sigma - 1). What the
optimiser sees is its gradient with respect to what the network outputs:

- output sigma:      dKL/dsigma     = sigma - 1/sigma, which goes to -inf as sigma -> 0; and a linear
                     output can reach 0 or go negative, where log sigma is -inf or NaN.
- output log sigma:  dKL/dlog_sigma = sigma^2 - 1, which tends to -1 as sigma -> 0 and never goes
                     below -1, and every real output is a valid sigma = e^output. Above sigma = 1 it
                     grows like sigma^2, faster than sigma - 1/sigma: the gain is at small sigma.

Both are computed here by autograd in float32, as a network would, not written down by hand.
"""

import numpy as np
import torch

from .objective import kl_per_dim

# network outputs: what a linear layer might give, from large to negative
OUTPUTS = (3.0, 1.0, 0.1, 1e-4, 1e-8, 0.0, -0.1, -1.0, -10.0, -50.0)
MEANINGS = ("sigma", "log_sigma")  # what the network's output stands for


def kl_and_gradient(outputs: np.ndarray, output_is: str) -> tuple[np.ndarray, np.ndarray]:
    """KL (mu = 0) and dKL/d(output) for network outputs that mean sigma or log sigma (float32)."""
    o = torch.tensor(np.asarray(outputs, dtype=np.float32), requires_grad=True)
    kl = kl_per_dim(torch.zeros_like(o), torch.log(o) if output_is == "sigma" else o)
    kl.sum().backward()
    return kl.detach().numpy().astype(np.float64), o.grad.numpy().astype(np.float64)


def side_note_table(outputs=OUTPUTS) -> dict[str, dict[str, np.ndarray]]:
    """Per meaning of the output ("sigma", "log_sigma"), one column per quantity over the same outputs:
    output, sigma, log sigma, KL (nats) and dKL/d output, all in float32 as a network has them."""
    o = torch.tensor(np.asarray(outputs, dtype=np.float32))
    table = {}
    for meaning in MEANINGS:
        sigma, log_sigma = (o, torch.log(o)) if meaning == "sigma" else (torch.exp(o), o)
        kl, gradient = kl_and_gradient(o.numpy(), meaning)
        table[meaning] = {"output": o.numpy().astype(np.float64), "sigma": sigma.numpy().astype(np.float64),
                          "log sigma": log_sigma.numpy().astype(np.float64), "KL": kl, "gradient": gradient}
    return table


def gradients_at(sigma) -> dict[str, np.ndarray]:
    """dKL/d output at these sigma, for each meaning of the output (the output set to give that sigma)."""
    sigma = np.asarray(sigma, dtype=np.float64)
    return {"sigma": kl_and_gradient(sigma, "sigma")[1], "log_sigma": kl_and_gradient(np.log(sigma), "log_sigma")[1]}


def gradient_curves(lo: float = -12, hi: float = 1, n: int = 200):
    """sigma on a log grid from 10^lo to 10^hi, and dKL/d output there for a sigma output and for a
    log sigma output (signed)."""
    sigma = np.logspace(lo, hi, n)
    gradients = gradients_at(sigma)
    return sigma, gradients["sigma"], gradients["log_sigma"]
