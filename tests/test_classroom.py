"""The classroom instrument: presenter steps, the formula, the log-sigma side note, conversion, live training."""

import threading
import time

import numpy as np
import pytest
import torch
from pagetest import code, kl_value, read_table, set_code, start

import vae
from page.presenter import STEPS
from vae import explore, lessons
from vae.budget import TrainingQueue, train_pair
from vae.checkpoints import PRETRAINED_DIR


def open_panel(at, panel):
    at.session_state["panel"] = panel
    at.run()
    assert not at.exception, at.exception
    return at


def test_presenter_walks_through_every_step():
    at = start("digits, D=8")
    at.toggle(key="presenter").set_value(True).run()
    assert not at.exception
    for step, title in enumerate(STEPS, start=1):
        assert at.subheader[0].value == f"Step {step} of {len(STEPS)}: {title}"
        if step < len(STEPS):
            at.button(key="step_next").click().run()
            assert not at.exception, at.exception
    assert at.button(key="step_next").disabled
    params = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert params["presenter"] == "1" and params["step"] == str(len(STEPS))


def test_presenter_kl_step_has_live_sliders_and_kl():
    at = start("digits, D=2")
    at.session_state["presenter"] = True
    at.session_state["step"] = 4
    at.run()
    before = kl_value(at)
    set_code(at, mu_0=3.0)
    assert kl_value(at) > before


def test_log_sigma_figures_match_the_analytic_gradients():
    table = lessons.side_note_table()
    for meaning, columns in table.items():
        for o, s, log_s, kl, gradient in zip(*(columns[k] for k in ("output", "sigma", "log sigma", "KL", "gradient"))):
            if s > 1e-30:  # float32 still holds sigma
                expected_kl = 0.5 * (s**2 - 2 * np.log(s) - 1)
                assert kl == pytest.approx(expected_kl, rel=1e-5, abs=1e-6), (meaning, o)
                assert log_s == pytest.approx(np.log(s), rel=1e-5, abs=1e-6)
                # dKL/dsigma = sigma - 1/sigma; dKL/dlog sigma = sigma^2 - 1
                expected = s - 1 / s if meaning == "sigma" else s**2 - 1
                assert gradient == pytest.approx(expected, rel=1e-4, abs=1e-6), (meaning, o)
    row = {o: i for i, o in enumerate(lessons.OUTPUTS)}
    assert table["sigma"]["KL"][row[0.0]] == np.inf  # log 0
    assert np.isnan(table["sigma"]["KL"][row[-0.1]])  # a linear output can go negative
    assert table["log_sigma"]["gradient"][row[-50.0]] == -1  # sigma = e^-50, near 0: the gradient is -1
    sigma, grad_sigma, grad_log = lessons.gradient_curves()
    np.testing.assert_allclose(grad_sigma, sigma - 1 / sigma, rtol=1e-4)
    np.testing.assert_allclose(grad_log, sigma**2 - 1, rtol=1e-4, atol=1e-6)


def test_formula_panel_shows_this_inputs_terms():
    at = open_panel(start("digits, D=2"), "The formula")
    (formula,) = [h.value for h in at.html if "formula" in h.value]
    mu, sigma = code(at)
    assert f"Σ_d mu_d² = {np.sum(mu**2):.4f}" in formula
    assert f"Σ_d sigma_d² = {np.sum(sigma**2):.4f}" in formula
    assert f"{kl_value(at):.2f}" in formula
    two_log_sigma = 2 * np.log(sigma).sum()
    assert f"− ({two_log_sigma:.2f})".replace("-", "−") in formula  # one minus sign, the page's: not "− (-32.99)"
    assert "L<sub>AE</sub>(x, x̂) is the AE's loss taken on the VAE's x̂" in formula  # not the AE's own loss


def test_formula_weighs_the_kl_by_beta_like_the_readout():
    at = start("digits, D=8")
    at.selectbox(key="vae").set_value("digits-vae-z8-b4").run()
    set_code(at, mu_0=2.0)
    open_panel(at, "The formula")
    (formula,) = [h.value for h in at.html if "formula" in h.value]
    vm, x = vae.load_pretrained("digits-vae-z8-b4"), vae.load_dataset("digits", "test").images[0].numpy()
    mu, sigma = code(at)
    z = explore.z_from(mu, sigma, explore.eps_for(0, 8))
    rec, kl = explore.reconstruction_nats(vm, x, z), kl_value(at)
    loss = round(rec, 2) + 4 * round(kl, 2)  # L_VAE = L_AE + beta * KL, the sum of the terms as read
    assert "4 × ½ Σ" in formula and f"<b>{rec:.2f} + 4 × {kl:.2f} = {loss:.2f} nats</b>" in formula


