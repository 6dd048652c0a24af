"""Weights on disk: safetensors files whose metadata carries the model card, and the manifest of
the shipped set. Nothing here ever unpickles: a file is safetensors or it is refused.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from .errors import CheckpointError, VaeError
from .models import LatentModel, ModelCard, build_model

FORMAT = "vae-explorer/1"
PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
MANIFEST = "manifest.json"


def pretrained_dir() -> Path:
    """The shipped models' folder; VAE_PRETRAINED_DIR points elsewhere (tests, deployments)."""
    return Path(os.environ.get("VAE_PRETRAINED_DIR", PRETRAINED_DIR))


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checkpoint_bytes(model: LatentModel, part: str | None = None, dtype: torch.dtype = torch.float32) -> bytes:
    """The model as a safetensors file, as save_checkpoint writes it; with part "decoder" or "encoder", only
    that half's tensors (and the card): what the browser decodes with, or encodes a drawing with; with
    dtype torch.float16, half the bytes (exact for a model whose weights are float16 values, see
    holds_float16). The bytes may differ from call to call in the order of the metadata (safetensors keeps
    it in a hash map); the tensors and the card never do."""
    if part not in (None, "decoder", "encoder"):
        raise ValueError(f"part must be None, 'decoder' or 'encoder', not {part!r}")
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()
               if part is None or k.startswith("decoder.") == (part == "decoder")}
    return save(tensors, metadata={"format": FORMAT, "card": json.dumps(model.card.to_dict())})


def round_to_float16(model: LatentModel) -> LatentModel:
    """The model's weights rounded to the nearest float16 values (kept as float32), in place, so that the
    float16 halves the browser is sent (routes/files.py) hold exactly the weights torch computes with: half
    the bytes on the wire, and the browser and the server still agree. Rounding moves a weight by at most
    2^-11 of itself (below 2^-14, by at most 2^-25). A model with a weight beyond float16's range (65504)
    is left as it is, and sent in float32."""
    state = model.state_dict()
    if all(v.abs().max() <= torch.finfo(torch.float16).max for v in state.values() if v.numel()):
        with torch.no_grad():
            for v in state.values():
                v.copy_(v.to(torch.float16))
    return model


def holds_float16(model: LatentModel) -> bool:
    """Whether every weight of the model is a float16 value, so that float16 files of it lose nothing."""
    return all(torch.equal(v, v.to(torch.float16).to(v.dtype)) for v in model.state_dict().values())


