"""The latent-space views (issue: beyond the anchors, part 1): their numbers, and each panel on every pair."""

import re

import numpy as np
import pytest
from pagetest import PANELS, live_data, open_panel, pairs, read_table, start

import vae
from panels.prior import verdict
from vae import explore
from vae.judge import judge_model, recognisable


@pytest.mark.parametrize("label", [p[0] for p in pairs()])
def test_every_panel_renders_for_every_pair(label):
    at = start(label)
    for panel in PANELS:
        open_panel(at, panel)
    assert at.segmented_control(key="panel").options == PANELS


def test_every_ladder_vae_renders():
    at = start("digits, D=8")
    for name in [o for o in at.selectbox(key="vae").options]:
        at.selectbox(key="vae").set_value(name).run()
        open_panel(at, "Beta ladder")


def test_traversal_codes_sweep_one_dimension():
    base = np.array([0.5, -1.0, 2.0])
    values = np.linspace(-3, 3, 9)
    swept = explore.traversal_codes(base, 1, values)
    np.testing.assert_allclose(swept[:, 1], values)
    np.testing.assert_allclose(np.delete(swept, 1, axis=1), np.tile([0.5, 2.0], (9, 1)))


@pytest.mark.parametrize("spherical", [False, True])
def test_interpolation_endpoints_are_the_two_codes(spherical):
    z0, z1 = np.array([1.0, -2.0, 0.5]), np.array([-0.5, 1.5, 2.0])
    path = explore.interpolation_codes(z0, z1, 7, spherical)
    assert path.shape == (7, 3)
    np.testing.assert_allclose(path[0], z0, atol=1e-12)
    np.testing.assert_allclose(path[-1], z1, atol=1e-12)
    if spherical:  # the great circle: norms vary smoothly between the endpoints', never through 0
        assert np.linalg.norm(path, axis=1).min() > 0.5 * min(np.linalg.norm(z0), np.linalg.norm(z1))


def test_interpolation_rows_start_and_end_at_each_inputs_decoding():
    from page.view import View
    from panels.interpolation import interpolation_rows

    ae, vm = vae.load_pretrained("digits-ae-z8"), vae.load_pretrained("digits-vae-z8")
    data = vae.load_dataset("digits", "test")
    x0, x1 = data.images[0].numpy(), data.images[1].numpy()
    mu0, sigma0 = explore.encode(vm, x0)
    eps = explore.eps_for(0, 8)
    view = View(x0, "", "digits:0", ae, vm, explore.encode(ae, x0)[0], mu0, sigma0, mu0, sigma0, 0, eps,
                explore.z_from(mu0, sigma0, eps))
    rows = interpolation_rows(view, x1, 5)
    assert set(rows) == {"pixels: (1 − t) x₀ + t x₁", "AE z, straight", "AE z, spherical", "VAE mu, straight",
                         "VAE mu, spherical"}
    np.testing.assert_allclose(rows["pixels: (1 − t) x₀ + t x₁"][[0, -1]], np.stack([x0, x1]), atol=1e-6)
    for name, model in (("AE z", ae), ("VAE mu", vm)):
        ends = explore.decode(model, np.stack([explore.encode(model, x0)[0], explore.encode(model, x1)[0]]))
        for kind in ("straight", "spherical"):
            assert rows[f"{name}, {kind}"].shape[0] == 5
            np.testing.assert_allclose(rows[f"{name}, {kind}"][[0, -1]], ends, atol=1e-5)


def test_ladder_table_is_the_evaluate_figures():
    at = open_panel(start("digits, D=8"), "Beta ladder")
    (table,) = [read_table(m.value) for m in at.markdown if m.value.startswith("| beta |")]
    cards = {c.name: c for c in vae.list_pretrained()}
    assert table["beta"] == ["0.1", "1", "1, from the AE", "4"]  # short rows, up the ladder
    names = ["digits-vae-z8-b0.1", "digits-vae-z8", "digits-vae-z8-from-ae", "digits-vae-z8-b4"]
    said = " ".join(c.value for c in at.caption)
    for i, name in enumerate(names):
        assert f"beta {table['beta'][i]} is {name}" in said  # the caption names each row's model
        m = cards[name].metrics  # equal to `evaluate` by test_pretrained
        shown = (table["KL"][i], table["reconstruction"][i], table["-ELBO"][i])
        assert shown == tuple(f"{m[k]:.2f}" for k in ("kl_nats", "reconstruction_nats", "neg_elbo_nats"))


def test_the_collapsed_model_is_shown_as_collapsed_with_its_figures():
    at = start("digits, D=8")
    at.selectbox(key="vae").set_value("digits-vae-z8-b4").run()
    assert live_data(at)["collapsed"] == [True] * 8
    open_panel(at, "Beta ladder")
    (warning,) = at.warning
    assert "Every dimension of digits-vae-z8-b4 has collapsed" in warning.value
    spread = re.search(r"standard deviation is ([0-9]+\.[0-9]+)", warning.value).group(1)
    assert float(spread) < 0.01


