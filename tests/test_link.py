"""Shareable state: a link reproduces the view; a mangled, partial or hostile one falls back."""

import math
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pagetest import APP, code, kl_value, mounted, set_code, start
from streamlit.testing.v1 import AppTest

from live import link
from page.main import PANELS
from page.state import Drawing, TestImage, Upload

PAIRS = {"digits-z8": "digits, D=8", "digits-z2": "digits, D=2"}


def read(params):
    return link.read_choices(params, PAIRS, variants_of=lambda label: {"digits, D=8": ["digits-vae-z8",
                             "digits-vae-z8-b4"], "digits, D=2": ["digits-vae-z2"]}[label],
                             test_size_of=lambda label: 360, panels=["Latent map"], steps=5,
                             default_pair="digits, D=2")


def test_read_choices_keeps_good_values_and_names_bad_ones():
    good, bad = read({"pair": "digits-z8", "vae": "digits-vae-z8-b4", "index": "7", "seed": "3", "panel": "Latent map",
                      "presenter": "1", "step": "5"})
    assert good == {"pair": "digits, D=8", "vae": "digits-vae-z8-b4", "index": 7, "seed": 3, "panel": "Latent map",
                    "presenter": True, "step": 5}
    assert bad == []
    good, bad = read({"pair": "mnist-z99", "vae": "x", "index": "-1", "seed": "nan", "panel": "<script>",
                      "presenter": "yes", "step": "0", "evil": "1", "mu_0": "2"})
    assert good == {}
    assert [b.split()[0] for b in bad] == ["unknown", "pair", "vae", "index", "seed", "step", "panel", "presenter"]


MARKDOWN = ["[Log in here](http://evil.example/login)", "![pixel](http://127.0.0.1:9/t.png)", "**HACKED**",
            "`x` [a](b) `y`", ":red[alarm]", "<b>x</b>", "$x^2$", "http://evil.example/"]


def test_a_links_text_reaches_its_notice_only_as_inline_code():
    for text in MARKDOWN:
        _, bad = read({"pair": text, "vae": text, "index": text, "panel": text, text: "1"})
        code, more = link.read_code({"mu_0": text}, {"mu_0": (-4.0, 4.0)})
        assert len(bad) == 5 and len(more) == 1, text
        for notice in bad + more:
            outside = re.sub(r"`[^`]*`", "", notice)  # what Markdown would read; inside a code span is text
            assert not any(mark in outside for mark in ("](", "**", "[", "<", "$", "http", ":red")), notice
            assert outside.count("`") == 0, notice
    assert more == ["mu_0 `http://evil.example/` (not a number in −4.00 … 4.00)"]
    assert link.shown("[Log in here](http://evil.example/login)") == "`[Log in here](http:/…`"


def test_trackers_a_site_adds_to_a_link_are_ignored_and_a_mistyped_key_is_named():
    assert read({"utm_source": "x", "fbclid": "y", "gclid": "z", "index": "4"}) == ({"index": 4}, [])
    assert read({"indx": "4"}) == ({}, ["unknown `indx` (not a setting of this page)"])


def test_a_link_takes_any_seed_the_browser_counts_exactly():
    assert read({"seed": str(2**53 - 1)}) == ({"seed": 2**53 - 1}, [])
    assert read({"seed": str(2**53)})[0] == {}


def test_without_a_pair_vae_and_index_are_checked_against_the_default_pair():
    good, bad = read({"index": "5", "vae": "digits-vae-z8"})
    assert good == {"index": 5} and bad == ["vae `digits-vae-z8` (not a VAE of this pair)"]
    assert read({"vae": "digits-vae-z2"}) == ({"vae": "digits-vae-z2"}, [])


def test_read_code_checks_numbers_and_bounds():
    bounds = {"mu_0": (-4.0, 4.0), "sigma_0": (0.01, 3.0)}
    good, bad = link.read_code({"mu_0": "1.5", "sigma_0": "inf", "mu_9": "0"}, bounds)
    assert good == {"mu_0": 1.5} and len(bad) == 2
    for hostile in ("nan", "-inf", "1e308", "1e999", "0x10", "", " ", "1" * 100, "4.0001", "abc", "None"):
        good, bad = link.read_code({"mu_0": hostile}, bounds)
        assert good == {} and len(bad) == 1, hostile


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(list(link.CHOICE_KEYS) + ["mu_0", "sigma_1", "zzz"]), st.text(max_size=80)))
def test_any_query_string_reads_without_error_and_only_valid_values_pass(params):
    good, bad = read(params)
    assert set(good) <= set(link.CHOICE_KEYS)
    code, more = link.read_code(params, {"mu_0": (-4.0, 4.0), "sigma_1": (0.01, 3.0)})
    assert all(math.isfinite(v) and -4 <= v <= 4 for k, v in code.items() if k == "mu_0")
    assert all(0.01 <= v <= 3 for k, v in code.items() if k == "sigma_1")


