"""Issue 19's panels: every picture, table and sentence says what is true of the numbers behind it."""

import base64
import json
import re

import numpy as np
import pytest
from test_app import start

from panels.log_sigma import LARGE, SMALL
from vae import lessons


def open_panel(at, panel):
    at.session_state["panel"] = panel
    at.run()
    assert not at.exception, (panel, at.exception)
    assert not at.error, (panel, [e.value for e in at.error])
    return at


def number(text: str) -> float:
    """A number as the page writes it: −1,234.5 with a minus sign."""
    return float(text.replace("−", "-").replace(",", ""))


def plotly_specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def values(array) -> np.ndarray:
    """A chart's data array as Plotly sends it: a list, or {"dtype", "bdata": base64}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).astype(float)
    return np.asarray(array, dtype=float)


# ---- 8. Why log sigma ------------------------------------------------------------------------------


def test_the_log_sigma_sentence_says_what_the_computed_gradients_are():
    at = open_panel(start(), "Why log sigma")
    (sentence,) = [m.value for m in at.markdown if m.value.startswith("The KL term needs log sigma")]
    small, large = lessons.gradients_at([SMALL]), lessons.gradients_at([LARGE])
    quoted = re.search(r"−∞ as sigma → 0 \(([−\d,.]+) at sigma = ([\d.e-]+)\)", sentence)
    assert number(quoted.group(1)) == pytest.approx(small["sigma"][0], rel=1e-4) and small["sigma"][0] < -1000
    quoted = re.search(r"never goes below −1 \(([−\d.]+) at sigma", sentence)
    assert number(quoted.group(1)) == pytest.approx(small["log_sigma"][0], abs=1e-4)
    quoted = re.search(r"steeper one \(([−\d.]+) at sigma = 10, against ([−\d.]+);", sentence)
    assert number(quoted.group(1)) == pytest.approx(large["log_sigma"][0], abs=0.5) and large["log_sigma"][0] > 90
    assert number(quoted.group(2)) == pytest.approx(large["sigma"][0], abs=0.05)
    # the claims themselves, over the chart's whole range: sigma^2 - 1 never below -1 and tending to it
    sigma, grad_sigma, grad_log = lessons.gradient_curves()
    assert grad_log.min() >= -1 and grad_log[np.argmin(sigma)] == pytest.approx(-1)
    assert grad_sigma[np.argmin(sigma)] < -1e11 and grad_log[np.argmax(sigma)] > grad_sigma[np.argmax(sigma)]
    (figure,) = [s for s in plotly_specs(at) if "log sigma" in json.dumps(s["data"])]
    xs = np.concatenate([values(trace["x"]) for trace in figure["data"]])
    assert xs.min() <= SMALL and xs.max() >= LARGE  # the chart shows the sigma the sentence quotes


def test_the_log_sigma_table_rows_are_network_outputs_and_only_the_sigma_meaning_breaks():
    at = open_panel(start(), "Why log sigma")
    (table,) = [m.value for m in at.markdown if m.value.startswith("<table>")]
    assert "if the output means sigma (sigma = output)" in table and "means log sigma (sigma = e^output)" in table
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    rows = [row for row in rows if row]  # the body: output | as sigma: log sigma, KL, gradient | as log sigma: ...
    outputs = [number(row[0]) for row in rows]
    assert outputs == pytest.approx(lessons.OUTPUTS, rel=1e-6)
    for row in rows:
        assert all(np.isfinite(number(v)) for v in row[4:]), row  # sigma = e^output: always valid
    broken = [number(row[0]) for row in rows if any(v in ("inf", "-inf", "nan") for v in row[1:4])]
    assert broken == [o for o in outputs if o <= 0]  # the point: 0 and below are no sigma
    assert rows[outputs.index(0.0)][1:4] == ["-inf", "inf", "-inf"] and rows[outputs.index(-1.0)][1] == "nan"
