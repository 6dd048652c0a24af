"""Issue 29, "Truth": one L_VAE line that adds up as read, in Python and in the browser; a collapsed VAE
named as collapsed where its samples are judged; a refused upload that leaves the input what it was."""

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from nodejs import node
from pagetest import live_data, one_on_paper, open_panel, start, upload, uploader

import vae
from page.presenter import STEPS
from page.text import loss_vae_line, plain
from panels.prior import verdict

LINE = re.compile(r"([0-9.]+) \+ (?:([0-9.]+) × )?([0-9.]+) = ([0-9.]+) nats")


def adds_up(line: str) -> bool:
    """The line's total is its terms as read, reconstruction + beta × KL, to two places (Decimal: exact)."""
    rec, beta, kl, total = LINE.fullmatch(line).groups()
    exact = Decimal(rec) + Decimal(beta or 1) * Decimal(kl)
    return Decimal(total) == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# (reconstruction, KL) in nats: the mnist-vae-z8-b4 test image 0 (the old total 102.68), a half-way
# total at beta 0.1 (69.37 + 0.835), a KL of
# exactly 0.125 (mu = 0.5, sigma = 1 in one dimension: format rounds it to 0.12, toFixed to 0.13),
# a collapsed VAE's KL ≈ 0, and ordinary sums
NUMBERS = [(69.3742, 8.33459), (69.37, 8.35), (26.1249, 0.00003), (35.1234, 0.125), (0.005, 1.005), (127.954, 9.6649),
           (1234.5678, 23.455)]


@pytest.mark.slow  # node runs the browser's code
@pytest.mark.parametrize("beta", [0.1, 1, 4])
def test_python_and_the_browser_write_one_l_vae_line_that_adds_up(beta):
    python = [loss_vae_line(rec, beta, kl) for rec, kl in NUMBERS]
    browser = [node({"module": "model.js", "call": "lossVaeLine", "args": [rec, beta, kl]}) for rec, kl in NUMBERS]
    assert python == browser
    assert all(adds_up(line) for line in python), python
    assert ("×" in python[0]) == (beta != 1)
    assert python[3].startswith("35.12 + ") and " 0.13 = " in python[3]  # half-way up, on both sides


def test_the_formula_panels_line_adds_up_as_read_at_beta_4():
    at = start("mnist, D=8")
    at.selectbox(key="vae").set_value("mnist-vae-z8-b4").run()
    open_panel(at, "The formula")
    (formula,) = [h.value for h in at.html if "formula" in h.value]
    (line,) = [m.group(0) for m in LINE.finditer(re.sub(r"<[^>]+>", "", formula))]
    # test image 0 (the 69.37 was its reconstruction with float32 weights; they are float16 values now)
    assert line.startswith("69.39 + 4 × 8.33 = ")
    assert adds_up(line) and line.endswith("= 102.71 nats")


def test_a_collapsed_vaes_prior_samples_are_said_to_be_collapsed():
    at = start("digits, D=8")
    at.selectbox(key="vae").set_value("digits-vae-z8-b4").run()
    open_panel(at, "Prior samples")
    said = " ".join(a.value for a in [*at.warning, *at.info, *at.success])
    kl = vae.load_pretrained("digits-vae-z8-b4").card.metrics["kl_nats"]
    assert (f"digits-vae-z8-b4 has collapsed in every dimension (no active unit, average KL {kl:.4f} nats): its "
            "decoder ignores z, so its samples are one picture") in said
    assert "not visible in this pair" not in said and "about the same" not in said


def test_the_presenters_prior_step_names_a_collapsed_vae():
    at = start("digits, D=8")
    at.selectbox(key="vae").set_value("digits-vae-z8-b4").run()
    at.toggle(key="presenter").set_value(True).run()
    for _ in range(len(STEPS) - 1):
        at.button(key="step_next").click().run()
    assert not at.exception, at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "its VAE, digits-vae-z8-b4, has collapsed in every dimension" in said
    assert "where the difference the KL term makes to sampling shows" not in said
    assert "has collapsed in every dimension (no active unit" in " ".join(w.value for w in at.warning)


def test_the_verdict_names_a_collapse_before_any_comparison():
    nothing = {"confident_share": 0.0, "digits_covered": 0, "label_entropy": 0.0, "recognisable_and_varied": 0.0}
    real = {**nothing, "recognisable_and_varied": 0.94}
    kind, text = verdict(nothing, nothing, real, 8, "**x has collapsed in every dimension.**")
    assert kind == "warning" and text.startswith("**x has collapsed in every dimension.** Over 1,000 draws")
    assert "about the same" not in text and "D=8, is not what these samples show" in text
    assert "about the same" in verdict(nothing, nothing, real, 8)[1]  # not collapsed: the comparison as before


def test_a_refused_file_after_a_good_upload_leaves_the_upload_the_input():
    at = upload(start("digits, D=8"), "one.png", one_on_paper())
    assert uploader(at).value is None  # taken off: nothing listed for the browser to replace
    # what the browser's uploader sends on a drop onto a listed file: an empty value, then the new file
    at = uploader(at).set_value(None).run()
    at = upload(at, "notes.png", b"these are notes, not a picture")
    assert not at.exception
    assert live_data(at)["caption"] == "upload: one.png"
    (error,) = at.sidebar.error
    assert f"The input is still {plain('upload: one.png')}" in error.value