def test_the_link_writes_only_what_differs_and_reads_back_exactly():
    mu0, sigma0 = np.array([0.1, 0.2]), np.array([0.5, 0.6])
    choices = {"pair": "digits-z2", "seed": 4, "presenter": False}
    params = link.write(choices, TestImage(0), np.array([0.1, 0.2 + 1 / 3]), sigma0, mu0, sigma0)
    assert params == {"pair": "digits-z2", "seed": "4", "presenter": "0", "mu_1": repr(0.2 + 1 / 3)}
    assert link.read_code(params, {"mu_1": (-4, 4)})[0] == {"mu_1": 0.2 + 1 / 3}
    drawn = link.write(choices, Drawing("AB"), np.array([0.1, 0.2]), sigma0, mu0, sigma0)
    assert drawn == {"pair": "digits-z2", "seed": "4", "presenter": "0", "draw": "AB"}  # no slider moved
    uploaded = link.write(choices, Upload("a.png", b"x"), np.array([0.3, 0.2]), sigma0, mu0, sigma0)
    assert uploaded == {"pair": "digits-z2", "seed": "4", "presenter": "0"}  # the upload's code is not the link's


def test_url_round_trip_reproduces_the_view():
    at = start("digits, D=8")
    at.selectbox(key="vae").set_value("digits-vae-z8-b0.1").run()
    at.number_input(key="index").set_value(42).run()
    set_code(at, mu_1=1.25)
    set_code(at, sigma_3=2.5)
    at.session_state["seed"] = 1  # what "Resample eps" in the browser commits
    at.session_state["panel"] = "Traversals"
    at.run()
    params = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert params["pair"] == "digits-z8" and params["index"] == "42" and params["panel"] == "Traversals"

    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params.update(params)
    again.run()
    assert not again.exception and not again.warning
    for key in ("pair", "vae", "index", "seed", "panel"):
        assert again.session_state[key] == at.session_state[key], key
    np.testing.assert_array_equal(code(again), code(at))
    assert kl_value(again) == kl_value(at)


HOSTILE = ["nan", "inf", "-1", "1e999", "digits-z2", "digits-vae-z8", "Latent map", "9" * 40, "' OR 1=1 --",
           "<img src=x>"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["pair", "vae", "index", "seed", "panel", "mu_0", "sigma_0", "mu_7", "q"]),
                       st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300)), max_size=6))
def test_fuzzed_links_never_break_the_page(params):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, params
    assert math.isfinite(kl_value(at))
    set_code(at, mu_0=0.5)
    assert not at.exception


def test_a_link_names_a_panel_only_when_it_is_not_the_first_and_then_opens_scrolled_to_it():
    at = start("digits, D=8")
    assert "panel" not in at.query_params  # the first panel: the page opens at its top
    assert mounted(at, "anchor")["live"]["scroll"] is False
    at.session_state["panel"] = "Traversals"
    at.run()
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params.update({k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()})
    again.run()
    assert mounted(again, "anchor")["live"]["scroll"] is True  # the link's first run scrolls to its panel
    again.session_state["mu_0"] = 0.5
    again.run()
    assert mounted(again, "anchor")["live"]["scroll"] is False  # and only that run
    old = AppTest.from_file(APP, default_timeout=120)  # a link of before, naming the first panel too
    old.query_params.update({"pair": "digits-z8", "panel": next(iter(PANELS))})
    old.run()
    assert old.session_state["panel"] == next(iter(PANELS)) and mounted(old, "anchor")["live"]["scroll"] is False


def test_plain_shows_a_persons_text_letter_for_letter_in_markdown():
    from page.text import plain

    for text in MARKDOWN + ["my_file-2.png", "upload: one.png", "C:\\photos\\7.png"]:
        escaped = plain(text)
        assert re.sub(r"\\(.)", r"\1", escaped) == text  # unescaping gives the text back
        assert not re.search(r"(?<!\\)[\[\]()*`:]", escaped), escaped  # every mark Markdown could read is escaped
