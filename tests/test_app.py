"""The page's logic with streamlit.testing.v1.AppTest, on the shipped models."""

import json

import numpy as np
import pytest
from pagetest import (
    APP,
    assert_is_half,
    code,
    fetched,
    floats,
    kl_value,
    live_data,
    mounted,
    one_on_paper,
    pairs,
    png_bytes,
    set_code,
    start,
    upload,
    uploader,
)
from streamlit.testing.v1 import AppTest

import vae
from page.text import plain
from routes import files
from vae import explore


def test_mnist_at_d8_is_the_default_pair_and_mnist_comes_first():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.selectbox(key="pair").value == "mnist, D=8"
    assert at.selectbox(key="pair").options == [
        "mnist, D=8", "mnist, D=2", "digits, D=2", "digits, D=8", "sprites, D=6"]
    assert live_data(at)["shape"] == [1, 28, 28]


def test_shipped_pairs_include_digits_and_sprites():
    labels = [p[0] for p in pairs()]
    assert {"digits, D=2", "digits, D=8"} <= set(labels) and any(p.startswith("sprites") for p in labels)


@pytest.mark.parametrize("label, ae_name, vae_name", pairs())
def test_every_pair_sends_the_browser_its_encoding_and_the_urls_of_its_files(label, ae_name, vae_name):
    at = start(label)
    vm = vae.load_pretrained(vae_name)
    image = vae.load_dataset(vm.card.dataset, "test").images[0].numpy()
    mu0, sigma0 = explore.encode(vm, image)
    mu, sigma = code(at)
    np.testing.assert_allclose(mu, mu0, atol=1e-6)
    np.testing.assert_allclose(sigma, sigma0, atol=1e-6)
    data = live_data(at)
    assert len(data["mu0"]) == vm.card.latent_dim and data["shape"] == list(vm.card.image_shape)
    for ref, name in ((data["ae"], ae_name), (data["vae"], vae_name)):  # each half: the decoder, the encoder
        model = vae.load_pretrained(name)
        for half in ("decoder", "encoder"):
            assert ref[half] == f"/files/{model.source[1][:32]}.{half}.f16.safetensors"  # the shipped file's sha256
            assert_is_half(fetched(ref[half]), model, half)
    np.testing.assert_array_equal(floats(data["x"]), image.ravel())
    np.testing.assert_allclose(data["eps"], explore.eps_for(0, vm.card.latent_dim))


def test_the_websocket_carries_state_and_the_files_travel_by_url():
    at = AppTest.from_file(APP, default_timeout=120).run()
    first = mounted(at)
    assert first["code"] == files.code_url() and mounted(at, "samples")["code"] == first["code"]
    assert all(len(e.proto.js_content) < 1500 for e in at.get("bidi_component"))  # what Streamlit mounts: the loader
    assert len(json.dumps(first)) < 5000  # MNIST at D=8: state and URLs, not weights nor code
    set_code(at, mu_0=1.0)
    again = live_data(at)
    assert again["vae"] == first["live"]["vae"] and again["mu"][0] == 1.0
    at.number_input(key="index").set_value(3).run()
    assert live_data(at)["x"] != first["live"]["x"]  # a new input: a new file
    assert live_data(at)["vae"] == first["live"]["vae"]


def test_session_state_moves_the_settled_code():
    at = start("digits, D=8")
    rng = np.random.default_rng(3)
    mu, sigma = rng.uniform(-3, 3, 8).round(2), rng.uniform(0.05, 2.5, 8).round(2)
    set_code(at, **{f"mu_{d}": float(mu[d]) for d in range(8)}, **{f"sigma_{d}": float(sigma[d]) for d in range(8)})
    np.testing.assert_allclose(code(at)[0], mu)
    np.testing.assert_allclose(code(at)[1], sigma)
    assert float(at.query_params["mu_3"]) == mu[3]  # the link follows the settled code


def test_settled_values_outside_the_range_are_clipped():
    at = start("digits, D=2")
    set_code(at, mu_0=1e9, sigma_1=-5.0)
    mu, sigma = code(at)
    data = live_data(at)
    assert mu[0] == data["ranges"]["mu"][0][1] and sigma[1] == data["ranges"]["sigma"][1][0]


def test_a_new_input_moves_the_code_to_its_encoding():
    at = start("digits, D=2")
    set_code(at, mu_0=3.5)
    at.number_input(key="index").set_value(7).run()
    vm = vae.load_pretrained("digits-vae-z2")
    mu0, _ = explore.encode(vm, vae.load_dataset("digits", "test").images[7].numpy())
    assert code(at)[0][0] == pytest.approx(mu0[0], abs=1e-6)
    assert live_data(at)["caption"] == "test #7 (7)" or live_data(at)["caption"].startswith("test #7")


