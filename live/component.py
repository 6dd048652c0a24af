"""The explorer's interactive core, in the browser: a components-v2 component (live/js/, ES
modules) that owns the mu and sigma sliders, the pictures and the readouts, and redraws them on every
input event without asking the server.

The server keeps the truth. The explorer commits the settled code once (on release, or after a pause
in key presses: the values a person moved) into st.session_state["mu_{d}"] / ["sigma_{d}"], and the
pad's drawing once per stroke (the input: session.chosen); the fragment's rerun redraws the open panel
and the link. Setting those keys (AppTest, a link) moves the sliders there.

The websocket carries state only: each mode's data below (a TypedDict here, a JSDoc @typedef of
the same name and fields in its module). Code, weights, the input and test codes are files the
browser fetches over HTTP and caches (routes/files.py).
"""

import functools
import json
import math
from dataclasses import fields
from typing import Literal, TypedDict

import numpy as np
import streamlit as st

from live import drawing, link
from page.models import active_units_of, split_codes, test_split
from page.state import Drawing, session
from page.view import Encoded, View
from routes import files
from vae import explore
from vae.data import drawing_pad

MU_RANGE = (-4.0, 4.0)  # about 4 prior standard deviations either side
SIGMA_RANGE = (0.01, 3.0)
MU_STEP = 0.05
LOG_SIGMA_STEP = 0.02  # the sigma slider moves log sigma (explorer.js): a step is 2% of sigma
PICTURES = ("input", "ae", "vae_z", "vae_mu")
MAP_POINTS = 1000  # test codes drawn per plane
# What Streamlit mounts: it imports the component's code, a file the browser caches, and hands over.
LOADER = """// live/component.py's loader: the code itself is live/js/, served by routes/files.py
export default function (component) {
  return import(new URL(component.data.code, location.href)).then((code) => code.default(component), (error) => {
    const says = `The explorer's code could not be loaded (${error.message}). Reload the page.`;
    component.parentElement.textContent = says;
  });
}
"""
COMPONENT = st.components.v2.component("latent_explorer", js=LOADER)


# ---- each mode's data: what the browser is sent, field by field -----------------------------------


class ModelRef(TypedDict):
    decoder: str  # URL of the model's decoder, a safetensors file with its card
    encoder: str  # URL of its trunk and heads: fetched only to encode a drawing
    name: str


class VaeRef(ModelRef):
    beta: float


class PlaneRef(ModelRef):
    codes: str  # URL of the test codes in the plane's two dimensions: {"points": (N * 2,), "labels": (N,)}


class Parts(TypedDict):
    pictures: list[str]  # of PICTURES, in order
    sliders: bool
    readouts: bool
    fold: bool  # collapsed dimensions left out
    large: bool  # presenter type


class Ranges(TypedDict):
    mu: list[list[float]]  # (D, 2) each slider's [min, max]
    sigma: list[list[float]]


class Steps(TypedDict):
    mu: float
    log_sigma: float  # the sigma slider's track is log sigma


class ExplorerData(TypedDict):
    mode: Literal["explorer"]
    server: str  # the server process that drew it (files.SERVER_ID)
    ae: ModelRef
    vae: VaeRef
    x: str  # URL of the input, (C * H * W,) float32
    shape: list[int]  # (C, H, W)
    caption: str
    encoding: str  # names the model and input: a new one moves the sliders to the encoder's output
    ae_z: list[float]  # (D,)
    mu0: list[float]  # (D,) the encoder's output
    sigma0: list[float]
    mu: list[float]  # (D,) the settled code
    sigma: list[float]
    seq: int  # the last commit the server has heard
    seed: int  # of eps
    eps: list[float]  # (D,)
    eps_next: list[float]  # (D,) the next seed's, drawn at once by Resample eps
    seeds: int  # seeds run 0 … seeds - 1, and Resample eps goes from the last to 0
    ranges: Ranges
    steps: Steps
    collapsed: list[bool]  # (D,)
    average_kl: list[float]  # (D,) nats, over the test split
    parts: Parts
    drawing_seq: int  # the last drawing the server has heard (the pad counts them)
    link_note: str  # what a link cannot carry of this view, said when copied (the link then has no sliders); or ""


class SamplesData(TypedDict):
    mode: Literal["samples"]
    server: str
    ae: ModelRef | None  # the AE's row, if shown
    vae: ModelRef
    encoding: str
    ae_z: list[float]
    mu: list[float]
    sigma: list[float]
    eps_draws: str  # URL of (K, D) float32: eps_k, fixed per seed
    k: int
    shown: int  # decodings drawn in the grid; the mean and std use all K
    cols: int
    tile: int  # px
    stats: bool  # per-pixel mean and std beside the grid
    caption: str
    large: bool
    shape: list[int]


