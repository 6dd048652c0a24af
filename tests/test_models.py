"""The seed's two networks: shared trunk and decoder, heads f vs g and h, deterministic vs sampled z."""

import torch

from vae import Autoencoder, Encoding, VariationalAutoencoder, build_model, convert_ae_to_vae
from vae.objective import batch_loss


def test_vae_is_the_ae_plus_heads_g_and_h(tiny_model):
    ae, vae = tiny_model("ae"), tiny_model("vae")
    ae_keys = {k.split(".")[0] for k in ae.state_dict()}
    vae_keys = {k.split(".")[0] for k in vae.state_dict()}
    assert ae_keys == {"trunk", "decoder", "f"} and vae_keys == {"trunk", "decoder", "g", "h"}
    for part in ("trunk", "decoder"):  # same shapes: the shared pieces are one definition
        a, b = getattr(ae, part).state_dict(), getattr(vae, part).state_dict()
        assert {k: v.shape for k, v in a.items()} == {k: v.shape for k, v in b.items()}


def test_shapes_and_ranges(tiny_model):
    for dataset in ("digits", "sprites"):
        for kind in ("ae", "vae"):
            model = tiny_model(kind, dataset=dataset, latent_dim=3)
            c, h, w = model.card.image_shape
            x = torch.rand(5, c, h, w)
            enc = model.encode(x)
            assert isinstance(enc, Encoding) and enc.mu.shape == (5, 3)
            assert (enc.log_sigma is None) == (kind == "ae")
            out = model.decode(enc.mu)
            assert out.shape == (5, c, h, w) and out.min() >= 0 and out.max() <= 1


def test_ae_is_deterministic_vae_stochastic_but_reproducible(tiny_model):
    x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    ae, vae = tiny_model("ae"), tiny_model("vae")
    torch.testing.assert_close(ae(x).z, ae(x).z)
    z1, z2 = vae(x).z, vae(x).z
    assert not torch.equal(z1, z2)
    za = vae(x, generator=torch.Generator().manual_seed(7)).z
    zb = vae(x, generator=torch.Generator().manual_seed(7)).z
    torch.testing.assert_close(za, zb)
    torch.testing.assert_close(vae(x).encoding.mu, vae(x).encoding.mu)  # the encoder itself is deterministic


def test_ae_loss_has_no_kl_and_vae_loss_adds_beta_kl(tiny_model):
    x = torch.rand(4, 1, 8, 8)
    ae_terms = batch_loss(tiny_model("ae"), x, beta=4.0)
    assert ae_terms.kl.item() == 0 and ae_terms.loss.item() == ae_terms.reconstruction.item()
    vae_terms = batch_loss(tiny_model("vae"), x, beta=4.0, eps=torch.zeros(4, 2))
    torch.testing.assert_close(vae_terms.loss, vae_terms.reconstruction + 4.0 * vae_terms.kl)


def test_convert_ae_to_vae_encodes_like_the_ae_before_retraining(tiny_model):
    ae = tiny_model("ae")
    vae = convert_ae_to_vae(ae, init_log_sigma=-2.0)
    assert isinstance(vae, VariationalAutoencoder) and isinstance(ae, Autoencoder)
    assert vae.card.kind == "vae" and vae.card.training["converted_from"] == ae.card.name
    x = torch.rand(3, 1, 8, 8)
    torch.testing.assert_close(vae.encode(x).mu, ae.encode(x).mu)
    torch.testing.assert_close(vae.encode(x).log_sigma, torch.full((3, 2), -2.0))
    torch.testing.assert_close(vae.decode(ae.encode(x).mu), ae.decode(ae.encode(x).mu))
    # a copy, not a view: training the VAE leaves the AE alone
    with torch.no_grad():
        vae.g.weight.add_(1.0)
    assert not torch.equal(vae.g.weight, ae.f.weight)


def test_build_model_picks_the_kind(tiny_model):
    from conftest import tiny_card

    assert type(build_model(tiny_card("ae"))) is Autoencoder
    assert type(build_model(tiny_card("vae"))) is VariationalAutoencoder
