"""The page's logic with streamlit.testing.v1.AppTest, on the shipped models."""

import io
import re

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest

import vae
from vae import explore

APP = str(ROOT / "app.py")


def pairs():
    names = {c.name for c in vae.list_pretrained()}
    return [(f"{c.dataset}, D={c.latent_dim}", c.name, f"{c.dataset}-vae-z{c.latent_dim}")
            for c in vae.list_pretrained() if c.kind == "ae" and f"{c.dataset}-vae-z{c.latent_dim}" in names]


def start(pair_label=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    if pair_label:
        at.selectbox(key="pair").set_value(pair_label).run()
    assert not at.exception, at.exception
    return at


def kl_value(at) -> float:
    (metric,) = [m for m in at.metric if m.label.startswith("KL")]
    return float(metric.value)


def image_named(at, caption_start):
    """The URL of the image whose caption starts with caption_start (one st.image may hold several)."""
    (url,) = [u for i in at.image for u, c in zip(i.value, i.captions) if c.startswith(caption_start)]
    return url


def read_table(markdown: str) -> dict[str, list[str]]:
    header, _, *rows = [[c.strip() for c in line.strip("|").split("|")] for line in markdown.splitlines()]
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def read_html_table(html: str) -> dict[str, list[str]]:
    """The cells of an HTML table by column name."""
    header, *rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def readouts_html(at) -> str:
    """The HTML block below the KL metric: both reconstructions and L_VAE."""
    (html,) = [h.value for h in at.html if 'class="readouts"' in h.value]
    return html


def code_table(at) -> dict[str, np.ndarray]:
    """The explorer's table of the code, numbers as shown (3 decimals)."""
    (table,) = [read_html_table(h.value) for h in at.html if h.value.startswith("<table") and ">dim</th>" in h.value]
    return {k: np.array(v, dtype=float) for k, v in table.items() if k != "dim"}


def test_shipped_pairs_include_digits_and_sprites():
    labels = [p[0] for p in pairs()]
    assert {"digits, D=2", "digits, D=8"} <= set(labels) and any(p.startswith("sprites") for p in labels)


@pytest.mark.parametrize("label, ae_name, vae_name", pairs())
def test_every_pair_renders_with_the_encoders_output(label, ae_name, vae_name):
    at = start(label)
    vm = vae.load_pretrained(vae_name)
    image = vae.load_dataset(vm.card.dataset, "test").images[0].numpy()
    mu0, sigma0 = explore.encode(vm, image)
    for d in range(vm.card.latent_dim):
        assert at.slider(key=f"mu_{d}").value == pytest.approx(mu0[d], abs=1e-6)
        assert at.slider(key=f"sigma_{d}").value == pytest.approx(sigma0[d], abs=1e-6)
    assert kl_value(at) == pytest.approx(explore.kl_nats(mu0, sigma0).sum(), abs=1e-3)
    readouts = readouts_html(at)
    assert "AE reconstruction (nats)" in readouts and "VAE reconstruction (nats)" in readouts
    assert "L<sub>VAE</sub>" in readouts
    assert any('aria-label="KL per dimension"' in m.value for m in at.markdown)


def test_sliders_set_the_kl_the_formula_gives():
    at = start("digits, D=8")
    rng = np.random.default_rng(3)
    mu, sigma = rng.uniform(-3, 3, 8).round(2), rng.uniform(0.05, 2.5, 8).round(2)
    for d in range(8):
        at.slider(key=f"mu_{d}").set_value(float(mu[d]))
        at.slider(key=f"sigma_{d}").set_value(float(sigma[d]))
    at.run()
    expected = 0.5 * np.sum(mu**2 + sigma**2 - 2 * np.log(sigma) - 1)  # the seed's formula
    assert kl_value(at) == pytest.approx(expected, abs=1e-3)
    table = code_table(at)
    np.testing.assert_allclose(table["z = mu + sigma·eps"], mu + sigma * table["eps"], atol=3 * 2.5e-3)


def test_resample_changes_eps_and_image_but_not_kl():
    at = start("digits, D=8")
    before = (kl_value(at), image_named(at, "VAE: decode z"), code_table(at)["eps"])
    at.button(key="resample").click().run()
    after = (kl_value(at), image_named(at, "VAE: decode z"), code_table(at)["eps"])
    assert after[0] == before[0]
    assert after[1] != before[1]
    assert not np.allclose(after[2], before[2])
    assert image_named(at, "VAE: decode mu") == image_named(start("digits, D=8"), "VAE: decode mu")


def test_reset_returns_to_the_encoders_output():
    at = start("digits, D=2")
    original = [at.slider(key=k).value for k in ("mu_0", "sigma_0", "mu_1", "sigma_1")]
    at.slider(key="mu_0").set_value(3.5).run()
    at.slider(key="sigma_1").set_value(2.0).run()
    assert at.slider(key="mu_0").value == 3.5
    at.button(key="reset").click().run()
    assert [at.slider(key=k).value for k in ("mu_0", "sigma_0", "mu_1", "sigma_1")] == original


def test_a_new_input_moves_the_sliders_to_its_encoding():
    at = start("digits, D=2")
    at.slider(key="mu_0").set_value(3.5).run()
    at.number_input(key="index").set_value(7).run()
    vm = vae.load_pretrained("digits-vae-z2")
    mu0, _ = explore.encode(vm, vae.load_dataset("digits", "test").images[7].numpy())
    assert at.slider(key="mu_0").value == pytest.approx(mu0[0], abs=1e-6)


def png_bytes(array) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def test_bad_upload_shows_an_error_and_the_page_keeps_working():
    at = start("digits, D=8")
    kl = kl_value(at)
    at.file_uploader(key="upload").set_value(("notes.png", b"this is not an image", "image/png")).run()
    assert not at.exception
    assert any("not an image" in e.value for e in at.sidebar.error)
    assert kl_value(at) == kl  # still showing the test image
    at.slider(key="mu_0").set_value(1.0).run()
    assert not at.exception and kl_value(at) != kl


def test_good_upload_becomes_the_input():
    at = start("digits, D=8")
    digit = np.full((40, 40), 255, dtype=np.uint8)
    digit[8:32, 18:23] = 0
    at.file_uploader(key="upload").set_value(("one.png", png_bytes(digit), "image/png")).run()
    assert not at.exception and not at.sidebar.error
    assert image_named(at, "Input: upload: one.png")
    vm = vae.load_pretrained("digits-vae-z8")
    mu0, sigma0 = explore.encode(vm, vae.image_from_bytes(png_bytes(digit), vm.card)[0].numpy())
    assert at.slider(key="mu_0").value == pytest.approx(mu0[0], abs=1e-6)
    assert kl_value(at) == pytest.approx(explore.kl_nats(mu0, sigma0).sum(), abs=1e-3)


def test_stochastic_panel_ae_spread_is_exactly_zero():
    at = start("digits, D=8")
    notes = [m.value for m in at.markdown if "Largest per-pixel std" in m.value]
    assert notes[0].startswith("**AE**") and notes[0].endswith("**0.000**")
    assert notes[1].startswith("**VAE**") and not notes[1].endswith("**0.000**")


def test_latent_map_tab_draws_axes_pickers_and_a_picked_point():
    at = start("digits, D=8")
    at.session_state["panel"] = "Latent map"
    at.session_state["picked"] = ("digits", 5)
    at.run()
    assert not at.exception
    assert {s.key for s in at.selectbox} >= {"map_x", "map_y"}
    assert any(m.value.startswith("**Clicked: test #5") for m in at.markdown)
    at.selectbox(key="pair").set_value("digits, D=2").run()
    assert not at.exception and not {s.key for s in at.selectbox} & {"map_x", "map_y"}
