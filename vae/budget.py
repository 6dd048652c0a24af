"""Train your own's budget: an AE and a VAE trained alike on a sample, both within a wall-clock budget,
one training per server at a time (a queue), and what ran, said in a sentence."""

import threading
import time
import uuid
from contextlib import contextmanager

from .config import TrainConfig
from .evaluate import evaluate
from .train import train

BUDGET_SECONDS = 60  # wall-clock seconds for the pair, both models' training and evaluation
TRAIN_SIZE = 10_000  # images per training: a seeded sample of MNIST's 60,000 (all 1,437 of the 8x8 digits)
LATENT_SIZES = (2, 3, 4, 6, 8, 12, 16)
TRAIN_DATASETS = ("mnist", "digits")  # an epoch of 10,000 MNIST digits takes 1-2 s here: the budget buys 12-20 of each
DATASET_NAMES = {"mnist": "MNIST", "digits": "the 8×8 digits"}
BETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
VAE_EPOCH_COST = 1.25  # a VAE epoch against an AE epoch: 1.0-1.1 measured here, with room for a busier server
RESERVE = 0.05  # of the budget, kept for evaluating both models on the test split


class TrainingQueue:
    """First come, first served: turn() blocks until every earlier caller has finished."""

    def __init__(self):
        self._changed = threading.Condition()
        self._line: list[object] = []  # tickets; the first one is training

    def __len__(self) -> int:
        with self._changed:
            return len(self._line)

    @contextmanager
    def turn(self, on_wait=lambda ahead: None, poll: float = 0.25):
        """on_wait(ahead) is called, outside the lock, while others are ahead."""
        ticket = object()
        with self._changed:
            self._line.append(ticket)
        try:
            while True:
                with self._changed:
                    ahead = self._line.index(ticket)
                    if ahead == 0:
                        break
                on_wait(ahead)
                with self._changed:
                    self._changed.wait(poll)
            yield
        finally:
            with self._changed:
                self._line.remove(ticket)
                self._changed.notify_all()


def epochs_that_fit(budget: float, setup: float, epoch_seconds: float) -> int:
    """How many epochs of each model fit in budget seconds, given one model's setup (loading and
    sampling the data, building it) and an AE epoch's seconds: two setups, the AE's epochs and the
    VAE's as many (each VAE_EPOCH_COST as long), and RESERVE for the evaluations. At least one."""
    return max(1, int((budget * (1 - RESERVE) - 2 * setup) / (epoch_seconds * (1 + VAE_EPOCH_COST))))


class Clock:
    """One model's training, timed from before it loads its data: its setup (loading and sampling
    the data, building the model) and its mean epoch since, the page's redraws included (seconds)."""

    def __init__(self):
        self.start = time.perf_counter()
        self.setup = self.epoch_seconds = None

    def tick(self, epoch: int, stats: dict) -> None:
        elapsed = time.perf_counter() - self.start
        if self.setup is None:
            self.setup = elapsed - stats["seconds"]
        self.epoch_seconds = (elapsed - self.setup) / (epoch + 1)


def train_pair(dataset: str, latent_dim: int, beta: float, epochs: int, budget: float, on_epoch,
               train_size: int = TRAIN_SIZE) -> tuple[dict, dict]:
    """An AE and a VAE trained alike: the same seeded sample of train_size training images, the same
    number of epochs. That is `epochs`, or fewer if the AE's epochs so far (the first, then each
    one after it) say that both would not fit in budget seconds; the VAE then runs as many as the AE
    did, stopping early only if the server slows down so much that its next epoch would pass the
    budget. on_epoch(kind, epoch, planned, stats) as they go. Returns the pair ({"ae": model,
    "vae": model}) and a report of what ran, for summary()."""
    tag = uuid.uuid4().hex[:6]
    ae_clock = Clock()
    planned = epochs

    def config(kind: str, count: int) -> TrainConfig:
        return TrainConfig(dataset=dataset, kind=kind, latent_dim=latent_dim, beta=beta, epochs=count,
                               train_size=train_size, name=f"session-{tag}-{dataset}-{kind}-z{latent_dim}")

    def ae_epoch(epoch: int, stats: dict) -> bool:
        nonlocal planned
        ae_clock.tick(epoch, stats)
        planned = min(epochs, epochs_that_fit(budget, ae_clock.setup, ae_clock.epoch_seconds))
        on_epoch("ae", epoch, planned, stats)
        return epoch + 1 >= planned

    ae = train(config("ae", epochs), progress=False, on_epoch=ae_epoch)
    ae.card.metrics = evaluate(ae)
    count = ae.card.training["epochs_run"]
    vae_clock = Clock()

    def vae_epoch(epoch: int, stats: dict) -> bool:
        vae_clock.tick(epoch, stats)
        on_epoch("vae", epoch, count, stats)
        elapsed = time.perf_counter() - ae_clock.start
        return elapsed + vae_clock.epoch_seconds + budget * RESERVE / 2 > budget  # no room for one more epoch

    vm = train(config("vae", count), progress=False, on_epoch=vae_epoch)
    vm.card.metrics = evaluate(vm)
    pair = {"ae": ae.requires_grad_(False), "vae": vm.requires_grad_(False)}
    report = {"dataset": dataset, "asked": epochs, "budget": budget, "seconds": time.perf_counter() - ae_clock.start,
              "epochs": {kind: m.card.training["epochs_run"] for kind, m in pair.items()},
              "epoch_seconds": ae_clock.epoch_seconds, "train_examples": ae.card.training["train_examples"],
              "split_examples": ae.card.training["train_split_examples"]}
    return pair, report


def summary(report: dict) -> str:
    """What a training did, for the page: the data, each model's epochs and why it stopped there."""
    asked, ae, vm = report["asked"], report["epochs"]["ae"], report["epochs"]["vae"]
    used, split, name = report["train_examples"], report["split_examples"], DATASET_NAMES[report["dataset"]]
    data = (f"all {split:,} training images of {name}" if used == split else
            f"{used:,} of the {split:,} training images of {name} (a seeded sample, the same for both models)")
    if ae == asked:
        why_ae = f"The AE ran the {asked} epochs asked for"
    else:
        why_ae = (f"The AE ran {ae} of the {asked} epochs asked for, stopped by the budget: at "
                  f"{report['epoch_seconds']:.1f} s an epoch (measured), {ae} epochs of each model fit in "
                  f"{report['budget']:.0f} s")
    if vm == ae:
        why_vae = f"the VAE as many, {vm}."
    else:
        why_vae = (f"the VAE only {vm}, stopped by the budget because the server slowed down: "
                   "this pair is not trained alike.")
    return (f"Trained on {data}. {why_ae}; {why_vae} The pair took "
            f"{report['seconds']:.1f} s of its {report['budget']:.0f} s budget.")
