"""Official-code parity: the DCASE 2023-2026 baseline's ``AENet`` and its scores, transcribed from the facts of the
official code, against asdlens's torch autoencoder given the same state dict; checkpoints in and out.

The transcription (:class:`OfficialAENet`, :func:`official_mse`, :func:`official_mahalanobis`) is written here
from what nttcslab/dcase2023_task2_baseline_ae at 9b64dc4 specifies: ``networks/dcase2023t2_ae/network.py``
(``cov_source`` / ``cov_target``: ``nn.Parameter(torch.zeros(block_size, block_size), requires_grad=False)``,
created first; ``encoder``: 4 x [Linear(., 128), BatchNorm1d(128, momentum=0.01, eps=1e-03), ReLU] then
[Linear(128, 8), BatchNorm1d(8, ...), ReLU]; ``decoder``: 4 x [Linear(., 128), BatchNorm1d(128, ...), ReLU] then
Linear(128, input_dim); ``forward`` returns ``(decoder(z), z)``), ``networks/dcase2023t2_ae/dcase2023t2_ae.py``
(MSE score: ``F.mse_loss(recon, x, reduction="none").mean()`` over one clip's vectors; Mahalanobis score: the
smaller of the two domains' values) and ``networks/criterion/mahala.py`` (``torch.inverse`` of the float32
covariance; ``delta @ inv_cov @ delta.T`` over the clip's 128-value residual blocks, the mean over rows, then the
sum over columns divided by their number).

Tolerances (float32): reconstructions 1e-6 relative (the same torch ops on the same weights); MSE scores 1e-5
relative (asdlens averages in float64, the official code in float32); Mahalanobis scores 1e-4 relative (the
official inverse and quadratic form are float32, asdlens's float64, on covariances of condition number ~10).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from detector_fixtures import settings, subset
from torch import nn

from asdlens.models.detectors import load_detector, make_detector
from asdlens.models.frameworks import LayerSettings
from asdlens.models.samples import clip_windows
from asdlens.models.torch.autoencoders import AENet, MimiiAutoencoder
from asdlens.models.torch.checkpoint import load_state, save_state


class OfficialAENet(nn.Module):
    """The official network, transcribed from its facts (module docstring)."""

    def __init__(self, input_dim: int, block_size: int):
        super().__init__()
        self.input_dim = input_dim
        self.cov_source = nn.Parameter(torch.zeros(block_size, block_size), requires_grad=False)
        self.cov_target = nn.Parameter(torch.zeros(block_size, block_size), requires_grad=False)
        widths_in, widths_out = [input_dim, 128, 128, 128, 128], [128, 128, 128, 128, 8]
        enc = []
        for a, b in zip(widths_in, widths_out, strict=True):
            enc += [nn.Linear(a, b), nn.BatchNorm1d(b, momentum=0.01, eps=1e-03), nn.ReLU()]
        self.encoder = nn.Sequential(*enc)
        dec = []
        for a in (8, 128, 128, 128):
            dec += [nn.Linear(a, 128), nn.BatchNorm1d(128, momentum=0.01, eps=1e-03), nn.ReLU()]
        self.decoder = nn.Sequential(*dec, nn.Linear(128, input_dim))

    def forward(self, x):
        z = self.encoder(x.view(-1, self.input_dim))
        return self.decoder(z), z


def official_mse(model, x: torch.Tensor) -> float:
    recon, _ = model(x)
    return float(nn.functional.mse_loss(recon, x.view(recon.shape), reduction="none").mean())


def official_mahalanobis(model, x: torch.Tensor, block: int) -> float:
    recon, _ = model(x)
    values = []
    for cov in (model.cov_source, model.cov_target):
        inv = torch.inverse(cov.data.float())
        delta = recon.view(-1, block) - x.view(-1, block)
        m = delta @ inv @ delta.t()
        values.append(float(m.mean(dim=1).sum() / m.shape[0]))
    return min(values)


def _official(seed: int = 13711) -> OfficialAENet:
    torch.manual_seed(seed)
    return OfficialAENet(640, 128)


def _trained_looking(model: nn.Module) -> nn.Module:
    """Non-trivial BatchNorm statistics and well-conditioned residual covariances (as after training)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.3)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.num_batches_tracked.fill_(700)
        for name, scale in (("cov_source", 1.0), ("cov_target", 2.0)):
            a = torch.randn(128, 128, generator=gen) * 0.05
            getattr(model, name).data = scale * (torch.eye(128) + a @ a.t())
    return model


def test_asdlens_draws_the_official_initial_weights_and_names():
    official = _official()
    torch.manual_seed(13711)
    ours = AENet(640, 128, LayerSettings(batchnorm_momentum=0.01, batchnorm_eps=1e-3, init="torch",
                                         batchnorm_variance="unbiased"))  # fmt: skip
    a, b = official.state_dict(), ours.state_dict()
    assert list(a) == list(b)
    assert list(a)[:4] == ["cov_source", "cov_target", "encoder.0.weight", "encoder.0.bias"]
    assert all(torch.equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)
    assert [(m.momentum, m.eps) for m in ours.modules() if isinstance(m, nn.BatchNorm1d)] == [
        (0.01, 1e-3)
    ] * 9


