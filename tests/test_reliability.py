"""Bad input and faults end in a clear message where a person sees it; everything else keeps working."""

import io
import shutil
import struct
import zlib

import numpy as np
import pytest
from conftest import tiny_card
from pagetest import APP, code, kl_value, live_data
from PIL import Image
from streamlit.testing.v1 import AppTest

import vae
from vae.checkpoints import PRETRAINED_DIR


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """A private copy of pretrained/ that the app reads instead, to break at will."""
    folder = tmp_path / "pretrained"
    shutil.copytree(PRETRAINED_DIR, folder)
    monkeypatch.setenv("VAE_PRETRAINED_DIR", str(folder))
    return folder


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def run(at=None) -> AppTest:
    at = (at or AppTest.from_file(APP, default_timeout=120)).run()
    assert not at.exception, at.exception
    return at


def test_a_tampered_model_disables_its_pair_and_the_others_work(shipped_copy):
    flip_a_byte(shipped_copy / "digits-vae-z2.safetensors")
    at = run()
    assert at.selectbox(key="pair").value == "mnist, D=8"  # the default, usable
    assert "digits, D=2 (unavailable)" in at.selectbox(key="pair").format_func("digits, D=2")
    at.selectbox(key="pair").set_value("digits, D=2")
    run(at)
    assert any("sha256" in e.value and "digits-vae-z2.safetensors" in e.value for e in at.error)
    at.selectbox(key="pair").set_value("sprites, D=6")
    run(at)
    assert not at.error and np.isfinite(kl_value(at))


def b4_is_refused_alone(at, reason):
    """On the D=8 pair, the b4 VAE is marked unavailable, refused with reason, and the others work."""
    at.selectbox(key="pair").set_value("digits, D=8")
    run(at)
    assert at.selectbox(key="vae").format_func("digits-vae-z8-b4").endswith("(unavailable)")
    at.selectbox(key="vae").set_value("digits-vae-z8-b4")
    run(at)
    assert any(reason in e.value for e in at.error)
    at.selectbox(key="vae").set_value("digits-vae-z8")
    run(at)
    assert not at.error and np.isfinite(kl_value(at))


def test_a_broken_ladder_vae_is_marked_and_refused_alone(shipped_copy):
    (shipped_copy / "digits-vae-z8-b4.safetensors").write_bytes(b"\x80\x04not weights")
    b4_is_refused_alone(run(), "digits-vae-z8-b4.safetensors")


def test_a_model_file_that_disappears_after_start_gives_a_notice(shipped_copy):
    at = run()  # loads every pair's AE and beta-1 VAE, and the ladder of the pair shown (D=2)
    for f in [*shipped_copy.glob("sprites-*.safetensors"), shipped_copy / "digits-vae-z8-b4.safetensors"]:
        f.unlink()
    at.selectbox(key="pair").set_value("sprites, D=6")
    run(at)  # already in memory: it keeps working
    assert not at.error and np.isfinite(kl_value(at))
    b4_is_refused_alone(at, "missing")


def test_a_damaged_manifest_is_a_message_not_a_crash(shipped_copy):
    (shipped_copy / "manifest.json").write_text("{not json")
    at = run()
    assert any("cannot be listed" in e.value and "manifest" in e.value for e in at.error)


@pytest.mark.parametrize("extreme", [(-4.0, 0.01), (4.0, 3.0), (-4.0, 3.0), (4.0, 0.01)])
def test_slider_extremes_keep_every_number_finite(extreme):
    at = run()
    at.selectbox(key="pair").set_value("digits, D=8")
    run(at)
    mu, sigma = extreme
    for d in range(8):
        at.session_state[f"mu_{d}"] = mu
        at.session_state[f"sigma_{d}"] = sigma
    run(at)
    for metric in at.metric:
        assert np.isfinite(float(metric.value)), metric.label
    assert np.isfinite(kl_value(at)) and kl_value(at) > 0
    assert np.isfinite(code(at)).all() and np.isfinite(live_data(at)["eps"]).all()


def png_with_size(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("name, data, words", [
    ("zero-width.png", png_with_size(0, 5), "not an image"),
    ("zero-height.png", png_with_size(5, 0), "not an image"),
    ("bomb.png", png_with_size(60000, 60000), "pixels"),
    ("text.webp", b"RIFF\x00\x00\x00\x00WEBPnot really", "image"),
    ("empty.gif", b"", "empty"),
])
def test_strange_uploads_are_refused_with_a_reason(name, data, words):
    with pytest.raises(vae.InputError, match=words):
        vae.image_from_bytes(data, tiny_card("vae", "digits"))


def test_a_gif_is_read_from_its_first_frame():
    frames = [Image.fromarray(np.full((16, 16), v, dtype=np.uint8)) for v in (0, 255)]
    frames[0].paste(255, (6, 2, 10, 14))  # a bright bar on the first frame only
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    x = vae.image_from_bytes(buf.getvalue(), tiny_card("vae", "digits"))
    assert x[0, 0].max() == 1 and x[0, 0, :, 0].max() < 0.2


def test_a_sprite_upload_keeps_its_position():
    a = np.zeros((64, 64), dtype=np.uint8)
    a[4:16, 44:56] = 255  # top right
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    x = vae.image_from_bytes(buf.getvalue(), tiny_card("vae", "sprites"))[0, 0].numpy()
    ys, xs = np.nonzero(x > 0.5)
    assert ys.mean() < 10 and xs.mean() > 20


def test_a_missing_judge_leaves_the_samples_unscored_with_a_message(shipped_copy):
    (shipped_copy / "judge-mnist.safetensors").unlink()
    at = run()
    at.selectbox(key="pair").set_value("mnist, D=8")
    at.session_state["panel"] = "Prior samples"
    run(at)
    assert not at.error and not [m for m in at.metric if "recognisable" in m.label]
    assert any("judge cannot be loaded" in i.value and "judge-mnist.safetensors" in i.value for i in at.info)
