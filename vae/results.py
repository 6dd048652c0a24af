"""pretrained/RESULTS.md: each shipped model's test figures, what the digit judge reads in them, and the
figures of the models they replaced."""

from pathlib import Path

import torch

from . import checkpoints
from .data import load_dataset
from .judge import CONFIDENT, JUDGED_DATASETS, PRIOR_DRAWS, recognisable


def write_results(entries: list[dict], out_dir: str | Path, history: list[dict] = ()) -> Path:
    """pretrained/RESULTS.md: every model's test figures, and a grid per model of test inputs,
    their reconstructions and (for a VAE) decodings of z ~ N(0, I), saved as PNG to be looked at."""
    from PIL import Image

    from .latent import prior_samples
    from .plots import image_grid

    out_dir = Path(out_dir)
    (out_dir / "grids").mkdir(exist_ok=True)
    rows = [
        "# Shipped models: test-split figures",
        "",
        "Written by `python -m vae rebuild`. Nats per example, means over the test split; reconstruction",
        "is Bernoulli NLL (BCE) summed over pixels, from one sampled z for a VAE; KL is summed over",
        "dimensions; -ELBO = reconstruction + KL; active units: Cov_x(E_q[z_u]) > 0.01 (Burda et al.).",
        "",
        "| model | kind | D | beta | reconstruction | KL | -ELBO | active units | train s | grid |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        card, m = entry["card"], entry["card"]["metrics"]
        model = checkpoints.load_checkpoint(out_dir / entry["file"])
        test = load_dataset(card["dataset"], "test")
        x = test.images[:16]
        with torch.inference_mode():
            recon = model.decode(model.encode(x).mu)
            samples = model.decode(prior_samples(16, card["latent_dim"], seed=0))
        grid = image_grid(torch.cat([x, recon, samples]).numpy(), cols=16, size=32)
        Image.fromarray(grid).save(out_dir / "grids" / f"{card['name']}.png", optimize=True)
        kl = f"{m['kl_nats']:.2f}" if "kl_nats" in m else "–"
        elbo = f"{m['neg_elbo_nats']:.2f}" if "neg_elbo_nats" in m else "–"
        rows.append(
            f"| {card['name']} | {card['kind']} | {card['latent_dim']} | {card['beta']:g} | "
            f"{m['reconstruction_nats']:.2f} | {kl} | {elbo} | {m['active_units']}/{card['latent_dim']} | "
            f"{card['training'].get('seconds', '–')} | [png](grids/{card['name']}.png) |"
        )
    rows += ["", "Each grid: row 1 test inputs, row 2 reconstructions from mu (z for the AE),",
             "row 3 decodings of the same 16 draws of z ~ N(0, I) (seed 0).", ""]
    rows += judged_rows(entries, out_dir)
    for change in history:
        rows += ["", *history_rows(change, entries)]
    path = out_dir / "RESULTS.md"
    path.write_text("\n".join(rows) + "\n")
    return path


def judged_rows(entries: list[dict], out_dir: Path) -> list[str]:
    """RESULTS.md's second table: the digit models read by their dataset's judge (vae/judge.py)."""
    rows = [
        "## Read by a digit classifier",
        "",
        f"The dataset's judge (vae/judge.py) reads {PRIOR_DRAWS} decodings of z ~ N(0, I) (seed 0) per model.",
        f"Confident: one digit with probability >= {CONFIDENT}. Label entropy: of the confident ones' digits,",
        "in bits / log2(10). Recognisable and varied = confident share x label entropy. Reconstructions:",
        "the test split decoded from mu (z for the AE), read as their own label. How many samples a judge",
        "reads depends on how confident it is: the MNIST judge is kept at the epoch of its lowest loss on",
        "held-out digits (vae/judge.py gives what longer-trained judges read); compare models under one judge.",
        "",
        "| model | prior samples read confidently | digits covered | label entropy | recognisable and varied "
        "| reconstructions read as label |",
        "|---|---|---|---|---|---|",
    ]
    for dataset in (d for d in JUDGED_DATASETS if any(e["card"]["dataset"] == d for e in entries)):
        real = recognisable(load_dataset(dataset, "test").images.numpy(), dataset, out_dir)
        rows.append(f"| *real {dataset} test images* | {real['confident_share']:.1%} | {real['digits_covered']} | "
                    f"{real['label_entropy']:.3f} | {real['recognisable_and_varied']:.3f} | – |")
        for entry in (e for e in entries if e["card"]["dataset"] == dataset):
            j = entry["judged"]
            rows.append(f"| {entry['name']} | {j['confident_share']:.1%} | {j['digits_covered']} | "
                        f"{j['label_entropy']:.3f} | {j['recognisable_and_varied']:.3f} | "
                        f"{j['reconstructions_read_as_label']:.1%} |")
    return rows


def history_rows(change: dict, entries: list[dict]) -> list[str]:
    """A table of the models a change replaced against these: {"title", "about", "models": [figures]}."""
    now = {e["name"]: {**e["card"]["metrics"], **e.get("judged", {})} for e in entries}
    rows = [f"## {change['title']}", "", change["about"], "",
            "| model | reconstruction | KL | -ELBO | prior samples read confidently | reconstructions read as label |",
            "|---|---|---|---|---|---|"]

    def both(before: dict, key: str, form: str) -> str:
        after = now.get(before["name"], {})
        if key not in before or key not in after:
            return "–"
        return f"{format(before[key], form)} → {format(after[key], form)}"

    for before in change["models"]:
        cells = [both(before, key, form) for key, form in (("reconstruction_nats", ".2f"), ("kl_nats", ".2f"),
                 ("neg_elbo_nats", ".2f"), ("confident_share", ".1%"), ("reconstructions_read_as_label", ".1%"))]
        rows.append(f"| {before['name']} | " + " | ".join(cells) + " |")
    return rows
