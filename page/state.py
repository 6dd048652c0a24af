"""One browser session's state: every key this page keeps in st.session_state, named and typed here once.

`session` is the only door to st.session_state in the page and its panels. A field is one key, so that
Streamlit's widgets (bound by key) and tests (AppTest's session_state) see the same values; the settled code
is the keys mu_{d} and sigma_{d} (DESIGN.md's contract). The input is a typed value, not a string.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

import streamlit as st

T = TypeVar("T")
CODE_KEY = re.compile(r"^(mu|sigma)_\d+$")  # a settled slider: mu_{d}, sigma_{d}


# ---- the input -------------------------------------------------------------------------------------


# Each names itself (`name`): with a model's name, that names an encoding (the browser names a drawing's so too).


@dataclass(frozen=True)
class TestImage:
    __test__ = False  # not a test class, for pytest
    index: int  # in the test split of the pair's dataset

    @property
    def name(self) -> str:
        return f"test:{self.index}"


@dataclass(frozen=True, eq=False)
class Upload:
    filename: str
    data: bytes

    @cached_property
    def sha(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]

    @property
    def name(self) -> str:
        return f"upload:{self.sha}"


@dataclass(frozen=True)
class Drawing:
    text: str  # as a link holds it (live/drawing.py: base64url, 4 bits a pixel)

    @property
    def name(self) -> str:
        return f"drawing:{self.text}"


Input = TestImage | Upload | Drawing


# ---- the session -----------------------------------------------------------------------------------


class Field(Generic[T]):
    """One session key, read with its default until it is set."""

    def __init__(self, default: T):
        self.default = default

    def __set_name__(self, owner, name: str) -> None:
        self.key = name

    def __get__(self, obj, owner=None) -> T:
        return st.session_state.get(self.key, self.default)

    def __set__(self, obj, value: T) -> None:
        st.session_state[self.key] = value


class Session:
    # widgets, bound by these keys: the sidebar, the panel selector, presenter mode
    pair = Field[str | None](None)  # the pair selector's label
    vae = Field[str | None](None)  # the VAE of the pair's beta ladder, by name
    index = Field(0)  # the test image's number
    panel = Field[str | None](None)
    presenter = Field(False)
    step = Field(1)  # presenter mode's step, from 1

    # the input: a test image (index) unless an upload or a drawing was chosen last
    chosen = Field[Upload | Drawing | None](None)
    upload_gen = Field(0)  # names the uploader: a new one is empty, as it is after every file taken
    upload_error = Field[str | None](None)  # why the last file was refused, said beside the uploader
    input_caption = Field("the test image")  # what the input is, for a refusal's sentence

    # the code: mu_{d} and sigma_{d} (below), the eps seed, and what the browser last told
    seed = Field(0)
    encoded_for = Field("")  # model/input the code was set for: a new one resets the sliders
    code_seq = Field(0)  # the last commit the server has heard
    drawing_seq = Field(0)  # the last drawing the server has heard

    # the link: read once per session, choices first, then the code once the encoder has spoken
    link_read = Field[str | None](None)  # None, "choices", "done"
    scroll_to_panel = Field(False)

    # models: one trained on the page, and the pair presenter mode switched from
    trained = Field[dict | None](None)  # {"ae": model, "vae": model}
    training_done = Field[dict | None](None)  # {"report": ..., "history": ...}
    show_trained = Field(False)  # the sidebar switches to the trained pair on the next run
    pair_kept = Field[tuple | None](None)  # (pair, vae) before presenter mode switched size
    prior_seed = Field(0)
    board_room = Field("")  # the class board's room this page shows (its code), from the browser or a link

    def choose(self, chosen: "Upload | Drawing | None") -> None:
        """The input's source, chosen last (None: the test image); a refusal's note goes."""
        self.upload_error = None
        self.chosen = chosen

    # ---- the settled code ----

    def code_value(self, key: str, default: float) -> float:
        """One slider's settled value by its key (mu_3): the encoder's output (default) until moved."""
        return st.session_state.get(key, default)

    def set_code_value(self, key: str, value: float) -> None:
        st.session_state[key] = float(value)

    def reset_code(self) -> None:
        """Every slider back to the encoder's output."""
        for key in [k for k in st.session_state if CODE_KEY.match(k)]:
            del st.session_state[key]

    # ---- what a component or widget sent ----

    def sent(self, key: str) -> Any:
        return st.session_state.get(key)

    # ---- panel widgets' memory: Streamlit forgets a widget's state while its panel is not drawn ----

    def kept(self, key: str, default):
        return st.session_state.get(f"kept_{key}", default)

    def keep(self, key: str, value):
        st.session_state[f"kept_{key}"] = value
        return value


session = Session()
