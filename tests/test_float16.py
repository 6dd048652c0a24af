"""Weights in float16 on the wire (vae.checkpoints.round_to_float16, routes/files.py): a loaded model's weights
are float16 values, its halves are sent as float16 files half the size, and a model whose weights float16
cannot hold is kept and sent in float32."""

from collections import OrderedDict

import numpy as np
import safetensors.torch
import torch

import vae
from routes import files
from vae.checkpoints import checkpoint_bytes, holds_float16, load_checkpoint, save_checkpoint


def test_a_loaded_model_holds_its_files_weights_rounded_to_the_nearest_float16():
    model = vae.load_pretrained("digits-vae-z8")
    shipped = safetensors.torch.load_file(model.source[0])
    for key, value in model.state_dict().items():
        assert value.dtype == torch.float32  # torch computes in float32, on float16 values
        nearest = shipped[key].numpy().astype(np.float16).astype(np.float32)  # numpy's rounding, the reference
        np.testing.assert_array_equal(value.numpy(), nearest)
    assert holds_float16(model)


def test_the_halves_are_float16_files_half_the_size():
    model = vae.load_pretrained("mnist-vae-z8")
    for half in ("decoder", "encoder"):
        small, full = checkpoint_bytes(model, half, torch.float16), checkpoint_bytes(model, half)
        assert len(small) < 0.51 * len(full)  # the same header, half the bytes per value
        full_tensors = safetensors.torch.load(full)
        assert all(torch.equal(t.float(), full_tensors[k]) for k, t in safetensors.torch.load(small).items())


def test_a_model_beyond_float16s_range_stays_float32_and_is_sent_so(tmp_path, monkeypatch):
    model = vae.load_pretrained("digits-vae-z2")
    with torch.no_grad():
        model.decoder[0].bias[0] = 1e5  # beyond float16's largest, 65504
        model.decoder[0].bias[1] = 0.1 + 2**-20  # not a float16 value
    loaded = load_checkpoint(save_checkpoint(model, tmp_path / "big.safetensors"))
    assert not holds_float16(loaded)
    assert torch.equal(loaded.decoder[0].bias, model.decoder[0].bias)  # left as it was
    monkeypatch.setattr(files, "_CACHE", OrderedDict())
    url = files.model_urls(loaded)["decoder"]
    assert url.endswith(".decoder.f32.safetensors")
    sent = safetensors.torch.load(files.file_bytes(url.removeprefix("/files/")))
    assert all(t.dtype == torch.float32 and torch.equal(t, loaded.state_dict()[k]) for k, t in sent.items())


def test_a_shipped_half_is_served_only_under_the_floats_it_holds(monkeypatch):
    model = vae.load_pretrained("digits-ae-z2")
    monkeypatch.setattr(files, "_CACHE", OrderedDict())  # a replica that never published it: the manifest's file
    monkeypatch.setattr(files, "_MAKERS", {})
    digest = model.source[1][:32]
    assert files.file_bytes(f"{digest}.decoder.f16.safetensors") is not None
    assert files.file_bytes(f"{digest}.decoder.f32.safetensors") is None  # never named so: a 404
