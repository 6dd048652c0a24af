"""Issue 19's panels: every picture, table and sentence says what is true of the numbers behind it."""

import base64
import json
import re

import numpy as np
import pytest
from pagetest import open_panel, start

import vae
from panels.log_sigma import LARGE, SMALL
from vae import explore, lessons
from vae.judge import probabilities, read_as_label


def number(text: str) -> float:
    """A number as the page writes it: −1,234.5 with a minus sign, 1.929 × 10⁻²², −inf."""
    mantissa, _, exponent = text.replace("−", "-").replace(",", "").partition(" × 10")
    return float(mantissa) * 10.0 ** int(exponent.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")) or 0)


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


def test_every_chart_writes_its_ticks_and_labels_large_enough_for_a_projector():
    at = start("mnist, D=2")
    for panel in ("Beta ladder", "The formula", "Why log sigma", "Decode anywhere"):
        for spec in plotly_specs(open_panel(at, panel)):
            layout = spec["layout"]
            axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
            assert axes and all(layout[k]["tickfont"]["size"] >= 14 for k in axes), (panel, axes)
            labels = [t["textfont"] for t in spec["data"] if "text" in t] + [a["font"] for a in layout["annotations"]]
            assert all(font["size"] >= 14 for font in labels), panel
            if "Rate against distortion" in json.dumps(layout.get("title")):  # each VAE's point labelled
                assert layout["annotations"]


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
    broken = [number(row[0]) for row in rows if any(v in ("inf", "−inf", "nan") for v in row[1:4])]
    assert broken == [o for o in outputs if o <= 0]  # the point: 0 and below are no sigma
    assert rows[outputs.index(0.0)][1:4] == ["−inf", "inf", "−inf"] and rows[outputs.index(-1.0)][1] == "nan"
    computed = lessons.side_note_table()
    for i, row in enumerate(rows):  # each KL and gradient as computed, to the 4 digits shown
        for meaning, shown in (("sigma", row[2:4]), ("log_sigma", row[5:7])):
            expected = [computed[meaning][k][i] for k in ("KL", "gradient")]
            np.testing.assert_allclose([number(v) for v in shown], expected, rtol=1e-3, atol=1e-12)
    cells = " ".join(v for row in rows for v in row)
    assert "-" not in cells and "e" not in cells.replace("inf", "")  # as the prose writes numbers: −10,000, 10⁻²²
    assert "−10,000" in cells and "1.929 × 10⁻²²" in cells


# ---- 7. Traversals ---------------------------------------------------------------------------------


def test_collapsed_dimensions_are_captioned_collapsed_and_claim_no_factor():
    from page.models import active_units_of
    from panels.traversals import traversal_rows

    vm = vae.load_pretrained("sprites-vae-z6")
    active, kl = active_units_of(vm), vm.card.metrics["kl_per_dim_nats"]
    assert not active.all()  # sprites-vae-z6 has collapsed dimensions: the case the issue saw
    for d, _, label in traversal_rows(vm):
        if active[d]:
            assert "collapsed" not in label and "its test codes correlate most with " in label, label
            assert "moves" not in label, label  # a correlation of codes, not what the decoded row does
        else:
            assert f"collapsed: average KL {kl[d]:.2f} nats, moves nothing" in label and " most " not in label, label


@pytest.mark.parametrize("name", ["mnist-ae-z8", "mnist-vae-z8", "sprites-ae-z6", "sprites-vae-z6"])
def test_each_model_is_swept_over_the_same_quantiles_of_its_own_codes_and_says_so(name):
    from page.models import split_codes
    from panels.traversals import traversal_rows

    model = vae.load_pretrained(name)
    codes, _ = split_codes(model)  # the AE's z, the VAE's mu, over the test split
    rows = traversal_rows(model)
    assert sorted(d for d, _, _ in rows) == list(range(model.card.latent_dim))
    for d, values, label in rows:
        np.testing.assert_allclose(values, np.percentile(codes[:, d], np.linspace(1, 99, 9)))
        lo, hi = re.search(r"1st–99th percentile of the test codes, ([−+\d.]+) … ([−+\d.]+)", label).groups()
        assert number(lo) == pytest.approx(values[0], abs=0.05) and number(hi) == pytest.approx(values[-1], abs=0.05)
    if model.card.kind == "ae":  # its codes reach far beyond ±3, where the old sweep stopped
        assert max(np.abs(values).max() for _, values, _ in rows) > 5
    codes_swept = explore.traversal_codes(codes[0], rows[0][0], rows[0][1])
    np.testing.assert_allclose(codes_swept[:, rows[0][0]], rows[0][1])  # absolute values, not offsets


def test_the_traversals_page_says_what_is_swept_and_what_is_held():
    at = open_panel(start("sprites, D=6"), "Traversals")
    said = " ".join(c.value for c in at.caption)
    assert "from the 1st to the 99th percentile of that dimension's codes over the test split" in said
    assert "holds the others at the current code (the AE's z for this input; the VAE's mu as the sliders " in said
    captions = [image.captions[0] for image in at.get("image")]
    assert len(captions) == 12 and all("percentile of the test codes" in c for c in captions)
    assert sum("collapsed: average KL" in c for c in captions) == (~active_units(at)).sum()
    at.radio(key="traverse_hold").set_value("the median test code").run()
    assert "holds the others at the median test code" in " ".join(c.value for c in at.caption)


def active_units(at):
    from page.models import active_units_of

    return active_units_of(vae.load_pretrained("sprites-vae-z6"))


# ---- 10. Interpolation -----------------------------------------------------------------------------


def test_the_default_interpolation_runs_between_two_clean_digits_and_shows_both_ends():
    at = open_panel(start(), "Interpolation")  # MNIST, D=8, test #0
    target = at.number_input(key="interp_to").value
    data = vae.load_dataset("mnist", "test")
    ends = data.images[[0, target]].numpy()
    labels = data.labels[[0, target]]
    assert labels[0] != labels[1]
    assert read_as_label(ends, labels, "mnist") == 1.0  # the judge reads both ends as their digits
    assert probabilities(ends, "mnist")[[0, 1], labels].min() > 0.9
    captions = [re.sub(r"\\(.)", r"\1", image.captions[0]) for image in at.get("image")]  # as shown: unescaped
    assert f"start: test #0 ({labels[0]})" in captions and f"end: test #{target} ({labels[1]})" in captions
    assert "each model's encodings of the two images (the AE's z, the VAE's mu; the sliders do not move them)" in (
        " ".join(c.value for c in at.caption))


@pytest.mark.parametrize("dataset", ["mnist", "digits", "sprites"])
def test_the_default_target_is_the_next_test_image_of_another_label(dataset):
    from panels.interpolation import default_target

    labels = vae.load_dataset(dataset, "test").labels
    for start_index in (0, 5, len(labels) - 1):
        target = default_target(labels, start_index)
        assert labels[target] != labels[start_index]
        between = [(start_index + k) % len(labels) for k in range(1, (target - start_index) % len(labels))]
        assert all(labels[j] == labels[start_index] for j in between)


# ---- 12 and 14. The beta ladder and Decode anywhere ------------------------------------------------


def test_the_ladder_chart_labels_points_by_beta_and_names_the_ae_in_its_legend():
    at = open_panel(start(), "Beta ladder")
    (chart,) = [s for s in plotly_specs(at) if "Rate against distortion" in json.dumps(s["layout"])]
    notes = [note["text"] for note in chart["layout"]["annotations"]]
    assert sorted(notes) == ["beta 0.1", "beta 1", "beta 1, from the AE", "beta 4"]  # short: no model names
    (digits,) = [s for s in plotly_specs(open_panel(start("digits, D=8"), "Beta ladder"))
                 if "Rate against distortion" in json.dumps(s["layout"])]
    (b4,) = [n for n in digits["layout"]["annotations"] if n["text"] == "beta 4"]
    assert b4["x"] < 0.01 and b4["xanchor"] == "left"  # collapsed, at KL 0: its label right of it, off the axis
    (ae_line,) = [trace for trace in chart["data"] if trace["name"].startswith("AE (no KL term)")]
    assert ae_line["mode"] == "lines" and chart["layout"].get("showlegend", True)  # named in the legend


def test_decode_anywhere_shows_every_tile_until_the_dots_are_asked_for():
    at = open_panel(start("mnist, D=2"), "Decode anywhere")
    assert at.checkbox(key="manifold_dots").value is False
    planes = [s for s in plotly_specs(at) if s["layout"].get("images")]
    assert len(planes) == 2 and all(not plane["data"] for plane in planes)  # nothing over the tiles
    assert "not drawn, so that every tile shows" in " ".join(c.value for c in at.caption)
    at.checkbox(key="manifold_dots").check().run()
    planes = [s for s in plotly_specs(at) if s["layout"].get("images")]
    assert all(len(plane["data"]) == 10 for plane in planes)  # the test codes, one trace per digit
    assert "drawn over the tiles" in " ".join(c.value for c in at.caption)


# ---- 9. Train your own -----------------------------------------------------------------------------


def test_the_epochs_that_fit_leave_room_for_both_models():
    from vae.budget import RESERVE, VAE_EPOCH_COST, epochs_that_fit

    n = epochs_that_fit(60, setup=2.0, epoch_seconds=1.5)
    assert 2 * 2.0 + n * 1.5 * (1 + VAE_EPOCH_COST) <= 60 * (1 - RESERVE)  # both fit
    assert 2 * 2.0 + (n + 1) * 1.5 * (1 + VAE_EPOCH_COST) > 60 * (1 - RESERVE)  # one more would not
    assert epochs_that_fit(5, setup=2.0, epoch_seconds=10.0) == 1  # every model trains at least one epoch


def test_the_summary_says_how_many_epochs_each_model_ran_and_why():
    from vae.budget import summary

    report = {"dataset": "mnist", "asked": 60, "budget": 60, "seconds": 55.2, "epochs": {"ae": 14, "vae": 14},
              "epoch_seconds": 1.63, "train_examples": 10_000, "split_examples": 60_000}
    said = summary(report)
    assert "10,000 of the 60,000 training images of MNIST (a seeded sample, the same for both models)" in said
    assert "The AE ran 14 of the 60 epochs asked for, stopped by the budget: at 1.6 s an epoch" in said
    assert "the VAE as many, 14." in said and "55.2 s of its 60 s budget" in said
    said = summary(report | {"dataset": "digits", "asked": 14, "train_examples": 1437, "split_examples": 1437})
    assert "all 1,437 training images of the 8×8 digits" in said and "The AE ran the 14 epochs asked for" in said
    said = summary(report | {"epochs": {"ae": 14, "vae": 12}})
    assert "the VAE only 12, stopped by the budget" in said and "not trained alike" in said


@pytest.mark.slow
def test_a_pair_trains_alike_on_a_sample_within_its_budget():
    import time

    from vae.budget import VAE_EPOCH_COST, train_pair

    seen = {"ae": [], "vae": []}
    start = time.perf_counter()
    pair, report = train_pair("mnist", 2, 1.0, epochs=300, budget=15,
                              on_epoch=lambda kind, epoch, planned, stats: seen[kind].append(planned))
    wall = time.perf_counter() - start
    ae, vm = (pair[kind].card.training for kind in ("ae", "vae"))
    assert ae["epochs_run"] == vm["epochs_run"] == report["epochs"]["ae"] == report["epochs"]["vae"] < 300
    assert len(seen["vae"]) == len(seen["ae"]) and set(seen["vae"]) == {ae["epochs_run"]}  # the AE's count
    slack = report["epoch_seconds"] * VAE_EPOCH_COST  # one epoch, measured
    assert report["seconds"] <= wall <= 15 + slack, (wall, report)
    assert (ae["train_size"], ae["train_examples"], ae["train_split_examples"]) == (10_000, 10_000, 60_000)
    assert (vm["train_examples"], vm["train_split_examples"]) == (10_000, 60_000)


@pytest.mark.slow
def test_the_page_says_what_the_training_did_and_keeps_its_curves(monkeypatch):
    import vae.budget

    monkeypatch.setattr(vae.budget, "BUDGET_SECONDS", 6)  # the 8x8 digits: ~0.1 s an epoch, so the budget stops
    at = open_panel(start("digits, D=2"), "Train your own")
    assert any("the two changes of the lesson apart" in m.value for m in at.markdown)
    at.slider(key="train_epochs").set_value(300)
    (submit,) = [b for b in at.button if b.label == "Train the pair"]
    submit.click().run()
    assert not at.exception, at.exception
    report = at.session_state["training_done"]["report"]
    count, vae_count = report["epochs"]["ae"], report["epochs"]["vae"]
    assert vae_count <= count < 300
    said = " ".join(m.value for m in at.markdown)
    assert f"The AE ran {count} of the 300 epochs asked for, stopped by the budget" in said
    assert "all 1,437 training images of the 8×8 digits" in said
    if vae_count == count:  # as planned
        assert f"the VAE as many, {count}." in said
    else:  # a machine that slowed down mid-run (a 6 s budget is tight under load): the page says so
        assert f"the VAE only {vae_count}, stopped by the budget because the server slowed down" in said
    for _ in range(2):  # the curves stay, on this run and on later ones
        (curves,) = [s for s in plotly_specs(at) if s["layout"]["xaxis"]["title"]["text"] == "epoch"]
        assert len(curves["data"]) == 3 and len(values(curves["data"][0]["x"])) == count
        at.run()


@pytest.mark.slow
def test_a_training_keeps_no_copy_of_the_training_split(monkeypatch):
    """Only the sample outlives loading: each model's 60,000 MNIST training images are let go (whatever
    vae.data itself caches)."""
    import dataclasses
    import gc
    import importlib
    import weakref

    from vae.budget import train_pair

    trainer = importlib.import_module("vae.train")  # the module: vae.train is also the function

    loaded = []

    def fresh_split(name, split, root=None):  # a copy of the split per call, which only the trainer holds
        data = vae.load_dataset(name, split, root)
        images = data.images.clone()
        loaded.append(weakref.ref(images))
        return dataclasses.replace(data, images=images)

    monkeypatch.setattr(trainer, "load_dataset", fresh_split)
    pair, _ = train_pair("mnist", 2, 1.0, epochs=1, budget=60, on_epoch=lambda *_: None)
    gc.collect()
    assert len(loaded) == 2 and all(ref() is None for ref in loaded)  # the AE's and the VAE's split, gone
    assert pair["vae"].card.training["train_examples"] == 10_000