def test_conversion_panel_compares_the_three_models():
    at = open_panel(start("digits, D=8"), "AE → VAE conversion")
    kl = [m.value for m in at.metric if m.label == "Test mean KL (nats per example)"]
    assert kl[0] == "no KL term"
    converted, retrained = float(kl[1]), float(kl[2])
    assert converted > 10 * retrained  # untrained conversion: the AE's codes are far from N(0, I)
    ae = vae.load_pretrained("digits-ae-z8")
    vm = vae.convert_ae_to_vae(ae, init_log_sigma=-3.0)
    x = vae.load_dataset("digits", "test").images[:4]
    np.testing.assert_allclose(vm.encode(x).mu.detach(), ae.encode(x).mu.detach())
    # the caption's claim: the first two share the AE's trunk and decoder, the retrained one does not
    (caption,) = [c.value for c in at.caption if "trunk and decoder" in c.value]
    assert caption.startswith("The first two have the same trunk and decoder weights")
    retrained = vae.load_pretrained("digits-vae-z8-from-ae")
    for part in ("trunk", "decoder"):
        ours, theirs, moved = (getattr(m, part).state_dict() for m in (ae, vm, retrained))
        assert all(torch.equal(ours[k], theirs[k]) for k in ours)
        assert all(not torch.equal(ours[k], moved[k]) for k in ours)


def test_conversion_panel_converts_any_pairs_ae_and_names_every_pair_that_has_a_retrained_vae():
    at = open_panel(start("digits, D=2"), "AE → VAE conversion")
    kl = [m.value for m in at.metric if m.label == "Test mean KL (nats per example)"]
    converted = vae.evaluate(vae.convert_ae_to_vae(vae.load_pretrained("digits-ae-z2"), init_log_sigma=-3.0))
    assert kl == ["no KL term", f"{converted['kl_nats']:.2f}"]  # the AE and its conversion; nothing retrained ships
    (caption,) = [c.value for c in at.caption if "trunk and decoder" in c.value]
    assert caption.startswith("The two have the same trunk and decoder weights")
    assert "ships for digits, D=8 and mnist, D=8:" in caption


def test_training_queue_makes_the_second_training_wait():
    queue = TrainingQueue()
    events, waits = [], []
    first_in = threading.Event()

    def first():
        with queue.turn():
            events.append("first starts")
            first_in.set()
            time.sleep(0.6)
            events.append("first ends")

    def second():
        first_in.wait()
        with queue.turn(on_wait=waits.append, poll=0.05):
            events.append("second starts")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert events == ["first starts", "first ends", "second starts"]
    assert waits and set(waits) == {1} and len(queue) == 0


@pytest.mark.slow
def test_live_training_on_a_tiny_budget_gives_a_pair_that_learned():
    history = {"ae": [], "vae": []}
    pair, _ = train_pair("digits", 2, 1.0, epochs=8, budget=30,
                         on_epoch=lambda kind, e, planned, stats: history[kind].append(stats))
    for kind in ("ae", "vae"):
        assert history[kind][-1]["loss"] < history[kind][0]["loss"]
        assert pair[kind].card.metrics["examples"] == 360
    assert len(history["vae"]) == len(history["ae"]) == 8  # trained alike
    assert pair["ae"].card.beta == 1.0
    assert pair["ae"].card.name.startswith("session-") and pair["vae"].card.kind == "vae"


@pytest.mark.slow
def test_training_from_the_page_explores_the_new_pair_and_writes_nothing():
    before = sorted((p.name, p.stat().st_mtime_ns) for p in PRETRAINED_DIR.rglob("*"))
    shipped = [c.name for c in vae.list_pretrained()]
    at = open_panel(start("digits, D=2"), "Train your own")
    at.slider(key="train_epochs").set_value(5)
    (submit,) = [b for b in at.button if b.label == "Train the pair"]
    submit.click().run()
    assert not at.exception, at.exception
    assert at.session_state["pair"].startswith("yours: digits, D=2")
    assert any("Trained in this session" in c.value for c in at.sidebar.caption)
    assert at.session_state["trained"]["vae"].card.name.startswith("session-")
    assert np.isfinite(kl_value(at))
    set_code(at, mu_0=1.0)
    assert not at.exception
    trained = at.session_state["trained"]["vae"].card
    open_panel(at, "Beta ladder")  # the trained VAE alone, not the shipped digits-vae-z2 beside the trained AE
    (table,) = [read_table(m.value) for m in at.markdown if m.value.startswith("| beta |")]
    assert table["beta"] == ["1"] and table["KL"] == [f"{trained.metrics['kl_nats']:.2f}"]
    said = " ".join(c.value for c in at.caption)
    assert "one rung" in said and "sidebar" not in said and "digits-vae-z2" not in said
    assert sorted((p.name, p.stat().st_mtime_ns) for p in PRETRAINED_DIR.rglob("*")) == before
    assert [c.name for c in vae.list_pretrained()] == shipped


@pytest.mark.slow
def test_live_training_offers_mnist_within_the_budget():
    pair, _ = train_pair("mnist", 2, 1.0, epochs=2, budget=60, on_epoch=lambda kind, e, planned, stats: None)
    for kind in ("ae", "vae"):
        card = pair[kind].card
        assert card.dataset == "mnist" and card.image_shape == (1, 28, 28) and card.metrics["examples"] == 10_000
        assert card.training["epochs_run"] == 2
        assert (card.training["train_examples"], card.training["train_split_examples"]) == (10_000, 60_000)
