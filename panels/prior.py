"""Sampling from the prior: the same z ~ N(0, I) decoded by the AE and by the VAE, and, for digits,
how many of those decodings read as digits, and as all ten of them."""

import streamlit as st

import vae
from page.models import active_units_of
from page.state import session
from page.view import View
from vae import explore, plots
from vae.checkpoints import pretrained_dir
from vae.judge import JUDGED_DATASETS, PRIOR_DRAWS, digit_classifier, judge_model, recognisable

BATCH = 48
CLEAR_LEAD = 0.1  # a difference in "recognisable and varied" the page calls a win (1,000 draws: within ~0.03)
HEADLINE = "recognisable and varied"
DEFINITION = ("The share of samples a digit classifier reads with probability ≥ 0.9 (confident), times how evenly "
              "those confident samples spread over the ten digits (label entropy in bits ÷ log2 10). 1 would be "
              "every sample a clear digit and every digit equally often; a model that draws one digit well "
              "scores 0. The judge is trained on the real training digits (vae/judge.py).")


def new_batch() -> None:
    session.prior_seed += 1


def prior_ui(view: View, large: bool = False) -> None:
    """large: the presenter's step, the grids wider beside their figures."""
    seed = session.prior_seed
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("New batch", key="prior_new", on_click=new_batch, icon=":material/casino:")
        st.caption(f"{BATCH} draws of z ~ N(0, I), seed {seed}; the same draws go to both decoders.")
    dataset = view.vm.card.dataset
    problem = judge_problem(dataset) if dataset in JUDGED_DATASETS else None
    judged = dataset in JUDGED_DATASETS and problem is None
    cols = st.columns(2)
    for col, model, name in ((cols[0], view.ae, "AE"), (cols[1], view.vm, "VAE")):
        images = explore.prior_decodings(model, BATCH, seed)
        with col:
            st.markdown(f"**{name}** ({model.card.name})")
            # side by side, so that the step fits a projector's height
            grid, figures = st.columns([3, 2] if large else 2) if judged else (st.container(), None)
            grid.image(plots.image_grid(images, cols=8, size=56), width="stretch")
            if judged:
                # the headline over many draws, as the verdict and RESULTS.md give it, not this batch's noisy one;
                # as text that wraps: a metric's own label is cut to one line (…) in a narrow column
                figures.markdown(f"{HEADLINE}, over {PRIOR_DRAWS:,} draws", help=DEFINITION)
                figures.metric(f"{name}: {HEADLINE}", f"{judged_figures(model)['recognisable_and_varied']:.2f}",
                               label_visibility="collapsed")
                r = recognisable(images, dataset)
                figures.caption(f"This batch of {BATCH}: {r['confident_share']:.0%} read confidently, "
                                f"{r['digits_covered']} of 10 digits among them, label entropy "
                                f"{r['label_entropy']:.2f}.")
    gone = collapsed(view.vm)
    if judged:
        verdict_ui(view, gone)
        return
    if problem:
        st.info(f"The digit judge cannot be loaded ({problem}), so the samples are not scored.",
                icon=":material/info:")
    else:
        judged_ones = " and ".join(JUDGED_DATASETS)
        st.caption(f"The samples are not scored: a digit judge (vae/judge.py) reads only {judged_ones}, and these "
                   f"are {dataset} images. Compare the two grids by eye.")
    if gone:
        st.warning(collapsed_text(view.vm.card), icon=":material/info:")


def collapsed(vm) -> bool:
    """No active unit: every dimension collapsed, so the decoder ignores z."""
    return not active_units_of(vm).any()


def collapsed_text(card) -> str:
    kl = card.metrics.get("kl_nats")
    measured = "no active unit" + (f", average KL {kl:.4f} nats" if kl is not None else "")
    return (f"**{card.name} has collapsed in every dimension ({measured}): its decoder ignores z, so its samples "
            "are one picture.**")


def verdict_ui(view: View, gone: bool) -> None:
    kind, text = verdict(judged_figures(view.ae), judged_figures(view.vm), real_figures(view.vm.card.dataset),
                         view.vm.card.latent_dim, collapsed_text(view.vm.card) if gone else None)
    {"success": st.success, "warning": st.warning, "info": st.info}[kind](
        text, icon=":material/check_circle:" if kind == "success" else ":material/info:")


def verdict(ae: dict, vm: dict, real: dict, latent_dim: int, collapse: str | None = None) -> tuple[str, str]:
    """The comparison over many draws, said as it is: ("success", …) where the figures bear the
    lesson's claim out, ("warning" | "info", …) saying plainly where they do not. collapse: what to say
    first when every dimension of the VAE collapsed (collapsed_text), which is then what the samples show."""
    a, v = ae["recognisable_and_varied"], vm["recognisable_and_varied"]
    figures = (f"Over {PRIOR_DRAWS:,} draws (seed 0): VAE {v:.2f} ({vm['confident_share']:.1%} confident, "
               f"{vm['digits_covered']} digits), AE {a:.2f} ({ae['confident_share']:.1%} confident, "
               f"{ae['digits_covered']} digits); real test digits {real['recognisable_and_varied']:.2f}.")
    if collapse:
        return "warning", (f"{collapse} {figures} Its mu barely moves with the input (variance over the test "
                           "split under 0.01 in every dimension), so z carries nothing of x, and no draw of z changes "
                           f"the picture: the latent size, D={latent_dim}, is not what these samples show.")
    if v >= a + CLEAR_LEAD:
        why = ("The AE was never asked to put its codes where N(0, I) draws them, so its decoder meets codes it has "
               "never seen; the KL term is what pulls the VAE's codes there.")
        if ae["confident_share"] < vm["confident_share"]:
            return "success", f"**The VAE's prior is a place to sample from; the AE's is not.** {figures} {why}"
        return "success", (f"**The AE's samples read as digits at least as often as the VAE's, but the VAE's are "
                           f"the more varied.** {figures} The AE's spread less evenly over the digits (label "
                           f"entropy {ae['label_entropy']:.2f}, the VAE's {vm['label_entropy']:.2f}): recognisable, "
                           f"less varied. At D={latent_dim} an AE's codes can happen to fill much of where N(0, I) "
                           "draws; nothing in its training asks them to.")
    if a >= v + CLEAR_LEAD:
        return "warning", (f"**Here the AE's samples score higher than the VAE's: the lesson's claim does not show "
                           f"in this pair (D={latent_dim}).** {figures} An AE's codes can happen to lie where "
                           "N(0, I) draws; nothing in its training asks them to, and the VAE pays for its prior "
                           "with blurrier decodings.")
    return "info", (f"**At D={latent_dim} the AE's and the VAE's samples score about the same.** {figures} The "
                    "difference the lesson describes is not visible in this pair.")


def judge_problem(dataset: str) -> str | None:
    """Why the dataset's judge cannot be used (a shipped judge missing or damaged), or None."""
    try:
        digit_classifier(dataset)  # a shipped judge is checked against the manifest, once per folder
    except vae.CheckpointError as e:
        return str(e)
    return None


def real_figures(dataset: str) -> dict:
    return _real_figures(dataset, str(pretrained_dir()))


@st.cache_data(show_spinner=False)
def _real_figures(dataset: str, judges: str) -> dict:
    return recognisable(vae.load_dataset(dataset, "test").images.numpy(), dataset, judges)


def judged_figures(model) -> dict:
    return _judged_figures(model.card.name, model)


@st.cache_data(show_spinner=False)
def _judged_figures(name: str, _model) -> dict:
    return judge_model(_model)  # keyed by name, unique among shipped and session models