def headline_figures(at) -> dict[str, float]:
    """The prior panel's headline per model: 'AE' and 'VAE' -> recognisable and varied, as shown."""
    return {m.label.split(":")[0]: float(m.value) for m in at.metric if "recognisable and varied" in m.label}


@pytest.mark.parametrize("label", ["digits, D=8", "mnist, D=8"])
def test_prior_samples_are_judged_and_the_vae_wins_at_d8(label):
    at = open_panel(start(label), "Prior samples")
    shown = headline_figures(at)
    assert shown["VAE"] > shown["AE"] + 0.2
    ae, vm = (judge_model(vae.load_pretrained(f"{label.split(',')[0]}-{kind}-z8")) for kind in ("ae", "vae"))
    assert shown == {"AE": round(ae["recognisable_and_varied"], 2), "VAE": round(vm["recognisable_and_varied"], 2)}
    (verdict,) = at.success
    assert "place to sample from" in verdict.value and "1,000 draws" in verdict.value
    at.button(key="prior_new").click().run()
    assert "seed 1" in " ".join(c.value for c in at.caption)
    assert headline_figures(at) == shown  # a new batch changes the batch's caption, not the 1,000-draw headline


def test_at_d2_the_aes_samples_are_recognisable_but_not_varied_and_the_page_says_so():
    at = open_panel(start("digits, D=2"), "Prior samples")
    ae, vm = (judge_model(vae.load_pretrained(f"digits-{kind}-z2")) for kind in ("ae", "vae"))
    assert ae["confident_share"] > vm["confident_share"]  # the old headline made the AE the winner here
    assert ae["digits_covered"] < vm["digits_covered"] == 10
    shown = headline_figures(at)
    assert shown["VAE"] > shown["AE"]
    (verdict,) = at.success
    assert f"VAE {vm['recognisable_and_varied']:.2f}" in verdict.value and "recognisable, less varied" in verdict.value
    assert "never seen" not in verdict.value  # the AE's samples read as digits: its decoder knows those codes
    assert shown == {"AE": round(ae["recognisable_and_varied"], 2), "VAE": round(vm["recognisable_and_varied"], 2)}


def figures(share, covered, entropy):
    return {"confident_share": share, "digits_covered": covered, "label_entropy": entropy,
            "recognisable_and_varied": share * entropy}


@pytest.mark.parametrize("ae, vm, kind, words", [
    (figures(0.1, 4, 0.3), figures(0.7, 10, 1.0), "success", "place to sample from; the AE's is not"),
    # mnist, D=2: the AE's samples as readable as the VAE's, fewer digits: the headline says so, not "is not"
    (figures(0.83, 9, 0.76), figures(0.8, 10, 0.99), "success", "read as digits at least as often as the VAE's"),
    (figures(0.8, 10, 1.0), figures(0.5, 10, 1.0), "warning", "does not show in this pair (D=2)"),
    (figures(0.6, 10, 0.95), figures(0.62, 10, 0.96), "info", "about the same"),
])
def test_the_verdict_never_leads_with_a_number_that_contradicts_the_lesson(ae, vm, kind, words):
    got, text = verdict(ae, vm, figures(0.94, 10, 1.0), latent_dim=2)
    assert got == kind and words in text
    assert ("the AE's is not" in text) == (ae["confident_share"] < vm["confident_share"] and kind == "success")
    assert f"VAE {vm['recognisable_and_varied']:.2f}" in text and f"AE {ae['recognisable_and_varied']:.2f}" in text


def test_recognisable_counts_every_sample():
    data = vae.load_dataset("digits", "test")
    r = recognisable(data.images[:48].numpy())
    assert r["count"] == 48 and 0.5 < r["confident_share"] <= 1 and r["digits_covered"] >= 8
    blank = recognisable(np.zeros((10, 1, 8, 8)))
    assert blank["count"] == 10 and blank["digits_covered"] <= 1


def test_traversal_rows_sorted_by_kl_and_sprites_name_their_factor():
    from panels.traversals import traversal_rows

    rows = traversal_rows(vae.load_pretrained("digits-vae-z8"))
    kl = [float(label.split("KL ")[1].split(" ")[0]) for _, _, label in rows]
    assert kl == sorted(kl, reverse=True) and len(rows) == 8
    sprite_rows = traversal_rows(vae.load_pretrained("sprites-vae-z6"))
    top = sprite_rows[0][2]
    assert any(f"its test codes correlate most with {f} (|r| = " in top for f in ("x", "y", "scale")), top
