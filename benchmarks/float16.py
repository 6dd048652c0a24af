"""python -m benchmarks.float16 [--out DIR]

What rounding the weights to float16 (vae.checkpoints.round_to_float16, at load) changes, per shipped model:
the model as the server and the browser now compute with it, against the float32 file as shipped. Pictures:
the largest change of a pixel (probability in [0, 1], and in grey levels of 255) on the test split decoded
from mu, and on 1000 draws of z ~ N(0, I) (seed 0, the judges' draws); the share of 8-bit pixels that
change. Figures: pretrained/RESULTS.md's test-split figures (vae.evaluate, at its printed precision) and the
judge's (vae.judge.judge_model), each from both. Writes float16.md and float16.json.
"""

import argparse
import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import safetensors.torch  # noqa: E402
import torch  # noqa: E402

import vae  # noqa: E402
from vae.checkpoints import read_manifest  # noqa: E402
from vae.evaluate import evaluate  # noqa: E402
from vae.judge import judge_model  # noqa: E402
from vae.latent import prior_samples  # noqa: E402

PRINTED = {"reconstruction_nats": "{:.2f}", "kl_nats": "{:.2f}", "neg_elbo_nats": "{:.2f}", "active_units": "{}",
           "confident": "{:.1%}", "digits_covered": "{}", "label_entropy": "{:.3f}",
           "recognisable_and_varied": "{:.3f}", "reconstructions_read_as_label": "{:.1%}"}


def pictures(model, test_images) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.inference_mode():
        return (model.decode(model.encode(test_images).mu),
                model.decode(prior_samples(1000, model.card.latent_dim, seed=0)))


def compare(name: str, judged: bool) -> dict:
    rounded = vae.load_pretrained(name)
    shipped = copy.deepcopy(rounded)
    shipped.load_state_dict(safetensors.torch.load_file(rounded.source[0]))
    test = vae.load_dataset(rounded.card.dataset, "test")
    out = {}
    for what, a, b in zip(("test_from_mu", "prior_draws"), pictures(rounded, test.images),
                          pictures(shipped, test.images)):
        grey_a, grey_b = (a * 255).round(), (b * 255).round()
        out[what] = {"max_abs": float((a - b).abs().max()), "max_grey_levels": int((grey_a - grey_b).abs().max()),
                     "share_changed": float((grey_a != grey_b).float().mean())}
    figures = {"shipped": evaluate(shipped, test), "rounded": evaluate(rounded, test)}
    if judged:
        figures = {k: v | judge_model(m) for (k, v), m in zip(figures.items(), (shipped, rounded))}
    changed = {}
    for key, form in PRINTED.items():
        if key in figures["shipped"]:
            before, after = (form.format(figures[k][key]) for k in ("shipped", "rounded"))
            if before != after:
                changed[key] = [before, after]
    return out | {"figures": {k: {key: v[key] for key in PRINTED if key in v} for k, v in figures.items()},
                  "changed_as_printed": changed}


def report(results: dict) -> str:
    rows = ["# Float16 weights: what rounding changes", "",
            f"Measured by `python -m benchmarks.float16` on {results['date']}. Each shipped model as loaded "
            "(its weights rounded to float16 values, what the server and the browser compute with) against its "
            "float32 file as shipped. Pixels are probabilities in [0, 1]; a grey level is 1/255 of the 8-bit "
            "picture the page draws.", "",
            "| model | test split from mu: max change | grey levels | pixels changed | 1000 prior draws: max change "
            "| grey levels | pixels changed | figures changed as printed in RESULTS.md |",
            "|---|---|---|---|---|---|---|---|"]
    for name, m in results["models"].items():
        t, p = m["test_from_mu"], m["prior_draws"]
        changed = "; ".join(f"{k} {a} → {b}" for k, (a, b) in m["changed_as_printed"].items()) or "none"
        rows.append(f"| {name} | {t['max_abs']:.5f} | {t['max_grey_levels']} | {t['share_changed']:.3%} | "
                    f"{p['max_abs']:.5f} | {p['max_grey_levels']} | {p['share_changed']:.3%} | {changed} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.float16", description=__doc__)
    parser.add_argument("--out", default=str(Path(__file__).parent), help="where float16.md/json go")
    args = parser.parse_args(argv)
    manifest = read_manifest()
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "models": {e["name"]: compare(e["name"], "judged" in e) for e in manifest["models"]}}
    out = Path(args.out)
    (out / "float16.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "float16.md").write_text(report(results))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
