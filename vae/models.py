"""The seed's two networks, sharing everything but the layer between y and z.

    AE:  x -> trunk -> y --f-->          z -> decoder -> x_hat
    VAE: x -> trunk -> y --g,h--> (mu, log_sigma) -> z = mu + sigma * eps -> decoder -> x_hat

The VAE is the AE with head f replaced by heads g (mu) and h (log_sigma), plus a KL term in the
loss (objective.py). h outputs log sigma rather than sigma so that both sigma = exp(h) and
log sigma = h stay finite as sigma approaches 0 (the seed's side note).
"""

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import torch
from torch import nn

from .latent import reparameterize

KINDS = ("ae", "vae")


@dataclass
class ModelCard:
    """Everything needed to rebuild a model, and what it was measured to do. Travels with its weights."""

    name: str
    kind: str  # "ae" | "vae"
    dataset: str  # "digits" | "sprites" | "idx"
    image_shape: tuple[int, int, int]  # (C, H, W)
    latent_dim: int
    beta: float = 1.0
    architecture: dict = field(default_factory=dict)  # {"type": "mlp", "hidden": [...]} or conv
    training: dict = field(default_factory=dict)  # epochs, seed, batch_size, lr, init_from, versions
    metrics: dict = field(default_factory=dict)  # test-split figures from train.evaluate

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelCard":
        """Raises ValueError with a readable reason for anything missing or out of range."""
        if not isinstance(d, dict):
            raise ValueError("the card is not a JSON object")
        missing = [k for k in ("name", "kind", "dataset", "image_shape", "latent_dim") if k not in d]
        if missing:
            raise ValueError(f"the card lacks {', '.join(missing)}")
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"the card has unknown fields {sorted(unknown)}")
        card = cls(**{**d, "image_shape": tuple(d["image_shape"])})
        for name in ("architecture", "training", "metrics"):
            if not isinstance(getattr(card, name), dict):
                raise ValueError(f"{name} must be a JSON object")
        if not isinstance(card.beta, (int, float)) or not card.beta >= 0:
            raise ValueError(f"beta must be a number >= 0, not {card.beta!r}")
        if card.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {card.kind!r}")
        if not (len(card.image_shape) == 3 and all(isinstance(n, int) and n > 0 for n in card.image_shape)):
            raise ValueError(f"image_shape must be three positive integers, not {card.image_shape!r}")
        if not (isinstance(card.latent_dim, int) and 1 <= card.latent_dim <= 512):
            raise ValueError(f"latent_dim must be an integer in 1..512, not {card.latent_dim!r}")
        if card.architecture.get("type") not in ("mlp", "conv"):
            raise ValueError(f"architecture type must be 'mlp' or 'conv', not {card.architecture.get('type')!r}")
        return card


class Encoding(NamedTuple):
    mu: torch.Tensor  # (N, D); for an AE this is z itself
    log_sigma: torch.Tensor | None  # (N, D); None for an AE


class Output(NamedTuple):
    x_logits: torch.Tensor  # (N, C, H, W), before the sigmoid
    encoding: Encoding
    z: torch.Tensor  # (N, D)


# ---- the shared pieces: trunk (x -> y) and decoder (z -> x_hat) -------------------------------


def mlp_trunk(image_shape, hidden: list[int]) -> nn.Sequential:
    c, h, w = image_shape
    layers, width = [nn.Flatten()], c * h * w
    for n in hidden:
        layers += [nn.Linear(width, n), nn.ReLU()]
        width = n
    return nn.Sequential(*layers)  # (N, hidden[-1])


def mlp_decoder(image_shape, hidden: list[int], latent_dim: int) -> nn.Sequential:
    c, h, w = image_shape
    layers, width = [], latent_dim
    for n in reversed(hidden):
        layers += [nn.Linear(width, n), nn.ReLU()]
        width = n
    layers += [nn.Linear(width, c * h * w), nn.Unflatten(1, (c, h, w))]
    return nn.Sequential(*layers)  # (N, C, H, W) logits


