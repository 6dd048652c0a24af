"""Train live: a small AE and VAE on digits, trained in the page, then explored like a shipped pair.

One training runs at a time per server; the others wait in a visible queue. The models live in the
session that trained them (no other session sees them) and nothing is written to disk.
"""

import streamlit as st

from page.state import session
from panels import chart_config
from vae import plots


@st.cache_resource(show_spinner=False)
def training_queue():
    from vae.budget import TrainingQueue

    return TrainingQueue()


def trained_label(trained: dict) -> str:
    card = trained["vae"].card
    return f"yours: {card.dataset}, D={card.latent_dim}, beta {card.beta:g}"


def training_ui(view) -> None:
    from vae import budget  # the training loop, imported only where a pair is trained

    st.markdown(
        "Train your own pair on MNIST or the 8×8 digits: an AE and a VAE with the same recipe, the two changes of "
        f"the lesson apart. Both train on the same seeded sample of at most {budget.TRAIN_SIZE:,} training images "
        f"(MNIST has 60,000) for the same number of epochs, and the pair within {budget.BUDGET_SECONDS} s: if the "
        "epochs asked for would not fit, both run as many as fit, judged from the AE's epochs. One training at a time "
        "on this server; others wait their turn. The pair stays in your session only.")
    running = st.container()  # above the form, where the eye is when Train is clicked (below, it is off screen)
    with st.form("train_form"):
        c0, c1, c2, c3 = st.columns(4)
        here = view.vm.card.dataset
        choices = budget.TRAIN_DATASETS
        dataset = c0.selectbox("Data", choices, choices.index(here) if here in choices else 0, key="train_data")
        latent_dim = c1.select_slider("Latent size D", budget.LATENT_SIZES, 2, key="train_dim")
        beta = c2.select_slider("beta (VAE)", budget.BETAS, 1.0, key="train_beta")
        epochs = c3.slider("Epochs (each model)", 5, 300, 60, key="train_epochs")
        submitted = st.form_submit_button("Train the pair", icon=":material/model_training:")
    with running:
        if submitted:
            run_training(dataset, latent_dim, beta, epochs)
        elif session.trained:  # what it did, where it was watched
            st.success(f"Your pair is in the sidebar: Model pair → '{trained_label(session.trained)}'.")
            done = session.training_done
            st.markdown(budget.summary(done["report"]))
            st.plotly_chart(plots.training_figure(done["history"]), key="train_chart_done",
                            config=chart_config("training"))


def run_training(dataset: str, latent_dim: int, beta: float, epochs: int) -> None:
    from vae import budget

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
                           config=chart_config("training"))

    with training_queue().turn(on_wait):
        status.info("Training…", icon=":material/model_training:")
        pair, report = budget.train_pair(dataset, latent_dim, beta, epochs, budget.BUDGET_SECONDS, on_epoch)
    session.trained = pair
    session.training_done = {"report": report, "history": history}  # said and drawn on every later run
    session.show_trained = True  # the sidebar switches to it on the rerun below
    st.rerun()  # the whole page now explores the new pair
