"""Weights on disk: safetensors files whose metadata carries the model card, and the manifest of
the shipped set. Nothing here ever unpickles: a file is safetensors or it is refused.
"""

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from .errors import CheckpointError
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


def checkpoint_bytes(model: LatentModel) -> bytes:
    """The model as a safetensors file: what save_checkpoint writes, and what the browser decodes with."""
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    return save(tensors, metadata={"format": FORMAT, "card": json.dumps(model.card.to_dict())})


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
    """A model in eval mode, its weights checked against its card. Any problem: CheckpointError."""
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
    return model.eval().requires_grad_(False)


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


def write_manifest(entries: list[dict], directory: str | Path | None = None) -> Path:
    path = Path(directory or pretrained_dir()) / MANIFEST
    path.write_text(json.dumps({"format": FORMAT, "models": entries}, indent=1, sort_keys=True) + "\n")
    return path


def manifest_entry(model: LatentModel, path: Path) -> dict:
    return {"name": model.card.name, "file": path.name, "sha256": sha256_of(path), "card": model.card.to_dict()}
