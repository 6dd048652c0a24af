"""What a model is trained from: its dataset, kind, latent size, beta, budget and seed, and the
architecture each dataset gets. The card of every model records the config it was trained with, so a
page can name models without importing the training loop."""

from dataclasses import dataclass

ARCHITECTURES = {
    "mnist": {"type": "mlp", "hidden": [384, 192]},  # the browser decodes these Linear+ReLU layers in JavaScript
    "digits": {"type": "mlp", "hidden": [256, 128]},
    "idx": {"type": "mlp", "hidden": [512, 256]},
    "sprites": {"type": "conv", "channels": [32, 32, 64], "hidden": 256},
}


@dataclass
class TrainConfig:
    dataset: str = "digits"
    kind: str = "vae"
    latent_dim: int = 8
    beta: float = 1.0
    epochs: int = 200
    seed: int = 0
    batch_size: int = 64
    lr: float = 1e-3
    init_from: str | None = None  # a trained AE (shipped name or .safetensors path) to convert
    data_root: str | None = None  # the folder of IDX files, for dataset "idx"
    name: str | None = None
    train_size: int | None = None  # train on a seeded sample of this many training images; None: all of them

    @property
    def model_name(self) -> str:
        if self.name:
            return self.name
        name = f"{self.dataset}-{self.kind}-z{self.latent_dim}"
        if self.kind == "vae" and self.beta != 1:
            name += f"-b{self.beta:g}"
        return name + ("-from-ae" if self.init_from else "")