def conv_trunk(image_shape, channels: list[int], hidden: int) -> nn.Sequential:
    c, h, w = image_shape
    layers, width = [], c
    for n in channels:  # each stride-2 conv halves H and W
        layers += [nn.Conv2d(width, n, 4, stride=2, padding=1), nn.ReLU()]
        width = n
    s = 2 ** len(channels)
    layers += [nn.Flatten(), nn.Linear(width * (h // s) * (w // s), hidden), nn.ReLU()]
    return nn.Sequential(*layers)  # (N, hidden)


def conv_decoder(image_shape, channels: list[int], hidden: int, latent_dim: int) -> nn.Sequential:
    c, h, w = image_shape
    s = 2 ** len(channels)
    layers = [
        nn.Linear(latent_dim, hidden), nn.ReLU(),
        nn.Linear(hidden, channels[-1] * (h // s) * (w // s)), nn.ReLU(),
        nn.Unflatten(1, (channels[-1], h // s, w // s)),
    ]
    widths = list(reversed(channels)) + [c]
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)  # (N, C, H, W) logits


def build_trunk_and_decoder(card: ModelCard) -> tuple[nn.Module, nn.Module, int]:
    """Returns (trunk, decoder, width of y)."""
    arch, shape, d = card.architecture, card.image_shape, card.latent_dim
    if arch["type"] == "mlp":
        return mlp_trunk(shape, arch["hidden"]), mlp_decoder(shape, arch["hidden"], d), arch["hidden"][-1]
    return (
        conv_trunk(shape, arch["channels"], arch["hidden"]),
        conv_decoder(shape, arch["channels"], arch["hidden"], d),
        arch["hidden"],
    )


class LatentModel(nn.Module):
    """What the AE and the VAE share: trunk, decoder, and the card that describes them."""

    def __init__(self, card: ModelCard):
        super().__init__()
        self.card = card
        self.trunk, self.decoder, self.y_dim = build_trunk_and_decoder(card)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (N, C, H, W)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(z))  # (N, C, H, W) in [0, 1]


class Autoencoder(LatentModel):
    """z = f(y): one point per input, the same every time."""

    def __init__(self, card: ModelCard):
        super().__init__(card)
        self.f = nn.Linear(self.y_dim, card.latent_dim)

    def encode(self, x: torch.Tensor) -> Encoding:
        return Encoding(mu=self.f(self.trunk(x)), log_sigma=None)

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None, generator=None) -> Output:
        enc = self.encode(x)
        return Output(self.decode_logits(enc.mu), enc, enc.mu)


class VariationalAutoencoder(LatentModel):
    """mu = g(y), log_sigma = h(y), z = mu + sigma * eps: a new z every time unless eps is fixed."""

    def __init__(self, card: ModelCard):
        super().__init__(card)
        self.g = nn.Linear(self.y_dim, card.latent_dim)
        self.h = nn.Linear(self.y_dim, card.latent_dim)

    def encode(self, x: torch.Tensor) -> Encoding:
        y = self.trunk(x)
        return Encoding(mu=self.g(y), log_sigma=self.h(y))

    def forward(self, x: torch.Tensor, eps: torch.Tensor | None = None, generator=None) -> Output:
        enc = self.encode(x)
        if eps is None:
            eps = torch.randn(enc.mu.shape, generator=generator, dtype=enc.mu.dtype)
        z = reparameterize(enc.mu, enc.log_sigma, eps)
        return Output(self.decode_logits(z), enc, z)


def build_model(card: ModelCard) -> LatentModel:
    return {"ae": Autoencoder, "vae": VariationalAutoencoder}[card.kind](card)


def convert_ae_to_vae(ae: Autoencoder, init_log_sigma: float = -3.0, name: str | None = None):
    """The seed's remark made concrete: a trained AE turned into a VAE *without* retraining.

    Trunk and decoder are copied, g starts as f (so mu is the AE's z), and h is the constant
    init_log_sigma. It encodes like the AE, but nothing has taught it the prior: its KL is large
    and its decoder has never seen noisy z. It must be retrained (train.py's init_from).
    """
    card = ModelCard(**{
        **ae.card.to_dict(),
        "name": name or ae.card.name.replace("-ae-", "-vae-") + "-converted",
        "kind": "vae",
        "beta": 1.0,
        "training": {"converted_from": ae.card.name, "init_log_sigma": init_log_sigma},
        "metrics": {},
    })
    vae = VariationalAutoencoder(card)
    vae.trunk.load_state_dict(ae.trunk.state_dict())
    vae.decoder.load_state_dict(ae.decoder.state_dict())
    vae.g.load_state_dict(ae.f.state_dict())
    with torch.no_grad():
        vae.h.weight.zero_()
        vae.h.bias.fill_(init_log_sigma)
    return vae.train(ae.training)
