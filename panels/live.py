"""The explorer's interactive core, in the browser: a components-v2 component (live.js, decoding
with decoder.js) that owns the mu and sigma sliders, the pictures and the readouts, and redraws
them on every input event without asking the server.

The server keeps the truth. The component commits the settled code once (on release, or after a
pause in key presses) into st.session_state["mu_{d}"] / ["sigma_{d}"], and the fragment's rerun
redraws the open panel and the link. Setting those keys (AppTest, a link) moves the sliders there.
Weights, the input and test codes go to the browser once per page (see _fresh), not per rerun.
"""

import base64
import functools
import hashlib
import itertools
import json
import math
import weakref
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import streamlit as st

from vae import explore
from vae.checkpoints import checkpoint_bytes

from .shared import Encoded, View, active_units_of, split_codes, test_split

MU_RANGE = (-4.0, 4.0)  # about 4 prior standard deviations either side
SIGMA_RANGE = (0.01, 3.0)
MU_STEP, SIGMA_STEP = 0.05, 0.01
PICTURES = ("input", "ae", "vae_z", "vae_mu")
PAD_POINTS = 1000  # test codes drawn per plane

HERE = Path(__file__).parent
# decoder.js, live.js and live.css make one ES module, the component's code: joined here, as there is
# no build step. Streamlit mounts loader.js, which imports this code once per page, sent as data.
JS = "\n".join([(HERE / "decoder.js").read_text(), (HERE / "live.js").read_text(),
                 f"const STYLE = {json.dumps((HERE / 'live.css').read_text())};"])
CODE_ID = f"code:{hashlib.sha256(JS.encode()).hexdigest()[:16]}"
COMPONENT = st.components.v2.component("latent_explorer", js=(HERE / "loader.js").read_text())


# ---- the settled code: session state is the truth ------------------------------------------------


def slider_bounds(value: float, lo: float, hi: float) -> tuple[float, float]:
    """The prior's range, widened to hold any value the encoder produced."""
    return min(lo, float(value)), max(hi, float(value))


def reset_code(mu0: np.ndarray, sigma0: np.ndarray) -> None:
    for d, (m, s) in enumerate(zip(mu0, sigma0)):
        st.session_state[f"mu_{d}"] = float(m)
        st.session_state[f"sigma_{d}"] = float(s)


def start_state(encoding_id: str, mu0: np.ndarray, sigma0: np.ndarray) -> None:
    """On a new model or input, the code moves to what the encoder says about it."""
    st.session_state.setdefault("seed", 0)
    if st.session_state.get("encoded_for") != encoding_id:
        reset_code(mu0, sigma0)
        st.session_state.encoded_for = encoding_id


