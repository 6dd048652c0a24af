"""Numbers behind the seed's side note: why the network outputs log sigma rather than sigma.

For one latent dimension with mu = 0, the KL term is 1/2 (sigma^2 - 2 log sigma - 1). What the
optimiser sees is its gradient with respect to what the network outputs:

- output sigma:      dKL/dsigma     = sigma - 1/sigma, which blows up as sigma -> 0; and a linear
                     output can reach 0 or go negative, where log sigma is -inf or NaN.
- output log sigma:  dKL/dlog_sigma = sigma^2 - 1, which stays in (-1, 0] below sigma = 1, and
                     every real output is a valid sigma.

Both are computed here by autograd in float32, as a network would, not written down by hand.
"""

import numpy as np
import torch

from .objective import kl_per_dim

SIGMAS = (1.0, 0.1, 1e-2, 1e-4, 1e-8, 1e-20, 1e-50, 0.0, -0.1)  # 1e-50 underflows to 0 in float32


def kl_and_gradient(outputs: np.ndarray, output_is: str) -> tuple[np.ndarray, np.ndarray]:
    """KL (mu = 0) and dKL/d(output) for network outputs that mean sigma or log sigma (float32)."""
    o = torch.tensor(np.asarray(outputs, dtype=np.float32), requires_grad=True)
    log_sigma = torch.log(o) if output_is == "sigma" else o
    kl = kl_per_dim(torch.zeros_like(o), log_sigma)
    kl.sum().backward()
    return kl.detach().numpy().astype(np.float64), o.grad.numpy().astype(np.float64)


def side_note_table(sigmas=SIGMAS) -> list[dict]:
    """One row per sigma the network might mean: what each parametrisation gives there."""
    rows = []
    for s in sigmas:
        kl_s, grad_s = kl_and_gradient(np.array([s]), "sigma")
        row = {"sigma": s, "KL, sigma output": kl_s[0], "gradient, sigma output": grad_s[0]}
        if s > 0:
            kl_l, grad_l = kl_and_gradient(np.array([np.log(s)]), "log_sigma")
            row |= {"log sigma output": float(np.log(s)), "KL, log sigma output": kl_l[0],
                    "gradient, log sigma output": grad_l[0]}
        else:
            row |= {"log sigma output": float("nan"), "KL, log sigma output": float("nan"),
                    "gradient, log sigma output": float("nan")}
        rows.append(row)
    return rows


def gradient_curves(lo: float = -12, hi: float = 1, n: int = 200):
    """sigma on a log grid, and |dKL/d output| for a sigma output and for a log sigma output."""
    sigma = np.logspace(lo, hi, n)
    _, grad_sigma = kl_and_gradient(sigma, "sigma")
    _, grad_log = kl_and_gradient(np.log(sigma), "log_sigma")
    return sigma, np.abs(grad_sigma), np.abs(grad_log)
