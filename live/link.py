"""The whole view in the URL, so a link reproduces what the teacher shows.

Reading is strict: every value is checked, and anything unusable (unknown key or model, a number
that is NaN, infinite, out of range or not a number, a value too long) falls back to its
default, and is named in a short notice, as inline code: a link's text is never read as Markdown (no
link or image of a stranger's in the page's own notice). Keys the page does not know are named too (a
mistyped one), except the trackers a site adds to links it passes on. Writing is canonical: the
choices, plus each mu_d and sigma_d that differs from the encoder's output (the rest follow from the
input).
"""

import math
import re

from live import drawing
from page.state import Drawing, Input, Upload
from page.text import signed

MAX_VALUE_LENGTH = 64
CHOICE_KEYS = ("pair", "vae", "index", "seed", "panel", "presenter", "step", "draw", "board")
ROOM_CODE = re.compile(r"[A-HJ-NP-Z2-9]{6}")  # a class board's room: 6 of A-Z and 2-9, without I and O
CODE_KEY = re.compile(r"^(mu|sigma)_(\d{1,3})$")
SEEDS = 2**53  # eps seeds: whole numbers a browser counts exactly, so Resample eps can count on from any
TRACKER_KEY = re.compile(r"^(utm_\w+|fbclid|gclid|msclkid|mc_eid)$")  # added by the sites a link passes through


def read_choices(params: dict, pairs: dict, variants_of, test_size_of, panels, steps: int,
                 default_pair: str | None = None, is_drawing=lambda label, text: False):
    """Checks the URL's choices. pairs: slug -> pair label; variants_of(label) -> VAE names;
    test_size_of(label) -> test-split size; is_drawing(label, text): whether text is a drawn input for
    the pair; without a usable pair, vae, index and draw are checked against default_pair.
    Returns ({session key: value}, [notice])."""
    good, bad = {}, []
    unknown = [k for k in params if k not in CHOICE_KEYS and not CODE_KEY.match(k) and not TRACKER_KEY.match(k)]
    if unknown:
        bad.append(f"unknown {', '.join(shown(k) for k in sorted(unknown)[:5])} (not a setting of this page)")
    values = {k: str(params[k]) for k in CHOICE_KEYS if k in params}
    for key, value in list(values.items()):
        if len(value) > (drawing.MAX_LENGTH if key == "draw" else MAX_VALUE_LENGTH):
            bad.append(f"{key} (too long)")
            del values[key]
    label = pairs.get(values.get("pair", ""))
    if "pair" in values and label is None:
        bad.append(f"pair {shown(values['pair'])} (no such model pair)")
    if label is not None:
        good["pair"] = label
    label = label or default_pair
    if "vae" in values:
        if label is not None and values["vae"] in variants_of(label):
            good["vae"] = values["vae"]
        else:
            bad.append(f"vae {shown(values['vae'])} (not a VAE of this pair)")
    for key, hi in (("index", test_size_of(label) if label else None), ("seed", SEEDS), ("step", steps)):
        if key not in values:
            continue
        n = as_int(values[key])
        low = 1 if key == "step" else 0
        if n is None or hi is None or not low <= n < hi + (key == "step"):
            bad.append(f"{key} {shown(values[key])} (not a whole number in range)")
        else:
            good[key] = n
    if "panel" in values:
        if values["panel"] in panels:
            good["panel"] = values["panel"]
        else:
            bad.append(f"panel {shown(values['panel'])} (no such panel)")
    if "draw" in values:
        if label is not None and is_drawing(label, values["draw"]):
            good["draw"] = values["draw"]
        else:
            bad.append("draw (not a drawing for this pair)")
    if "board" in values:
        if ROOM_CODE.fullmatch(values["board"].upper()):
            good["board"] = values["board"].upper()
        else:
            bad.append(f"board {shown(values['board'])} (not a room code: 6 of A–Z and 2–9, without I and O)")
    if "presenter" in values:
        if values["presenter"] in ("0", "1"):
            good["presenter"] = values["presenter"] == "1"
        else:
            bad.append(f"presenter {shown(values['presenter'])} (0 or 1)")
    return good, bad


def read_code(params: dict, bounds: dict):
    """Checks mu_d and sigma_d against bounds: {key: (lo, hi)} for this model's sliders.
    Returns ({key: value}, [notice])."""
    good, bad = {}, []
    for key in sorted(k for k in params if CODE_KEY.match(k)):
        value = str(params[key])
        if key not in bounds:
            bad.append(f"{key} (this model has no such dimension)")
            continue
        x = as_float(value) if len(value) <= MAX_VALUE_LENGTH else None
        lo, hi = bounds[key]
        if x is None or not lo <= x <= hi:
            bad.append(f"{key} {shown(value)} (not a number in {signed(lo, '.2f')} … {signed(hi, '.2f')})")
        else:
            good[key] = x
    return good, bad


def shown(value: str) -> str:
    """A link's text as it may appear in a notice: inline code (Markdown inside it stays text), cut short."""
    text = re.sub(r"[`\s]+", " ", value[:20]).strip() + ("…" if len(value) > 20 else "")
    return f"`{text}`" if text else "(empty)"


def as_int(value: str) -> int | None:
    return int(value) if re.fullmatch(r"\d{1,16}", value) else None


def as_float(value: str) -> float | None:
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def write(choices: dict, shown: Input, mu, sigma, mu0, sigma0) -> dict[str, str]:
    """The query string for a view of the input shown: the choices, the drawing if that is the input, and
    each slider that differs from the encoder's output. An upload cannot travel: the link opens the test
    image at its own encoding (note says so)."""
    out = {k: str(int(v) if isinstance(v, bool) else v) for k, v in choices.items() if v is not None}
    if isinstance(shown, Drawing):
        out["draw"] = shown.text
    if isinstance(shown, Upload):
        return out
    for name, values, start in (("mu", mu, mu0), ("sigma", sigma, sigma0)):
        for d, (v, v0) in enumerate(zip(values, start)):
            if abs(float(v) - float(v0)) > 1e-9:  # as explorer.js's link part: moved by a person
                out[f"{name}_{d}"] = repr(float(v))  # the shortest text that reads back exactly
    return out


def note(shown: Input, trained: bool, index: int) -> str:
    """What a link to this view cannot carry, and what it opens instead; "" when it carries the whole view."""
    if trained:
        return "a pair trained in your session cannot travel in a link: it opens the app's default pair"
    if isinstance(shown, Upload):
        return f"an uploaded image cannot travel in a link: it opens test image #{index}, at its encoder's output"
    return ""
