"""The page as tests see it without a browser: app.py run in-process by streamlit.testing.v1.AppTest, what
it sends the browser's core, and what the page must show, from independent references."""

import io
import json
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import vae
from routes import files
from vae import explore

ROOT = Path(__file__).resolve().parent.parent
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


def mounted(at, mode: str = "explorer") -> dict:
    """What the page sends the browser's core (live/component.py) on this run: {"code": its URL, "live": ...}."""
    sent = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    (data,) = [d for d in sent if d.get("live", {}).get("mode") == mode]  # not presenter.js's key listener
    return data


def live_data(at, mode: str = "explorer") -> dict:
    return mounted(at, mode)["live"]


def code(at) -> tuple[np.ndarray, np.ndarray]:
    """The settled mu and sigma the page holds and sends the browser."""
    data = live_data(at)
    return np.array(data["mu"]), np.array(data["sigma"])


def fetched(url: str) -> bytes:
    """What the browser gets for a file's URL (routes/files.py serves these bytes)."""
    assert url.startswith("/files/"), url
    data = files.file_bytes(url.removeprefix("/files/"))
    assert data is not None, f"{url} is not published"
    return data


def assert_is_half(data: bytes, model, half: str) -> None:
    """data is a safetensors file of the model's decoder or encoder half in float16, tensor for tensor (not
    byte for byte: safetensors orders the metadata as it likes), holding exactly the weights torch computes
    with."""
    tensors = safetensors.torch.load(data)
    state = model.state_dict()
    assert set(tensors) == {k for k in state if k.startswith("decoder.") == (half == "decoder")}
    assert all(t.dtype == torch.float16 and torch.equal(t.float(), state[k]) for k, t in tensors.items())


def floats(url: str) -> np.ndarray:
    return np.frombuffer(fetched(url), dtype="<f4")


def kl_value(at) -> float:
    """The seed's formula, ½ Σ (mu² + sigma² − 2 log sigma − 1), on the settled code."""
    mu, sigma = code(at)
    return float(0.5 * np.sum(mu**2 + sigma**2 - 2 * np.log(sigma) - 1))


def set_code(at, **values) -> AppTest:
    """Sets mu_d / sigma_d in session state, as the contract allows, and reruns."""
    for key, value in values.items():
        at.session_state[key] = value
    return at.run()


def read_table(markdown: str) -> dict[str, list[str]]:
    header, _, *rows = [[c.strip() for c in line.strip("|").split("|")] for line in markdown.splitlines()]
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


PANELS = ["Deterministic vs stochastic", "Latent map", "Prior samples", "Interpolation", "Traversals",
          "Beta ladder", "Decode anywhere", "The formula", "Why log sigma", "AE → VAE conversion", "Train your own",
          "Class board"]


def open_panel(at, panel):
    at.session_state["panel"] = panel
    at.run()
    assert not at.exception, (panel, at.exception)
    assert not at.error, (panel, [e.value for e in at.error])
    return at


DEFAULT_VAE = "mnist-vae-z8"  # the default page's VAE (app.DEFAULT_PAIR)


def expected_kl_text(values) -> dict[float, str]:
    """What the KL must read on the default page (mnist, D=8, test #0) for each mu_0."""
    vm = vae.load_pretrained(DEFAULT_VAE)
    mu0, sigma0 = explore.encode(vm, vae.load_dataset(vm.card.dataset, "test").images[0].numpy())
    return {v: f"{explore.kl_nats(np.concatenate([[v], mu0[1:]]), sigma0).sum():.3f}" for v in values}


# ---- uploads ----


def png_bytes(array) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def uploader(at):
    """The sidebar's file uploader (its key changes when it is emptied: upload_0, upload_1, ...)."""
    (widget,) = [u for u in at.get("file_uploader") if u.key.startswith("upload_")]
    return widget


def upload(at, name: str, data: bytes) -> AppTest:
    return uploader(at).set_value((name, data, "image/png")).run()


def one_on_paper() -> bytes:
    digit = np.full((40, 40), 255, dtype=np.uint8)
    digit[8:32, 18:23] = 0
    return png_bytes(digit)
