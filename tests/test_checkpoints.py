"""Weights are safetensors with a card; anything else is refused with the file and the reason."""

import json
import pickle
import shutil

import pytest
import torch
from safetensors.torch import save_file

from vae import CheckpointError, load_checkpoint, load_pretrained, save_checkpoint
from vae.checkpoints import FORMAT, manifest_entry, write_manifest


@pytest.fixture
def saved(tmp_path, tiny_model):
    model = tiny_model("vae")
    return model, save_checkpoint(model, tmp_path / "m.safetensors")


def test_round_trip(saved):
    model, path = saved
    loaded = load_checkpoint(path)
    assert loaded.card == model.card and not loaded.training
    for k, v in model.state_dict().items():  # each weight the nearest float16 value (round_to_float16)
        torch.testing.assert_close(loaded.state_dict()[k], v.half().float(), rtol=0, atol=0)


def refused(path, *words):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert path.name in message, message
    for w in words:
        assert w in message, message
    return message


def test_truncated_file(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refused(path, "safetensors")


def test_random_bytes_and_empty_and_missing(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(bytes(range(256)) * 10)
    refused(junk)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    refused(empty, "too short")
    refused(tmp_path / "absent.safetensors", "no such file")


def test_pickle_is_refused_without_being_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for name, blob in (("p.safetensors", pickle.dumps(Payload())), ("t.pt", None)):
        path = tmp_path / name
        if blob is None:
            torch.save({"w": torch.zeros(1), "payload": Payload()}, path)
        else:
            path.write_bytes(blob)
        refused(path, "pickle")
    assert not marker.exists()


def test_wrong_shape_dtype_missing_and_extra_tensors(saved, tmp_path):
    model, _ = saved
    meta = {"format": FORMAT, "card": json.dumps(model.card.to_dict())}
    tensors = {k: v.clone() for k, v in model.state_dict().items()}

    def write(name, ts):
        p = tmp_path / name
        save_file(ts, str(p), metadata=meta)
        return p

    refused(write("shape.safetensors", {**tensors, "g.weight": torch.zeros(5, 5)}), "g.weight", "shape")
    refused(write("dtype.safetensors", {**tensors, "g.bias": tensors["g.bias"].double()}), "g.bias", "dtype")
    refused(write("missing.safetensors", {k: v for k, v in tensors.items() if k != "h.bias"}), "missing", "h.bias")
    refused(write("extra.safetensors", {**tensors, "f.weight": torch.zeros(2, 8)}), "unexpected", "f.weight")
    refused(write("nan.safetensors", {**tensors, "g.bias": torch.full_like(tensors["g.bias"], float("nan"))}), "NaN")


def test_metadata_missing_malformed_or_inconsistent(saved, tmp_path):
    model, _ = saved
    tensors = model.state_dict()
    card = model.card.to_dict()
    cases = {
        "nometa.safetensors": None,
        "nocard.safetensors": {"format": FORMAT},
        "badjson.safetensors": {"format": FORMAT, "card": "{not json"},
        "badkind.safetensors": {"format": FORMAT, "card": json.dumps({**model.card.to_dict(), "kind": "gan"})},
        "wrongdim.safetensors": {"format": FORMAT, "card": json.dumps({**model.card.to_dict(), "latent_dim": 5})},
        "oldformat.safetensors": {"format": "other/0", "card": json.dumps(model.card.to_dict())},
        "archstring.safetensors": {"format": FORMAT, "card": json.dumps({**card, "architecture": "mlp"})},
        "cardlist.safetensors": {"format": FORMAT, "card": "[1, 2]"},
        "betatext.safetensors": {"format": FORMAT, "card": json.dumps({**card, "beta": "big"})},
    }
    for name, meta in cases.items():
        path = tmp_path / name
        save_file(dict(tensors), str(path), metadata=meta)
        refused(path)


def test_load_pretrained_checks_hash_and_names(tmp_path, saved):
    model, path = saved
    folder = tmp_path / "shipped"
    folder.mkdir()
    shutil.copy(path, folder / "digits-vae-z2.safetensors")
    entry = manifest_entry(model, folder / "digits-vae-z2.safetensors")
    write_manifest([entry], folder)
    assert load_pretrained("digits-vae-z2", folder).card.name == "digits-vae-z2"

    with pytest.raises(CheckpointError, match="no shipped model"):
        load_pretrained("../m", folder)
    write_manifest([{**entry, "name": "evil", "file": "../m.safetensors"}], folder)
    with pytest.raises(CheckpointError, match="outside"):
        load_pretrained("evil", folder)

    write_manifest([entry], folder)
    weights = folder / "digits-vae-z2.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        load_pretrained("digits-vae-z2", folder)
    weights.unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_pretrained("digits-vae-z2", folder)
