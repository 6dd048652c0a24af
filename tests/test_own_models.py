"""Your own data and models: a pair trained on IDX files with the command line, found again by
evaluate and find_pairs without being told where the data is, and every bad folder named clearly."""

import json
import pickle
import shutil

import pytest
from ownmodels import train_cli, write_idx

from vae import find_pairs, load_checkpoint
from vae.__main__ import main

pytestmark = pytest.mark.slow  # every test trains, or reads the models `trained` trains


def copy_of(trained, tmp_path, *names):
    """A fresh copy of DATA and of the named models, to break one thing at a time."""
    shutil.copytree(trained / "DATA", tmp_path / "DATA")
    (tmp_path / "MODELS").mkdir()
    for name in names:
        shutil.copy(trained / "MODELS" / name, tmp_path / "MODELS" / name)
    return tmp_path / "MODELS", tmp_path / "DATA"


def test_the_card_records_the_data_and_evaluate_finds_it(trained, tmp_path, capsys, monkeypatch):
    card = load_checkpoint(trained / "MODELS/vae.safetensors").card
    assert card.training["data_root"] == str((trained / "DATA").resolve())
    monkeypatch.chdir(tmp_path)  # somewhere else entirely
    capsys.readouterr()
    assert main(["evaluate", str(trained / "MODELS/vae.safetensors"), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures == {"name": card.name, **card.metrics} and figures["examples"] == 16


def test_evaluate_says_when_the_data_folder_is_gone(tmp_path, capsys):
    data = write_idx(tmp_path / "DATA")
    train_cli(tmp_path / "ae.safetensors", "--kind", "ae", "--data-root", str(data))
    moved = data.rename(tmp_path / "moved")
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "ae.safetensors")]) == 2
    message = capsys.readouterr().err
    assert "idx-ae-z2" in message and str(data) in message and "gone" in message and "--data-root" in message
    assert main(["evaluate", str(tmp_path / "ae.safetensors"), "--data-root", str(moved)]) == 0


def test_find_pairs_finds_the_ae_with_its_vaes(trained):
    pairs, problems = find_pairs(trained / "MODELS")
    assert problems == []
    (pair,) = pairs
    assert pair.ae.card.name == "idx-ae-z2" and pair.ae.path == trained / "MODELS/ae.safetensors"
    assert [v.card.name for v in pair.vaes] == ["idx-vae-z2", "idx-vae-z2-b4"]  # beta 1 first
    assert pair.data_root == (trained / "DATA").resolve()
    assert "idx" in pair.label and "D=2" in pair.label


def test_a_folder_that_does_not_exist_or_holds_no_pair(trained, tmp_path):
    assert find_pairs(tmp_path / "nowhere") == ([], [f"{tmp_path / 'nowhere'}: no such folder"])
    models, _ = copy_of(trained, tmp_path, "ae.safetensors")
    pairs, problems = find_pairs(models)
    assert pairs == []
    assert any("ae.safetensors" in p and "no VAE" in p for p in problems)
    assert any("no AE/VAE pair" in p for p in problems)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_pairs(empty)[1] == [f"{empty}: no AE/VAE pair among its 0 readable .safetensors files (a pair is an "
                                    "AE and a VAE of the same dataset and latent size, trained alike)"]


def test_broken_and_foreign_files_are_named_and_the_pair_still_found(trained, tmp_path):
    models, _ = copy_of(trained, tmp_path, "ae.safetensors", "vae.safetensors")
    (models / "junk.safetensors").write_bytes(b"\0" * 100)
    (models / "pickled.safetensors").write_bytes(pickle.dumps({"w": [1, 2]}))
    half = (models / "vae.safetensors").read_bytes()
    (models / "cut.safetensors").write_bytes(half[: len(half) // 2])
    pairs, problems = find_pairs(models)
    assert len(pairs) == 1 and len(problems) == 3
    assert any(p.startswith("junk.safetensors: ") for p in problems)
    assert any(p.startswith("pickled.safetensors: ") and "pickle" in p for p in problems)
    assert any(p.startswith("cut.safetensors: ") for p in problems)


def test_a_card_whose_data_folder_is_gone_and_the_folder_given_instead(trained, tmp_path):
    models, data = copy_of(trained, tmp_path, "ae.safetensors", "vae.safetensors")
    moved = data.rename(tmp_path / "moved")
    pairs, problems = find_pairs(models, data_root=tmp_path / "DATA")
    assert pairs == [] and any("idx-ae-z2" in p and "gone" in p and str(tmp_path / "DATA") in p for p in problems)
    pairs, problems = find_pairs(models, data_root=moved)
    assert len(pairs) == 1 and problems == [] and pairs[0].data_root == moved


def test_idx_files_of_another_image_size(trained, tmp_path):
    small = write_idx(tmp_path / "small", side=8)
    pairs, problems = find_pairs(trained / "MODELS", data_root=small)
    assert pairs == []
    assert any("8×8" in p and "28×28" in p and "idx-ae-z2" in p for p in problems), problems


def test_an_ae_and_a_vae_trained_differently_are_not_a_pair(trained, tmp_path):
    models, data = copy_of(trained, tmp_path, "ae.safetensors")
    train_cli(models / "vae-seed1.safetensors", "--kind", "vae", "--seed", "1", "--data-root",
              str(trained / "DATA"))
    pairs, problems = find_pairs(models)
    assert pairs == []
    assert any("ae.safetensors" in p and "vae-seed1.safetensors" in p and "seed 0 vs 1" in p
               and "not trained alike" in p for p in problems), problems
