"""Train live: a small AE and VAE on digits, trained in the page, then explored like a shipped pair.

One training runs at a time per server; the others wait in a visible queue. The models live in the
session that trained them (no other session sees them) and nothing is written to disk.
"""

import threading
import time
import uuid
from contextlib import contextmanager

import streamlit as st

import vae
from vae import plots

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


@st.cache_resource(show_spinner=False)
def training_queue() -> TrainingQueue:
    return TrainingQueue()


def trained_label(trained: dict) -> str:
    card = trained["vae"].card
    return f"yours: {card.dataset}, D={card.latent_dim}, beta {card.beta:g}"


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

    def config(kind: str, count: int) -> vae.TrainConfig:
        return vae.TrainConfig(dataset=dataset, kind=kind, latent_dim=latent_dim, beta=beta, epochs=count,
                               train_size=train_size, name=f"yours-{tag}-{dataset}-{kind}-z{latent_dim}")

    def ae_epoch(epoch: int, stats: dict) -> bool:
        nonlocal planned
        ae_clock.tick(epoch, stats)
        planned = min(epochs, epochs_that_fit(budget, ae_clock.setup, ae_clock.epoch_seconds))
        on_epoch("ae", epoch, planned, stats)
        return epoch + 1 >= planned

    ae = vae.train(config("ae", epochs), progress=False, on_epoch=ae_epoch)
    ae.card.metrics = vae.evaluate(ae)
    count = ae.card.training["epochs_run"]
    vae_clock = Clock()

    def vae_epoch(epoch: int, stats: dict) -> bool:
        vae_clock.tick(epoch, stats)
        on_epoch("vae", epoch, count, stats)
        elapsed = time.perf_counter() - ae_clock.start
        return elapsed + vae_clock.epoch_seconds + budget * RESERVE / 2 > budget  # no room for one more epoch

    vm = vae.train(config("vae", count), progress=False, on_epoch=vae_epoch)
    vm.card.metrics = vae.evaluate(vm)
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


def training_ui(view) -> None:
    st.markdown(
        "Train your own pair on MNIST or the 8×8 digits: an AE and a VAE with the same recipe, the two changes of "
        f"the lesson apart. Both train on the same seeded sample of at most {TRAIN_SIZE:,} training images (MNIST "
        f"has 60,000) for the same number of epochs, and the pair within {BUDGET_SECONDS} s: if the epochs asked "
        "for would not fit, both run as many as fit, judged from the AE's epochs. One training at a time on this "
        "server; others wait their turn. The pair stays in your session only.")
    running = st.container()  # above the form, where the eye is when Train is clicked (below, it is off screen)
    with st.form("train_form"):
        c0, c1, c2, c3 = st.columns(4)
        here = view.vm.card.dataset
        dataset = c0.selectbox("Data", TRAIN_DATASETS, TRAIN_DATASETS.index(here) if here in TRAIN_DATASETS else 0,
                               key="train_data")
        latent_dim = c1.select_slider("Latent size D", LATENT_SIZES, 2, key="train_dim")
        beta = c2.select_slider("beta (VAE)", BETAS, 1.0, key="train_beta")
        epochs = c3.slider("Epochs (each model)", 5, 300, 60, key="train_epochs")
        submitted = st.form_submit_button("Train the pair", icon=":material/model_training:")
    with running:
        if submitted:
            run_training(dataset, latent_dim, beta, epochs)
        elif "trained" in st.session_state:  # what it did, where it was watched
            st.success(f"Your pair is in the sidebar: Model pair → '{trained_label(st.session_state.trained)}'.")
            done = st.session_state.training_done
            st.markdown(summary(done["report"]))
            st.plotly_chart(plots.training_figure(done["history"]), key="train_chart_done",
                            config={"displayModeBar": False})


def run_training(dataset: str, latent_dim: int, beta: float, epochs: int) -> None:
    status = st.empty()
    progress = st.progress(0.0)
    chart = st.empty()
    history = {"epoch": [], "AE reconstruction": [], "VAE reconstruction": [], "VAE KL": []}

    def on_wait(ahead: int) -> None:
        status.info(f"Waiting: {ahead} training{'s' if ahead > 1 else ''} ahead of yours on this server.",
                    icon=":material/hourglass_top:")

    def on_epoch(kind: str, epoch: int, planned: int, stats: dict) -> None:
        done = (epoch + 1) / planned / 2 + (0.5 if kind == "vae" else 0.0)
        progress.progress(min(done, 1.0), text=f"{kind.upper()}: epoch {epoch + 1} of {planned}")
        if kind == "ae":
            history["epoch"].append(epoch + 1)
            history["AE reconstruction"].append(stats["reconstruction"])
            history["VAE reconstruction"].append(None)
            history["VAE KL"].append(None)
        else:  # the VAE runs the AE's epochs, so its points land on the AE's
            history["VAE reconstruction"][epoch] = stats["reconstruction"]
            history["VAE KL"][epoch] = stats["kl"]
        chart.plotly_chart(plots.training_figure(history), key=f"train_chart_{kind}_{epoch}",
                           config={"displayModeBar": False})

    with training_queue().turn(on_wait):
        status.info("Training…", icon=":material/model_training:")
        pair, report = train_pair(dataset, latent_dim, beta, epochs, BUDGET_SECONDS, on_epoch)
    st.session_state.trained = pair
    st.session_state.training_done = {"report": report, "history": history}  # said and drawn on every later run
    st.session_state.show_trained = True  # the sidebar switches to it on the rerun below
    st.rerun()  # the whole page now explores the new pair