def test_checkpoints_load_strictly_both_ways(tmp_path):
    official = _trained_looking(_official())
    torch.save(official.state_dict(), tmp_path / "official.pth")  # what the official code writes
    ours = load_state(AENet(640, 128), tmp_path / "official.pth")
    save_state(ours, tmp_path / "ours.pt")
    back = OfficialAENet(640, 128)
    back.load_state_dict(torch.load(tmp_path / "ours.pt", weights_only=True), strict=True)
    assert all(torch.equal(v, back.state_dict()[k]) for k, v in official.state_dict().items())
    # the official training checkpoint (checkpoint.tar) loads too: its model_state_dict
    torch.save(
        {"epoch": 3, "model_state_dict": official.state_dict(), "loss": 1.0}, tmp_path / "checkpoint.tar"
    )
    assert torch.equal(
        load_state(AENet(640, 128), tmp_path / "checkpoint.tar").cov_target, official.cov_target
    )


def test_a_checkpoint_that_does_not_fit_names_its_keys_and_shapes(tmp_path):
    state = _official().state_dict()
    missing = {k: v for k, v in state.items() if k != "decoder.12.bias"}
    torch.save({**missing, "encoder.99.weight": torch.zeros(1)}, tmp_path / "a.pth")
    with pytest.raises(ValueError, match=r"model.checkpoint .*a.pth does not fit AENet: missing keys "
                                         r"\['decoder.12.bias'\]; unexpected keys \['encoder.99.weight'\]"):  # fmt: skip
        load_state(AENet(640, 128), tmp_path / "a.pth")
    torch.save(state, tmp_path / "b.pth")
    with pytest.raises(ValueError, match=r"mismatched shapes \[cov_source: \(128, 128\) in the file, \(64, 64\) "
                                         r"in the network; .*encoder.0.weight: \(128, 640\) in the file, "
                                         r"\(128, 320\) in the network"):  # fmt: skip
        load_state(AENet(320, 64), tmp_path / "b.pth")
    with pytest.raises(ValueError, match="missing keys"):
        load_state(MimiiAutoencoder(640, 128), tmp_path / "b.pth")
    (tmp_path / "c.pth").write_text("not a checkpoint")
    with pytest.raises(ValueError, match=r"model.checkpoint .*c.pth: not a torch state dict file"):
        load_state(AENet(640, 128), tmp_path / "c.pth")


def test_official_parity_reconstructions_mse_and_mahalanobis(tiny_sets, tmp_path):
    """The official network and asdlens's torch detector with the same state dict score clips alike."""
    train, test = tiny_sets
    official = _trained_looking(_official()).eval()
    torch.save(official.state_dict(), tmp_path / "official.pth")
    s = settings(["model.framework=torch", "model.batchnorm_momentum=0.01", "model.batchnorm_eps=1e-3",
                  f"model.checkpoint={tmp_path / 'official.pth'}", "training.epochs=0"])  # fmt: skip
    detector = make_detector(s)
    info = detector.fit(
        subset(train, range(4)), seed=0
    )  # no training: embeddings, the checkpoint's covariances
    assert info["history"] == {"loss": []} and info["mahalanobis"] == {"n_source": 0, "n_target": 0}
    mse = detector.score(test)
    s["scoring"]["backend"] = "mahalanobis"
    detector.save(tmp_path / "saved")
    mahalanobis = load_detector(tmp_path / "saved", s).score(test)
    for i in range(test.n_clips):
        x = torch.from_numpy(np.ascontiguousarray(clip_windows(test, i, 5)).reshape(-1, 640))
        with torch.no_grad():
            recon, _ = official(x)
            ours = detector.model.eval()(x)
            np.testing.assert_allclose(ours.numpy(), recon.numpy(), rtol=1e-6, atol=1e-6)
            assert mse[i] == pytest.approx(official_mse(official, x), rel=1e-5)
            assert mahalanobis[i] == pytest.approx(official_mahalanobis(official, x, 128), rel=1e-4)


@pytest.mark.slow
def test_a_trained_torch_autoencoder_scores_the_same_in_the_official_network(tiny_sets, tmp_path):
    train, test = tiny_sets
    s = settings(["model.framework=torch", "training.epochs=1", "training.batch_size=64"])
    detector = make_detector(s)
    detector.fit(subset(train, range(6)), seed=0)
    detector.save(tmp_path)
    official = OfficialAENet(640, 128)
    official.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True), strict=True)
    official.eval()
    s["scoring"]["backend"] = "mahalanobis"
    ours = load_detector(tmp_path, s).score(test)
    for i in range(test.n_clips):
        x = torch.from_numpy(np.ascontiguousarray(clip_windows(test, i, 5)).reshape(-1, 640))
        with torch.no_grad():
            assert ours[i] == pytest.approx(official_mahalanobis(official, x, 128), rel=1e-3)
