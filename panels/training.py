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

BUDGET_SECONDS = 60  # wall-clock seconds per pair, by default: the AE's epochs fit in half of it
LATENT_SIZES = (2, 3, 4, 6, 8, 12, 16)
TRAIN_DATASETS = ("mnist", "digits")  # an MNIST epoch takes ~1 s here, so the budget buys ~25 of each
BETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


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


def train_pair(dataset: str, latent_dim: int, beta: float, epochs: int, budget: float, on_epoch) -> dict:
    """An AE and a VAE trained alike on dataset; on_epoch(kind, epoch, stats) as they go. The AE
    trains until epochs or half the budget; the VAE then trains for as many epochs as the AE did
    (the rest of the budget is a hard stop, which only a very busy server reaches)."""
    tag = uuid.uuid4().hex[:6]
    pair = {}
    for kind, seconds in (("ae", budget / 2), ("vae", budget)):
        cfg = vae.TrainConfig(dataset=dataset, kind=kind, latent_dim=latent_dim, beta=beta, epochs=epochs,
                              name=f"yours-{tag}-{dataset}-{kind}-z{latent_dim}")
        model = vae.train(cfg, progress=False, max_seconds=seconds,
                          on_epoch=lambda epoch, stats, kind=kind: on_epoch(kind, epoch, stats))
        model.card.metrics = vae.evaluate(model)
        pair[kind] = model.requires_grad_(False)
        epochs = model.card.training["epochs_run"]
    return pair


def training_ui(view) -> None:
    st.markdown("Train your own pair on MNIST or the 8×8 digits: an AE and a VAE with the same recipe, the seed's two "
                f"changes apart. At most {BUDGET_SECONDS} s; one training at a time on this server, "
                "others wait their turn. The pair stays in your session only.")
    with st.form("train_form"):
        c0, c1, c2, c3 = st.columns(4)
        here = view.vm.card.dataset
        dataset = c0.selectbox("Data", TRAIN_DATASETS, TRAIN_DATASETS.index(here) if here in TRAIN_DATASETS else 0,
                               key="train_data")
        latent_dim = c1.select_slider("Latent size D", LATENT_SIZES, 2, key="train_dim")
        beta = c2.select_slider("beta (VAE)", BETAS, 1.0, key="train_beta")
        epochs = c3.slider("Epochs (each model)", 5, 300, 60, key="train_epochs")
        submitted = st.form_submit_button("Train the pair", icon=":material/model_training:")
    if submitted:
        run_training(dataset, latent_dim, beta, epochs)
    elif "trained" in st.session_state:
        st.success(f"Your pair is in the sidebar: Model pair → '{trained_label(st.session_state.trained)}'.")


def run_training(dataset: str, latent_dim: int, beta: float, epochs: int) -> None:
    status = st.empty()
    progress = st.progress(0.0)
    chart = st.empty()
    history = {"epoch": [], "AE reconstruction": [], "VAE reconstruction": [], "VAE KL": []}

    def on_wait(ahead: int) -> None:
        status.info(f"Waiting: {ahead} training{'s' if ahead > 1 else ''} ahead of yours on this server.",
                    icon=":material/hourglass_top:")

    def on_epoch(kind: str, epoch: int, stats: dict) -> None:
        done = (epoch + 1) / epochs / 2 + (0.5 if kind == "vae" else 0.0)
        progress.progress(min(done, 1.0), text=f"{kind.upper()}: epoch {epoch + 1} of {epochs}")
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

    start = time.perf_counter()
    with training_queue().turn(on_wait):
        status.info("Training…", icon=":material/model_training:")
        pair = train_pair(dataset, latent_dim, beta, epochs, BUDGET_SECONDS, on_epoch)
    st.session_state.trained = pair
    st.session_state.show_trained = True  # the sidebar switches to it on the rerun below
    progress.progress(1.0, text=f"Done in {time.perf_counter() - start:.1f} s")
    st.rerun()  # the whole page now explores the new pair
