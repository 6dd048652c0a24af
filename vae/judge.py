"""How recognisable decoded images are, judged by a small classifier trained on real data.

A logistic regression on the digits' 64 pixels (about 97% test accuracy): a decoded image counts
as recognisable when the classifier gives one digit probability >= 0.9. Real test digits score
about 0.7 on that measure, which is the ceiling to compare samples against.
"""

from functools import lru_cache

import numpy as np

from .data import load_dataset

CONFIDENT = 0.9
JUDGED_DATASETS = ("digits",)


@lru_cache(maxsize=1)
def digit_classifier():
    from sklearn.linear_model import LogisticRegression

    train = load_dataset("digits", "train")
    return LogisticRegression(max_iter=2000).fit(train.images.flatten(1).numpy(), train.labels)


def recognisable(images: np.ndarray) -> dict:
    """For digit images (N, 1, 8, 8) in [0, 1]: the share with a confident prediction, and how many
    different digits those confident predictions cover (a collapsed model repeats one)."""
    probs = digit_classifier().predict_proba(np.asarray(images).reshape(len(images), -1))
    confident = probs.max(axis=1) >= CONFIDENT
    return {
        "confident_share": float(confident.mean()),
        "digits_covered": int(len(set(probs.argmax(axis=1)[confident]))),
        "count": int(len(images)),
    }