def settled_code(mu0: np.ndarray, sigma0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The settled mu and sigma (the encoder's values until moved), clipped to the sliders' ranges."""
    mu, sigma = np.array(mu0, dtype=float), np.array(sigma0, dtype=float)
    for name, values, out, (lo, hi) in (("mu", mu0, mu, MU_RANGE), ("sigma", sigma0, sigma, SIGMA_RANGE)):
        for d in range(len(values)):
            key = f"{name}_{d}"
            st.session_state[key] = out[d] = float(np.clip(st.session_state.get(key, values[d]),
                                                           *slider_bounds(values[d], lo, hi)))
    return mu, sigma


def make_view(enc: Encoded, mu: np.ndarray, sigma: np.ndarray) -> View:
    seed = st.session_state.seed
    eps = explore.eps_for(seed, len(mu))
    encoded = {f.name: getattr(enc, f.name) for f in fields(Encoded)}
    return View(**encoded, mu=mu, sigma=sigma, seed=seed, eps=eps, z=explore.z_from(mu, sigma, eps))


def _on_code(key: str) -> None:
    """The browser's settled code, committed once per move. Anything not a finite number is ignored;
    settled_code clips the rest to the sliders' ranges."""
    code = st.session_state[key]["code"] or {}
    mu, sigma = code.get("mu"), code.get("sigma")
    if not (isinstance(mu, list) and isinstance(sigma, list)):
        return
    for name, values in (("mu", mu), ("sigma", sigma)):
        for d, v in enumerate(values):
            if isinstance(v, (int, float)) and math.isfinite(v) and f"{name}_{d}" in st.session_state:
                st.session_state[f"{name}_{d}"] = float(v)
    if isinstance(code.get("seq"), int):
        st.session_state.code_seq = code["seq"]


def _on_resample(key: str) -> None:
    seed = st.session_state[key]["resample"]
    if isinstance(seed, int) and 0 <= seed < 2**31:
        st.session_state.seed = seed


def _on_missing(key: str) -> None:
    """The page lacks blobs it was sent (a rerun it never drew): send them again."""
    st.session_state.setdefault("sent_blobs", set()).difference_update(st.session_state[key]["missing"] or [])


def _callbacks(key: str) -> dict:
    return {f"on_{event}_change": functools.partial(handler, key)
            for event, handler in (("code", _on_code), ("resample", _on_resample), ("missing", _on_missing))}


# ---- what goes to the browser --------------------------------------------------------------------


def live_ui(view: View, pictures=PICTURES, sliders: bool = True, readouts: bool = True, fold: bool = False,
            large: bool = False, key: str = "live") -> None:
    """Mounts the core: the chosen pictures, a row of controls per dimension (collapsed ones folded
    away with fold) and the readouts."""
    ae, vm = view.ae, view.vm
    ae_weights, vae_weights, x = _weights(ae), _weights(vm), _floats("x", view.x)
    active = active_units_of(vm)
    _mount(key, {
        "mode": "explorer",
        "blobs": _fresh(dict([ae_weights, vae_weights, x])),
        "ae": {"weights": ae_weights[0], "name": ae.card.name},
        "vae": {"weights": vae_weights[0], "name": vm.card.name, "beta": vm.card.beta},
        "x": x[0], "shape": list(vm.card.image_shape), "caption": view.caption,
        "encoding": st.session_state.get("encoded_for"), "dim": view.dim,
        "ae_z": _list(view.ae_z), "mu0": _list(view.mu0), "sigma0": _list(view.sigma0),
        "code": {"mu": _list(view.mu), "sigma": _list(view.sigma)}, "seq": st.session_state.get("code_seq", 0),
        "seed": view.seed, "eps": _list(view.eps), "eps_next": _list(explore.eps_for(view.seed + 1, view.dim)),
        "ranges": {"mu": [slider_bounds(m, *MU_RANGE) for m in view.mu0],
                   "sigma": [slider_bounds(s, *SIGMA_RANGE) for s in view.sigma0]},
        "steps": {"mu": MU_STEP, "sigma": SIGMA_STEP},
        "collapsed": [not a for a in active.tolist()],
        "average_kl": vm.card.metrics.get("kl_per_dim_nats", [0.0] * view.dim),
        "parts": {"pictures": list(pictures), "sliders": sliders, "readouts": readouts, "fold": fold, "large": large},
    })


def samples_ui(view: View, k: int, caption: str, shown: int, cols: int = 8, tile: int = 56, ae_row: bool = True,
               large: bool = False, key: str = "samples") -> None:
    """K decodings of the same input, drawn in the browser from the explorer's code as it moves: the
    VAE's z_k = mu + sigma * eps_k (eps fixed per seed, sent here) and, with ae_row, the AE's one z,
    each with its per-pixel mean and std."""
    vae_weights = _weights(view.vm)
    blobs = dict([vae_weights])
    ae = None
    if ae_row:
        ae_weights = _weights(view.ae)
        blobs |= dict([ae_weights])
        ae = {"weights": ae_weights[0], "name": view.ae.card.name, "z": _list(view.ae_z)}
    _mount(key, {
        "mode": "samples", "blobs": _fresh(blobs), "ae": ae,
        "vae": {"weights": vae_weights[0], "name": view.vm.card.name},
        "eps": _list(view.sample_eps(k)), "k": k, "shown": min(shown, k), "cols": cols, "tile": tile,
        "stats": ae_row, "caption": caption, "large": large, "shape": list(view.vm.card.image_shape),
        "code": {"mu": _list(view.mu), "sigma": _list(view.sigma)}, "encoding": st.session_state.get("encoded_for"),
    })


def pad_ui(view: View, dims: tuple[int, int], key: str = "pad") -> None:
    """Two latent planes, the AE's and the VAE's: test codes by label, the prior's circles, and one
    point to drag; each decoder decodes it live."""
    ae, vm = view.ae, view.vm
    data = test_split(vm.card)
    shown = np.arange(len(data))[:: max(1, len(data) // PAD_POINTS)]
    blobs, planes = {}, {}
    for which, model, base, title in (("ae", ae, view.ae_z, f"AE: z = f(y) ({ae.card.name})"),
                                      ("vae", vm, view.mu, f"VAE: mu ({vm.card.name})")):
        weights, codes = _weights(model), _codes(model, tuple(dims), shown)
        blobs |= dict([weights, codes])
        planes[which] = {"weights": weights[0], "codes": codes[0], "base": _list(base), "title": title}
    _mount(key, {
        "mode": "pad", "blobs": _fresh(blobs), **planes, "dims": list(dims), "shape": list(vm.card.image_shape),
        "start": [float(view.mu[dims[0]]), float(view.mu[dims[1]])], "sigma": _list(view.sigma),
        "encoding": st.session_state.get("encoded_for"),
    })


def _mount(key: str, data: dict) -> None:
    """The component, with its code for a page that has not had it yet (loader.js imports it)."""
    fresh = _fresh({CODE_ID: lambda: JS})  # the code is sent as a blob is: once per page
    module = {"id": CODE_ID, "text": fresh[CODE_ID]} if fresh else {"id": CODE_ID}
    # two keys: Streamlit looks for a dataframe in every top-level value of data, ~0.1 ms each
    COMPONENT(key=key, data={"module": module, "live": data}, **_callbacks(key))


def _fresh(blobs: dict[str, Callable[[], dict]]) -> dict:
    """The blobs this page has not been sent yet, made now; the others travel as their ids alone."""
    sent = st.session_state.setdefault("sent_blobs", set())
    fresh = {k: make() for k, make in blobs.items() if k not in sent}
    sent.update(fresh)
    return fresh


# A blob is (id, a function that makes {"type": ..., "data": ...}); its id names its content, so a
# page never holds two versions under one id.
_MODEL_IDS = weakref.WeakKeyDictionary()  # model -> a number no other model in this server ever gets
_NEXT_ID = itertools.count()


def _weights(model) -> tuple[str, Callable[[], dict]]:
    """The decoder's weights file, made only for a page that lacks it (~5 ms for MNIST) rather than
    kept for every model in the server's memory."""
    def make() -> dict:
        data = base64.b64encode(checkpoint_bytes(model, prefix="decoder.")).decode()
        return {"type": "safetensors", "name": model.card.name, "data": data}

    return f"weights:{model.card.name}:{_model_id(model)}", make


def _model_id(model) -> int:
    if model not in _MODEL_IDS:
        _MODEL_IDS[model] = next(_NEXT_ID)
    return _MODEL_IDS[model]


def _floats(prefix: str, array: np.ndarray) -> tuple[str, Callable[[], dict]]:
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    return f"{prefix}:{_digest(data)}", lambda: {"type": "float32", "data": base64.b64encode(data).decode()}


def _codes(model, dims: tuple[int, int], shown: np.ndarray) -> tuple[str, Callable[[], dict]]:
    """Test codes in two dimensions, (N * 2,) flat, and their labels (N,)."""
    def make() -> dict:
        codes, _ = split_codes(model)
        points = np.round(codes[shown][:, list(dims)], 3).ravel().tolist()
        return {"type": "json", "data": {"points": points, "labels": test_split(model.card).labels[shown].tolist()}}

    return f"codes:{model.card.name}:{_model_id(model)}:{dims[0]},{dims[1]}", make


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _list(a) -> list[float]:
    return [float(v) for v in np.asarray(a).ravel()]