def test_a_good_upload_becomes_the_input():
    at = upload(start("digits, D=8"), "one.png", one_on_paper())
    assert not at.exception and not at.sidebar.error
    assert live_data(at)["caption"] == "upload: one.png"
    assert "it opens test image #0" in live_data(at)["link_note"]  # what Copy link says, and the caption
    assert "(an uploaded image cannot travel in a link: it opens test image #0" in " ".join(c.value for c in at.caption)
    assert live_data(start("digits, D=8"))["link_note"] == ""
    vm = vae.load_pretrained("digits-vae-z8")
    mu0, sigma0 = explore.encode(vm, vae.image_from_bytes(one_on_paper(), vm.card)[0].numpy())
    np.testing.assert_allclose(code(at)[0], mu0, atol=1e-6)
    np.testing.assert_allclose(code(at)[1], sigma0, atol=1e-6)


@pytest.mark.parametrize("name, data, says", [
    ("notes.png", b"this is not an image", "not an image that can be read"),
    ("white.png", png_bytes(np.full((64, 64), 255, dtype=np.uint8)), "blank"),
    ("grey.png", png_bytes(np.full((64, 64), 128, dtype=np.uint8)), "blank"),
    ("dot.png", png_bytes(np.zeros((1, 1), dtype=np.uint8)), "too small to hold a digit"),
    ("![](//127.0.0.1:9) [in](//e) **b**.png", b"not an image", "not an image that can be read"),  # name as text
])
def test_a_refused_upload_says_why_beside_the_uploader_and_the_input_stays(name, data, says):
    at = upload(start("digits, D=8"), "one.png", one_on_paper())
    kl = kl_value(at)
    at = upload(at, name, data)
    assert not at.exception
    (error,) = at.sidebar.error
    assert error.value.startswith(f"{plain(name)} was not used") and says in error.value  # Markdown as text
    assert f"The input is still {plain('upload: one.png')}" in error.value
    assert live_data(at)["caption"] == "upload: one.png" and kl_value(at) == kl  # the previous input stays
    assert uploader(at).value is None  # a refused file is not left listed
    set_code(at, mu_0=1.0)
    assert not at.exception and kl_value(at) != kl


def test_choosing_a_test_image_leaves_the_upload():
    at = upload(start("digits, D=8"), "one.png", one_on_paper())
    at.number_input(key="index").set_value(874 % len(vae.load_dataset("digits", "test"))).run()
    assert live_data(at)["caption"].startswith(f"test #{874 % 360} ")
    assert uploader(at).value is None  # the upload was taken off: nothing says one thing and shows another
    at = upload(at, "one.png", one_on_paper())
    assert live_data(at)["caption"] == "upload: one.png"
    at.button(key="random").click().run()
    assert live_data(at)["caption"].startswith("test #") and uploader(at).value is None


def test_stochastic_panel_sends_k_draws_of_eps_per_seed_and_the_settled_code():
    at = start("digits, D=8")
    samples = live_data(at, "samples")
    assert samples["k"] == 16 and samples["shown"] == 16 and samples["ae"]["decoder"] != samples["vae"]["decoder"]
    np.testing.assert_array_equal(floats(samples["eps_draws"]).reshape(16, 8), explore.eps_for(10_000, 8, 16))
    explorer = live_data(at)
    assert (samples["mu"], samples["sigma"], samples["ae_z"]) == (explorer["mu"], explorer["sigma"], explorer["ae_z"])
    at.slider(key="k_samples").set_value(40).run()
    samples = live_data(at, "samples")
    assert (samples["k"], samples["shown"], len(floats(samples["eps_draws"]))) == (40, 24, 40 * 8)
    assert samples["caption"].startswith("40 decodings, the first 24 shown")
    at.session_state["seed"] = 3
    set_code(at, sigma_0=0.5)
    samples = live_data(at, "samples")
    np.testing.assert_array_equal(floats(samples["eps_draws"]).reshape(40, 8), explore.eps_for(10_003, 8, 40))
    assert samples["sigma"][0] == 0.5


def test_latent_map_has_axes_pickers_beyond_two_dims_and_starts_each_plane_at_its_own_code():
    at = start("digits, D=8")
    at.session_state["panel"] = "Latent map"
    at.session_state["kept_map_y"] = 5
    at.run()
    assert not at.exception
    assert {s.key for s in at.selectbox} >= {"map_x", "map_y"}
    latent_map = live_data(at, "map")
    busiest = int(np.argmax(vae.load_pretrained("digits-vae-z8").card.metrics["kl_per_dim_nats"]))
    assert latent_map["dims"] == [busiest, 5] and latent_map["ae"]["decoder"] != latent_map["vae"]["decoder"]
    explorer = live_data(at)
    assert (latent_map["ae_z"], latent_map["mu"]) == (explorer["ae_z"], explorer["mu"])  # each plane's own start
    codes = json.loads(fetched(latent_map["vae"]["codes"]))
    assert len(codes["points"]) == 2 * len(codes["labels"]) > 100
    assert latent_map["label_names"] == list("0123456789")
    at.selectbox(key="pair").set_value("digits, D=2").run()
    assert not at.exception and not {s.key for s in at.selectbox} & {"map_x", "map_y"}
    assert live_data(at, "map")["dims"] == [0, 1]
