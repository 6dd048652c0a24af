"""How recognisable decoded images are, judged by a small classifier trained on real data.

A softmax (multinomial logistic) regression on the digits' 64 pixels, fitted on the training split
(about 96% test accuracy): a decoded image counts as recognisable when the classifier gives one
digit probability >= 0.9. Real test digits score about 0.7 on that measure, the ceiling to
compare samples against. Written in torch, so the app never imports scikit-learn.
"""

from functools import lru_cache

import numpy as np
import torch

from .data import load_dataset

CONFIDENT = 0.9
JUDGED_DATASETS = ("digits",)


@lru_cache(maxsize=1)
def digit_classifier() -> torch.nn.Linear:
    train = load_dataset("digits", "train")
    x, y = train.images.flatten(1).double(), torch.as_tensor(train.labels)
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 10).double()
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


def probabilities(images: np.ndarray) -> np.ndarray:
    """(N, 10) class probabilities for digit images (N, 1, 8, 8) in [0, 1]."""
    x = torch.as_tensor(np.asarray(images), dtype=torch.float64).reshape(len(images), -1)
    model = digit_classifier()  # fitted outside inference mode, which would forbid gradients
    with torch.inference_mode():
        return torch.softmax(model(x), dim=1).numpy()


def recognisable(images: np.ndarray) -> dict:
    """The share of images with a confident prediction, and how many different digits those
    confident predictions cover (a collapsed model repeats one)."""
    probs = probabilities(images)
    confident = probs.max(axis=1) >= CONFIDENT
    return {
        "confident_share": float(confident.mean()),
        "digits_covered": int(len(set(probs.argmax(axis=1)[confident]))),
        "count": int(len(images)),
    }
