"""How recognisable decoded images are, judged by a small classifier trained on real digits.

One judge per digit dataset, trained on its training split only:
- digits (8x8): a softmax (multinomial logistic) regression on the 64 pixels, fitted the first time
  it is asked for (float64, full-batch L-BFGS: under a second, the same numbers everywhere), about
  96% test accuracy;
- mnist (28x28): an MLP 784-256-10, Adam, trained on the first 55,000 training digits and kept at the
  epoch whose loss on the last 5,000 is lowest (early stopping): about 98% test accuracy. Trained
  longer, it fits its training digits ever more confidently and reads ever more blurs as digits (see
  below), so the epoch is chosen by held-out digits, not by the figures it gives. Training takes
  longer than a page should wait, so `python -m vae rebuild` trains it and ships it as
  pretrained/judge-mnist.safetensors, its sha256 in the manifest.

A decoded image counts as recognisable when the judge gives one digit probability >= 0.9. Other
datasets (sprites, a user's IDX files of unknown content) have no judge. Written in torch, so the
app never imports scikit-learn.

How much a judge reads depends on the judge; the comparison AE against VAE under one judge is what
carries the lesson. Measured on 1,000 prior samples of mnist-vae-z8 and mnist-ae-z8 (30 epochs on
the 60,000): this judge (its held-out loss lowest at epoch 11) reads about 68% and 4% confidently;
the same MLP trained on for 30 epochs, 81% and 21%; for 50 epochs, 85% and 30% (its held-out loss
up by half); a small CNN (two 5x5 convolutions, 5 epochs, 99.1%), 69% and 1%. Figures for every
model: pretrained/RESULTS.md.
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .checkpoints import MANIFEST, pretrained_dir, read_manifest, sha256_of
from .data import load_dataset
from .errors import CheckpointError
from .latent import prior_samples

CONFIDENT = 0.9
JUDGED_DATASETS = ("mnist", "digits")
SHIPPED_JUDGES = ("mnist",)  # the others are fitted on first use
CLASSES = 10
PRIOR_DRAWS = 1000  # z ~ N(0, I) decoded per model for its figures: a share within about 1.5 points
MNIST_JUDGE = {"hidden": 256, "max_epochs": 50, "held_out": 5000, "batch_size": 128, "lr": 1e-3, "seed": 0}


def digit_classifier(dataset: str = "digits", directory: str | Path | None = None) -> torch.nn.Module:
    """The dataset's judge, in eval mode; a shipped one from directory (default: the shipped models').
    Raises CheckpointError if a shipped judge is missing or damaged."""
    if dataset not in JUDGED_DATASETS:
        raise ValueError(f"no judge for {dataset!r}; judged: {', '.join(JUDGED_DATASETS)}")
    if dataset in SHIPPED_JUDGES:
        return load_judge(dataset, str(directory or pretrained_dir()))
    return _softmax_regression(dataset)


@lru_cache(maxsize=1)
def _softmax_regression(dataset: str) -> torch.nn.Linear:
    train = load_dataset(dataset, "train")
    x, y = train.images.flatten(1).double(), torch.as_tensor(train.labels)
    torch.manual_seed(0)
    model = torch.nn.Linear(x.shape[1], CLASSES).double()
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=500, line_search_fn="strong_wolfe")

    def loss():
        optimizer.zero_grad()
        penalty = 0.5 / len(x) * model.weight.square().sum()  # scikit-learn's default L2 (C = 1), per example
        value = torch.nn.functional.cross_entropy(model(x), y) + penalty
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    return model.requires_grad_(False)


# ---- the shipped MNIST judge --------------------------------------------------------------------


def mlp_judge(pixels: int, hidden: int) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(pixels, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, CLASSES))  # (N, 10) logits


def train_judge(dataset: str = "mnist") -> tuple[torch.nn.Sequential, dict]:
    """The MLP judge from scratch: seeded initialisation and batch order, cross-entropy, Adam, on the
    training split less its last MNIST_JUDGE["held_out"] digits; kept at the epoch whose loss on those is
    lowest. Returns the judge and how it was chosen {"epoch", "held_out_loss", "held_out_accuracy"}."""
    s = MNIST_JUDGE
    train = load_dataset(dataset, "train")
    x, y = train.images, torch.as_tensor(train.labels)
    fit, held = slice(0, len(x) - s["held_out"]), slice(len(x) - s["held_out"], len(x))
    torch.manual_seed(s["seed"])
    model = mlp_judge(x[0].numel(), s["hidden"])
    optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
    order = torch.Generator().manual_seed(s["seed"])
    best = {"held_out_loss": float("inf")}
    for epoch in range(1, s["max_epochs"] + 1):
        with torch.enable_grad():
            for idx in torch.randperm(fit.stop, generator=order).split(s["batch_size"]):
                loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        with torch.inference_mode():
            logits = model(x[held])
            held_out_loss = torch.nn.functional.cross_entropy(logits, y[held]).item()
        if held_out_loss < best["held_out_loss"]:
            accuracy = (logits.argmax(dim=1) == y[held]).float().mean().item()
            best = {"epoch": epoch, "held_out_loss": held_out_loss, "held_out_accuracy": accuracy,
                    "state": {k: v.clone() for k, v in model.state_dict().items()}}
    model.load_state_dict(best.pop("state"))
    return model.eval().requires_grad_(False), best


def save_judge(model: torch.nn.Sequential, chosen: dict, dataset: str, out_dir: str | Path) -> dict:
    """Writes judge-{dataset}.safetensors; returns its manifest entry: its settings, the epoch chosen, its
    test figures."""
    path = Path(out_dir) / f"judge-{dataset}.safetensors"
    test = load_dataset(dataset, "test")
    with torch.inference_mode():
        probs = torch.softmax(model(test.images), dim=1).numpy()
    figures = {"test_accuracy": float((probs.argmax(axis=1) == test.labels).mean()),
               "test_confident_share": float((probs.max(axis=1) >= CONFIDENT).mean())}
    settings = {"dataset": dataset, "pixels": int(test.images[0].numel()), **MNIST_JUDGE, **chosen, **figures}
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"judge": json.dumps(settings)})
    return {"dataset": dataset, "file": path.name, "sha256": sha256_of(path), "settings": settings}


@lru_cache(maxsize=4)
def load_judge(dataset: str, directory: str) -> torch.nn.Sequential:
    """A shipped judge, its sha256 checked against the manifest first; safetensors only."""
    directory = Path(directory)
    entry = next((j for j in read_manifest(directory).get("judges", []) if j.get("dataset") == dataset), None)
    if entry is None:
        raise CheckpointError(directory / MANIFEST, f"no {dataset} judge; `python -m vae rebuild --only "
                                                    f"judge-{dataset}` trains it")
    path = directory / str(entry.get("file", ""))
    if path.resolve().parent != directory.resolve() or not path.is_file():
        raise CheckpointError(path, "the judge's file is missing")
    if sha256_of(path) != entry.get("sha256"):
        raise CheckpointError(path, "sha256 does not match the manifest's")
    try:
        model = mlp_judge(entry["settings"]["pixels"], entry["settings"]["hidden"])
        model.load_state_dict(load_file(str(path)))
    except (SafetensorError, OSError, RuntimeError, KeyError, TypeError) as e:
        raise CheckpointError(path, f"not a judge this code can read ({e})") from None
    return model.eval().requires_grad_(False)


# ---- what the page and the tests measure --------------------------------------------------------


def probabilities(images: np.ndarray, dataset: str = "digits", directory=None) -> np.ndarray:
    """(N, 10) class probabilities for images (N, 1, H, W) in [0, 1] of a judged dataset."""
    model = digit_classifier(dataset, directory)  # fitted outside inference mode, which would forbid gradients
    dtype = next(model.parameters()).dtype
    x = torch.as_tensor(np.asarray(images), dtype=dtype).reshape(len(images), -1)
    with torch.inference_mode():
        return torch.softmax(model(x), dim=1).numpy().astype(np.float64)


def recognisable(images: np.ndarray, dataset: str = "digits", directory=None) -> dict:
    """How many decoded images read as a digit, and how varied those digits are.

    - confident_share: the share of images the judge gives one digit probability >= 0.9;
    - digits_covered: how many different digits the confident ones are (a collapsed model repeats one);
    - label_entropy: the entropy of the confident images' digits in bits, divided by log2(10): 1 when
      every digit comes equally often, 0 when all are one digit (or none is confident);
    - recognisable_and_varied = confident_share * label_entropy, in [0, 1]: the lesson's claim that
      prior samples look like the data, all of it. High only when samples are both recognisable
      and varied; real test digits score about their confident share.
    """
    probs = probabilities(images, dataset, directory)
    confident = probs.max(axis=1) >= CONFIDENT
    labels = probs.argmax(axis=1)[confident]
    share = float(confident.mean()) if len(images) else 0.0
    entropy = label_entropy(labels)
    return {
        "confident_share": share,
        "digits_covered": int(len(set(labels.tolist()))),
        "label_entropy": entropy,
        "recognisable_and_varied": share * entropy,
        "count": int(len(images)),
    }


def label_entropy(labels: np.ndarray) -> float:
    """Entropy of the labels' frequencies over the 10 digits, in bits / log2(10), in [0, 1]."""
    if len(labels) == 0:
        return 0.0
    p = np.bincount(labels, minlength=CLASSES) / len(labels)
    p = p[p > 0]
    return float(max(0.0, -(p * np.log2(p)).sum() / np.log2(CLASSES)))


def read_as_label(images: np.ndarray, labels: np.ndarray, dataset: str, directory=None) -> float:
    """The share of images (reconstructions, say) whose most probable digit is their label."""
    return float((probabilities(images, dataset, directory).argmax(axis=1) == np.asarray(labels)).mean())


def judge_model(model, directory=None, draws: int = PRIOR_DRAWS, seed: int = 0) -> dict:
    """A digit model's figures: recognisable() of `draws` decoded z ~ N(0, I) (seed), and the share
    of its test-split reconstructions (decoded from mu, z for an AE) read as their label."""
    dataset = model.card.dataset
    test = load_dataset(dataset, "test")
    with torch.inference_mode():
        samples = model.decode(prior_samples(draws, model.card.latent_dim, seed)).numpy()
        reconstructions = model.decode(model.encode(test.images).mu).numpy()
    return {**recognisable(samples, dataset, directory),
            "reconstructions_read_as_label": read_as_label(reconstructions, test.labels, dataset, directory)}