def save_checkpoint(model: LatentModel, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(checkpoint_bytes(model))
    return path


def _refuse_non_safetensors(path: Path) -> None:
    """A safetensors file is an 8-byte header length, then a JSON header starting with '{'."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError as e:
        raise CheckpointError(path, f"cannot be read ({e.strerror or e})") from None
    if head[8:9] == b"{":
        return
    if head[:1] == b"\x80" or head[:2] == b"PK":
        raise CheckpointError(path, "this is a pickle or torch.save file; only safetensors weights are read")
    if len(head) < 9:
        raise CheckpointError(path, f"too short to be a safetensors file ({len(head)} bytes)")
    raise CheckpointError(path, "not a safetensors file (no JSON header)")


def load_checkpoint(path: str | Path) -> LatentModel:
    """A model in eval mode, its weights checked against its card, then rounded to float16 values (the
    values the browser computes with: round_to_float16). Any problem: CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    _refuse_non_safetensors(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(path, f"not a readable safetensors file ({e})") from None
    if "card" not in metadata:
        raise CheckpointError(path, "metadata has no model card")
    if metadata.get("format") != FORMAT:
        raise CheckpointError(path, f"metadata format is {metadata.get('format')!r}, expected {FORMAT!r}")
    try:
        card = ModelCard.from_dict(json.loads(metadata["card"]))
        model = build_model(card)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise CheckpointError(path, f"model card is malformed ({e})") from None
    _check_tensors(path, model, tensors)
    model.load_state_dict(tensors)
    model.source = (path.resolve(), sha256_of(path))  # the file it came from: what a browser is served
    return round_to_float16(model).eval().requires_grad_(False)


def _check_tensors(path: Path, model: LatentModel, tensors: dict) -> None:
    expected = model.state_dict()
    missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing:
        raise CheckpointError(path, f"missing tensors {missing[:5]} for a {model.card.kind} model")
    if extra:
        raise CheckpointError(path, f"unexpected tensors {extra[:5]} for a {model.card.kind} model")
    for key, want in expected.items():
        got = tensors[key]
        if got.shape != want.shape:
            shapes = f"{tuple(got.shape)}, the card needs {tuple(want.shape)}"
            raise CheckpointError(path, f"tensor {key} has shape {shapes}")
        if got.dtype != want.dtype:
            raise CheckpointError(path, f"tensor {key} has dtype {got.dtype}, expected {want.dtype}")
        if not torch.isfinite(got).all():
            raise CheckpointError(path, f"tensor {key} holds NaN or infinite values")


# ---- the shipped set ----------------------------------------------------------------------------


def read_manifest(directory: str | Path | None = None) -> dict:
    path = Path(directory or pretrained_dir()) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        entries = manifest["models"]
        if not isinstance(entries, list):
            raise TypeError("models is not a list")
    except FileNotFoundError:
        raise CheckpointError(path, "no manifest; rebuild with `python -m vae rebuild`") from None
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(path, f"manifest is malformed ({e})") from None
    return manifest


def list_pretrained(directory: str | Path | None = None) -> list[ModelCard]:
    cards = []
    for entry in read_manifest(directory)["models"]:
        try:
            cards.append(ModelCard.from_dict(entry["card"]))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise CheckpointError(Path(directory or pretrained_dir()) / MANIFEST, f"entry is malformed ({e})") from None
    return cards


def load_pretrained(name: str, directory: str | Path | None = None) -> LatentModel:
    """A shipped model by name, its file's sha256 checked against the manifest first.

    Names are looked up in the manifest, never joined into a path, so no name reaches a file
    outside the folder.
    """
    directory = Path(directory or pretrained_dir())
    entry = next((e for e in read_manifest(directory)["models"] if isinstance(e, dict) and e.get("name") == name),
                 None)
    if entry is None:
        raise CheckpointError(directory / MANIFEST, f"no shipped model named {name!r}")
    path = directory / str(entry.get("file", ""))
    if path.resolve().parent != directory.resolve() or not path.name.endswith(".safetensors"):
        raise CheckpointError(path, "the manifest points outside the pretrained folder")
    if not path.is_file():
        raise CheckpointError(path, "the file is missing")
    try:
        digest = sha256_of(path)
    except OSError as e:
        raise CheckpointError(path, f"cannot be read ({e.strerror or e})") from None
    if digest != entry.get("sha256"):
        expected = str(entry.get("sha256"))
        raise CheckpointError(path, f"sha256 {digest[:12]}… does not match the manifest's {expected[:12]}…")
    model = load_checkpoint(path)
    if model.card.name != name:
        raise CheckpointError(path, f"the file's card names {model.card.name!r}, the manifest {name!r}")
    return model


def write_manifest(entries: list[dict], directory: str | Path | None = None, judges: list[dict] = (),
                   history: list[dict] = ()) -> Path:
    """models: one entry per shipped model; judges: the shipped digit judges (vae/judge.py); history: the
    figures of models that earlier versions of these replaced, kept for RESULTS.md."""
    path = Path(directory or pretrained_dir()) / MANIFEST
    manifest = {"format": FORMAT, "models": entries, "judges": list(judges), "history": list(history)}
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return path


def manifest_entry(model: LatentModel, path: Path) -> dict:
    return {"name": model.card.name, "file": path.name, "sha256": sha256_of(path), "card": model.card.to_dict()}


# ---- a folder of the user's own models ----------------------------------------------------------

RECIPE = ("seed", "epochs", "batch_size", "lr", "train_size")  # training settings an AE and its VAEs share


@dataclass(frozen=True)
class ModelFile:
    path: Path
    card: ModelCard


@dataclass(frozen=True)
class ModelPair:
    """An AE and the VAEs trained alike with it: the beta-1 VAE (if any) first, then by beta."""

    ae: ModelFile
    vaes: tuple[ModelFile, ...]
    data_root: Path | None  # the IDX folder of its data (idx models); None for a built-in dataset

    @property
    def label(self) -> str:
        """'yours: idx, D=2 (my-ae)': the pair's name on a page, saying whose it is."""
        c = self.ae.card
        return f"yours: {c.dataset}, D={c.latent_dim} ({c.name})"


def find_pairs(folder: str | Path, data_root: str | Path | None = None) -> tuple[list[ModelPair], list[str]]:
    """The AE/VAE pairs among folder's *.safetensors, and a message for everything that is not one.

    A pair is an AE and every VAE trained alike with it: same dataset and latent size, same
    architecture and image shape, same data (for idx, the same folder), seed, epochs, batch size and
    learning rate; the VAEs may differ in beta (and in being converted from an AE). For idx models
    the data is the folder in each card, or data_root when given (the files moved); a pair is kept
    only if its test split loads and has the cards' image size.

    Problems name the file or model and say why: the folder missing, a file that is broken or
    foreign (CheckpointError's message), a card's data folder gone, IDX files of another image
    size, an AE and a VAE of one dataset and size whose recipes differ, or no pair at all.

        >>> pairs, problems = find_pairs("MODELS", data_root="DATA")
        >>> [(p.label, p.ae.card.name, [v.card.name for v in p.vaes]) for p in pairs]
        [('yours: idx, D=2 (idx-ae-z2)', 'idx-ae-z2', ['idx-vae-z2', 'idx-vae-z2-b4'])]
    """
    from .data import dataset_of

    folder = Path(folder)
    if not folder.is_dir():
        return [], [f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}"]
    models, problems = [], []
    for path in sorted(folder.glob("*.safetensors")):
        try:
            models.append(ModelFile(path, load_checkpoint(path).card))
        except CheckpointError as e:
            problems.append(str(e))

    groups: dict[str, list[ModelFile]] = {}
    for m in models:
        groups.setdefault(json.dumps(_recipe(m.card, data_root), sort_keys=True), []).append(m)
    pairs = []
    for group in groups.values():
        aes = [m for m in group if m.card.kind == "ae"]
        vaes = sorted((m for m in group if m.card.kind == "vae"),
                      key=lambda m: (m.card.beta != 1, m.card.beta, m.card.name))
        if not aes or not vaes:
            problems += [_unpaired(m, models, data_root) for m in group]
            continue
        try:
            data = dataset_of(aes[0].card, "test", data_root)
        except VaeError as e:
            problems.append(f"{', '.join(m.path.name for m in group)}: {e}")
            continue
        root = Path(data_root or aes[0].card.training["data_root"]) if data.name == "idx" else None
        pairs += [ModelPair(ae, tuple(vaes), root) for ae in aes]
    if not pairs:
        problems.append(f"{folder}: no AE/VAE pair among its {len(models)} readable .safetensors files (a pair is "
                        "an AE and a VAE of the same dataset and latent size, trained alike)")
    return pairs, problems


def _recipe(card: ModelCard, data_root) -> dict:
    """What an AE and a VAE must share to be compared: everything but the seed's two changes."""
    t = card.training
    data = str(Path(data_root or t.get("data_root") or "").resolve()) if card.dataset == "idx" else None
    return {"dataset": card.dataset, "latent_dim": card.latent_dim, "image_shape": list(card.image_shape),
            "architecture": card.architecture, "data": data, **{k: t.get(k) for k in RECIPE}}


def _unpaired(m: ModelFile, models: list[ModelFile], data_root) -> str:
    """Why a model found no partner: the nearest candidates' differing recipe, or none of the other kind."""
    other = "vae" if m.card.kind == "ae" else "ae"
    mine = _recipe(m.card, data_root)
    near = [o for o in models if o.card.kind == other
            and (o.card.dataset, o.card.latent_dim) == (m.card.dataset, m.card.latent_dim)]
    what = f"{m.path.name} ({m.card.kind.upper()}, {m.card.dataset}, D={m.card.latent_dim})"
    if not near:
        return f"{what}: no {other.upper()} of the same dataset and latent size in the folder"
    theirs = _recipe(near[0].card, data_root)
    diffs = [f"{k} {mine[k]} vs {theirs[k]}" for k in mine if mine[k] != theirs[k]]
    return f"{what} and {near[0].path.name} were not trained alike ({'; '.join(diffs)}), so they are not a pair"