class GalleryData(TypedDict):
    mode: Literal["gallery"]
    server: str
    images: str  # URL of (N, C, H, W) uint8: the first N test images
    captions: list[str]  # (N,) "test #i (label)"
    shape: list[int]
    chosen: int  # the test image that is the input now, if among them


class DrawData(TypedDict):
    mode: Literal["draw"]
    server: str
    shape: list[int]  # (C, H, W) of the dataset's images
    conversion: dict  # vae.data.conversion(dataset, (H, W)): how a drawing becomes an input
    pad: int  # the pad's side in its own pixels (it is drawn larger)
    brush: int  # the pen's width in the pad's pixels: a converted stroke as thick as the dataset's
    drawing: str | None  # the drawn input the page shows, as a link holds it, if the input is a drawing
    seq: int  # the last drawing the server has heard


class AnchorData(TypedDict):
    mode: Literal["anchor"]
    server: str
    scroll: bool  # scroll the page to here now (a link's first run)


class MapData(TypedDict):
    mode: Literal["map"]
    server: str
    ae: PlaneRef
    vae: PlaneRef
    encoding: str
    dims: list[int]  # the planes' two dimensions
    ae_z: list[float]  # (D,) the AE's plane starts at its own code
    mu: list[float]  # (D,) the VAE's plane starts at mu
    sigma: list[float]
    label_names: list[str]
    shape: list[int]


class BoardData(TypedDict):
    mode: Literal["board"]
    server: str
    pair: str  # the pair's slug, as a link names it: the room is made for it (POST /board/rooms)
    ae: ModelRef  # the AE's decoder decodes a point of its map, and a drawing's code
    vae: ModelRef
    dims: list[int]  # the maps' two dimensions
    label_names: list[str]  # what the judge's digits are called, by index
    shape: list[int]  # (C, H, W)
    room: str  # the room's code, from the link or this session; "" until the browser has made one
    join: str  # the absolute join address of that room, for students' devices; "" without a room
    join_note: str  # why students cannot reach join as it is, and what to do; or ""
    qr: str  # the QR code of join, <svg> markup made on the server (segno); "" without a room


# ---- the settled code: session state is the truth ------------------------------------------------


def slider_bounds(value: float, lo: float, hi: float) -> tuple[float, float]:
    """The prior's range, widened to hold any value the encoder produced."""
    return min(lo, float(value)), max(hi, float(value))


def start_state(encoding_id: str) -> None:
    """On a new model or input, the code moves to what the encoder says about it."""
    if session.encoded_for != encoding_id:
        session.reset_code()
        session.encoded_for = encoding_id


def settled_code(mu0: np.ndarray, sigma0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The settled mu and sigma (the encoder's values until moved), clipped to the sliders' ranges; every
    slider's key holds its value after this (mu_{d}, sigma_{d})."""
    mu, sigma = np.array(mu0, dtype=float), np.array(sigma0, dtype=float)
    for name, values, out, (lo, hi) in (("mu", mu0, mu, MU_RANGE), ("sigma", sigma0, sigma, SIGMA_RANGE)):
        for d in range(len(values)):
            key = f"{name}_{d}"
            out[d] = float(np.clip(session.code_value(key, values[d]), *slider_bounds(values[d], lo, hi)))
            session.set_code_value(key, out[d])
    return mu, sigma


def make_view(enc: Encoded, mu: np.ndarray, sigma: np.ndarray) -> View:
    seed = session.seed
    eps = explore.eps_for(seed, len(mu))
    encoded = {f.name: getattr(enc, f.name) for f in fields(Encoded)}
    return View(**encoded, mu=mu, sigma=sigma, seed=seed, eps=eps, z=explore.z_from(mu, sigma, eps))


def _on_code(key: str) -> None:
    """The browser's settled code, committed once per move: the values a person moved, by dimension
    ({"mu": {"3": 0.5}, "sigma": {}}); every other slider goes back to the encoder's output. Anything not
    a finite number is ignored; settled_code clips the rest to the sliders' ranges."""
    code = session.sent(key)["code"] or {}
    moved = {name: code.get(name) for name in ("mu", "sigma")}
    if not all(isinstance(values, dict) for values in moved.values()):
        return
    session.reset_code()
    for name, values in moved.items():
        for d, v in values.items():  # settled_code reads the model's dimensions only
            if str(d).isdigit() and int(d) < 1000 and isinstance(v, (int, float)) and math.isfinite(v):
                session.set_code_value(f"{name}_{int(d)}", v)
    if isinstance(code.get("seq"), int):
        session.code_seq = code["seq"]


def next_seed(seed: int) -> int:
    """The seed Resample eps draws after seed (explorer.js counts the same way)."""
    return (seed + 1) % link.SEEDS


def _on_resample(key: str) -> None:
    seed = session.sent(key)["resample"]
    if isinstance(seed, int) and 0 <= seed < link.SEEDS:
        session.seed = seed


def _on_drawing(key: str, card) -> None:
    """A stroke ended on the pad, and the explorer drew the drawing already: it is the input now. The text
    is as a link holds it, "" when the pad was emptied (the input goes back to the test image, as a class
    expects of Clear drawing); pad: the pad's count of its drawings."""
    sent = session.sent(key)["drawing"] or {}
    text, pad = sent.get("text"), sent.get("pad")
    if isinstance(text, str) and isinstance(pad, int) and (text == "" or drawing.pixels(text, card) is not None):
        session.drawing_seq = pad
        if text:
            session.choose(Drawing(text))
        elif isinstance(session.chosen, Drawing):
            session.choose(None)
    if isinstance(sent.get("seq"), int):
        session.code_seq = sent["seq"]


# ---- what goes to the browser --------------------------------------------------------------------


def live_ui(view: View, link_note: str = "", pictures=PICTURES, sliders: bool = True, readouts: bool = True,
            fold: bool = False, large: bool = False, key: str = "live") -> None:
    """Mounts the core: the chosen pictures, a row of controls per dimension (collapsed ones folded
    away with fold) and the readouts. It commits the settled code, the eps seed, and the pad's drawing
    when a stroke ends; link_note: what a link cannot carry of this view."""
    ae, vm = view.ae, view.vm
    data: ExplorerData = {
        "mode": "explorer", "server": files.SERVER_ID,
        "ae": {**files.model_urls(ae), "name": ae.card.name},
        "vae": {**files.model_urls(vm), "name": vm.card.name, "beta": vm.card.beta},
        "x": files.publish_floats(view.x), "shape": list(vm.card.image_shape), "caption": view.caption,
        "encoding": session.encoded_for,
        "ae_z": _list(view.ae_z), "mu0": _list(view.mu0), "sigma0": _list(view.sigma0),
        "mu": _list(view.mu), "sigma": _list(view.sigma), "seq": session.code_seq,
        "seed": view.seed, "eps": _list(view.eps), "eps_next": _list(explore.eps_for(next_seed(view.seed), view.dim)),
        "seeds": link.SEEDS,
        "ranges": {"mu": [list(slider_bounds(m, *MU_RANGE)) for m in view.mu0],
                   "sigma": [list(slider_bounds(s, *SIGMA_RANGE)) for s in view.sigma0]},
        "steps": {"mu": MU_STEP, "log_sigma": LOG_SIGMA_STEP},
        "collapsed": [not a for a in active_units_of(vm).tolist()],
        "average_kl": vm.card.metrics.get("kl_per_dim_nats", [0.0] * view.dim),
        "parts": {"pictures": list(pictures), "sliders": sliders, "readouts": readouts, "fold": fold, "large": large},
        "drawing_seq": session.drawing_seq, "link_note": link_note,
    }
    callbacks = {"code": _on_code, "resample": _on_resample,
                 "drawing": functools.partial(_on_drawing, card=vm.card)}
    _mount(key, data, **{f"on_{event}_change": functools.partial(handler, key) for event, handler in callbacks.items()})


def samples_ui(view: View, k: int, caption: str, shown: int, cols: int = 8, tile: int = 56, ae_row: bool = True,
               large: bool = False, key: str = "samples") -> None:
    """K decodings of the same input, drawn in the browser from the explorer's code as it moves: the
    VAE's z_k = mu + sigma * eps_k (eps fixed per seed) and, with ae_row, the AE's one z, each with
    its per-pixel mean and std."""
    data: SamplesData = {
        "mode": "samples", "server": files.SERVER_ID,
        "ae": {**files.model_urls(view.ae), "name": view.ae.card.name} if ae_row else None,
        "vae": {**files.model_urls(view.vm), "name": view.vm.card.name},
        "encoding": session.encoded_for,
        "ae_z": _list(view.ae_z), "mu": _list(view.mu), "sigma": _list(view.sigma),
        "eps_draws": files.publish_floats(view.sample_eps(k)), "k": k, "shown": min(shown, k), "cols": cols,
        "tile": tile, "stats": ae_row, "caption": caption, "large": large, "shape": list(view.vm.card.image_shape),
    }
    _mount(key, data)


def map_ui(view: View, dims: tuple[int, int], key: str = "map") -> None:
    """Two latent planes, the AE's and the VAE's: test codes by label, the prior's circles, and on
    each the point its model gives this input, to drag; each decoder decodes its own point live."""
    ae, vm = view.ae, view.vm
    data: MapData = {
        "mode": "map", "server": files.SERVER_ID,
        "ae": {**files.model_urls(ae), "name": ae.card.name, "codes": _codes_url(ae, dims)},
        "vae": {**files.model_urls(vm), "name": vm.card.name, "codes": _codes_url(vm, dims)},
        "encoding": session.encoded_for, "dims": list(dims),
        "ae_z": _list(view.ae_z), "mu": _list(view.mu), "sigma": _list(view.sigma),
        "label_names": list(test_split(vm.card).label_names), "shape": list(vm.card.image_shape),
    }
    _mount(key, data)


GALLERY_SIZE = 48


def gallery_ui(data, chosen: int, on_pick, key: str = "gallery_live") -> None:
    """The first GALLERY_SIZE images of a test split as thumbnails; a click calls on_pick(index)."""
    shown = range(min(GALLERY_SIZE, len(data)))
    pixels = np.round(data.images[: len(shown)].numpy() * 255).astype(np.uint8)
    gallery: GalleryData = {
        "mode": "gallery", "server": files.SERVER_ID, "images": files.publish(pixels.tobytes(), "u8"),
        "captions": [f"test #{i} ({data.label_names[data.labels[i]]})" for i in shown],
        "shape": list(data.image_shape), "chosen": chosen,
    }

    def picked() -> None:
        index = session.sent(key)["pick"]
        if isinstance(index, int) and 0 <= index < len(shown):
            on_pick(index)

    _mount(key, gallery, on_pick_change=picked)


def draw_ui(card, key: str = "draw") -> None:
    """The drawing pad for the dataset of card: the explorer encodes its drawing as it is drawn, and
    commits it when a stroke ends."""
    _, h, w = card.image_shape
    chosen = session.chosen
    pad: DrawData = {
        "mode": "draw", "server": files.SERVER_ID, "shape": list(card.image_shape),
        **drawing_pad(card.dataset, (h, w)), "drawing": chosen.text if isinstance(chosen, Drawing) else None,
        "seq": session.drawing_seq,
    }
    _mount(key, pad)


def board_ui(ae, vm, pair: str, dims: tuple[int, int], room: str, join: str, join_note: str, qr: str,
             on_room, key: str = "board") -> None:
    """The class board's teacher side, for the pair's AE ae and VAE vm: the room for the pair (the browser
    makes it, and keeps its key), its join address and QR code, and both maps with the class's drawings, live
    from the room's events. on_room(code) hears the room the browser made or found."""
    data: BoardData = {
        "mode": "board", "server": files.SERVER_ID, "pair": pair,
        "ae": {**files.model_urls(ae), "name": ae.card.name},
        "vae": {**files.model_urls(vm), "name": vm.card.name},
        "dims": list(dims), "label_names": list(test_split(vm.card).label_names),
        "shape": list(vm.card.image_shape),
        "room": room, "join": join, "join_note": join_note, "qr": qr,
    }

    def made() -> None:
        code = (session.sent(key)["room"] or {}).get("code")
        if isinstance(code, str):
            on_room(code)

    _mount(key, data, on_room_change=made)


def anchor_ui(scroll: bool, key: str = "anchor") -> None:
    """Where the panels begin: the page scrolls here when scroll is set (a link that names a panel). It is
    on the page on every run, so that nothing below it moves when it has done its work."""
    anchor: AnchorData = {"mode": "anchor", "server": files.SERVER_ID, "scroll": scroll}
    _mount(key, anchor)


def _mount(key: str, data: dict, **callbacks) -> None:
    """The component with its state; the loader imports the code (a cached file) from data["code"]."""
    # two keys: Streamlit looks for a dataframe in every top-level value of data, ~0.1 ms each
    COMPONENT(key=key, data={"code": files.code_url(), "live": data}, **callbacks)


def _codes_url(model, dims: tuple[int, int]) -> str:
    """Test codes in two dimensions, (N * 2,) flat, and their labels (N,), for MAP_POINTS test images.
    Published on every mount, as every file a page is sent, so that it is kept while pages use it."""
    codes, _ = split_codes(model)
    data = test_split(model.card)
    shown = np.arange(len(data))[:: max(1, len(data) // MAP_POINTS)]
    points = np.round(codes[shown][:, list(dims)], 3).ravel().tolist()
    return files.publish(json.dumps({"points": points, "labels": data.labels[shown].tolist()}).encode(), "json")


def _list(a) -> list[float]:
    return [float(v) for v in np.asarray(a).ravel()]
