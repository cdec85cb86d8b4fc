"""The torch detectors: the Keras families with their network, training and files in torch.

Each subclass keeps its family's windows, validation part, epoch orders, residual covariances, training
embeddings and scoring (so a torch and a Keras run of one config differ only in the network's framework and the
settings that differ), and overrides the hooks that touch the network: ``_train``, the inference functions and
the network file (``model.pt``, a state dict: :mod:`asdlens.models.torch.checkpoint`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..autoencoder_family import Autoencoder
from ..base import CLASSES_FILE
from ..margin_family import MarginEmbedding, mix_batch
from ..samples import ClipSet, EpochOrders, order_batches
from .checkpoint import NETWORK_FILE, load_state, save_state


class TorchAutoencoder(Autoencoder):
    """:class:`~asdlens.models.autoencoder_family.Autoencoder` in torch (:class:`~.autoencoders.AENet`, the
    official DCASE 2023-2026 baseline's network and parameter names, or the MIMII autoencoder).

    ``model.checkpoint`` loads a state dict strictly before training (``training.epochs: 0``: no training, only
    the training embeddings and, unless the file carries usable ones, the residual covariances are computed;
    a checkpoint's nonzero ``cov_source`` / ``cov_target`` are the covariances the Mahalanobis score uses, as
    the official ``test()`` inverts them). The network's ``cov_source`` / ``cov_target`` are set from the fit's
    covariances, so a saved ``model.pt`` loads into the official code and scores there as here.
    """

    def _build(self):
        from .autoencoders import build_autoencoder
        from .training import device_for, prepare, seeded

        self.device = device_for(self.training.get("gpus", 0.0))
        prepare(self.device)
        with seeded(int(self.training["seed"])):
            if self.settings["model"].get("builder"):
                from ..user_builder import build_user_network

                net = build_user_network(self.settings, self.input_dim, block_size=self.n_mels)
            else:
                net = build_autoencoder(self.name, self.input_dim, self.n_mels, self.layer_settings)
        checkpoint = self.settings["model"].get("checkpoint")
        if checkpoint:
            load_state(net, checkpoint)
        return net.to(self.device)

    def _train(self, train: ClipSet, win, parts, orders, seed: int, on_epoch_end) -> dict:
        from .training import fit, mse_loss, optimizer_for

        t = self.training
        fit_part, val_part = parts
        batch = int(t["batch_size"])
        self.model = self._build()
        self._predict = self._predict_code = None
        if int(t["epochs"]) == 0:
            return {"loss": []}
        starts, val_starts = win.starts[fit_part], win.starts[val_part]

        def epoch_batches(epoch: int):
            return order_batches(train, starts, self.frames, orders(epoch), batch)

        def validation():
            return order_batches(train, val_starts, self.frames, np.arange(len(val_starts)), batch)

        return fit(
            self.model, epoch_batches, epochs=int(t["epochs"]), device=self.device,
            optimizer=optimizer_for(self.model.parameters(), self.optimizer_settings),
            loss_fn=mse_loss(self.framework["loss_reduction"]),
            validation=validation if len(val_part) else None, on_epoch_end=on_epoch_end,
        )  # fmt: skip

    def fit_mahalanobis(self, train: ClipSet, win, samples: np.ndarray, batch_size: int):
        if int(self.training["epochs"]) == 0:
            given = self._checkpoint_covariances()
            if given is not None:
                return given
        backend = super().fit_mahalanobis(train, win, samples, batch_size)
        self._store_covariances(backend)
        return backend

    def _checkpoint_covariances(self):
        """The residual covariances a checkpoint carries (None when they are zero: never computed)."""
        from ..mahalanobis import ResidualMahalanobis

        source, target = (getattr(self.model, k).detach().cpu().double().numpy() for k in ("cov_source", "cov_target"))  # fmt: skip
        if not np.any(source):
            return None
        return ResidualMahalanobis.from_covariances(source, target if np.any(target) else source)

    def _store_covariances(self, backend) -> None:
        import torch

        with torch.no_grad():
            for domain, buffer in (("source", self.model.cov_source), ("target", self.model.cov_target)):
                buffer.copy_(torch.from_numpy(backend.covariances_[domain]).to(buffer.dtype))

    def _device(self):
        from .training import device_for

        if not hasattr(self, "device"):
            self.device = device_for(self.training.get("gpus", 0.0))
            self.model.to(self.device)
        return self.device

    def _predictor(self):
        from .training import predictor

        if self._predict is None:
            self._predict = predictor(self.model, self._device())
        return self._predict

    def _coder(self):
        from .training import predictor

        if self._predict_code is None:
            self._predict_code = predictor(self.model, self._device(), method="code")
        return self._predict_code

    def _save_network(self, folder: Path) -> None:
        save_state(self.model, folder / NETWORK_FILE)

    @classmethod
    def _load_network(cls, folder: Path, settings: dict[str, Any]):
        from ..frameworks import LayerSettings, detector_framework
        from .autoencoders import build_autoencoder
        from .training import seeded

        name, n_mels = settings["model"]["name"], int(settings["n_mels"])
        with seeded(0):  # the weights are replaced: keep the global generator as it was
            if settings["model"].get("builder"):
                from ..user_builder import build_user_network

                net = build_user_network(settings, n_mels * int(settings["frames"]), block_size=n_mels)
            else:
                net = build_autoencoder(name, n_mels * int(settings["frames"]), n_mels,
                                        LayerSettings.of(detector_framework(settings)))  # fmt: skip
        load_state(net, folder / NETWORK_FILE, what="cached network")
        return net.eval()


class TorchMarginEmbedding(MarginEmbedding):
    """:class:`~asdlens.models.margin_family.MarginEmbedding` in torch (``margin_cnn``:
    :mod:`asdlens.models.torch.margin`): the same windows, labels, mixup draws and scoring. ``model.checkpoint``
    (a state dict of this network, e.g. a run's ``model.pt``) is loaded strictly before training."""

    def _train(self, train: ClipSet, win, parts, targets, stats, seed: int, on_epoch_end) -> dict:
        import torch

        from .margin import build_margin_network
        from .training import device_for, fit, optimizer_for, prepare, seeded

        t = self.training
        fit_part, val_part = parts
        self.device = device_for(t.get("gpus", 0.0))
        prepare(self.device)
        with seeded(seed):
            net = build_margin_network(self.params, self.n_mels, len(self.classes), self.layer_settings)
        net.backbone.mean.copy_(torch.from_numpy(stats[0]))
        net.backbone.std.copy_(torch.from_numpy(stats[1]))
        if self.settings["model"].get("checkpoint"):  # its band statistics replace the training clips'
            load_state(net, self.settings["model"]["checkpoint"])
        self.model = net.to(self.device)
        self._embedder = None
        n_classes, batch, mixup = len(self.classes), int(t["batch_size"]), self.params["mixup"]
        orders = EpochOrders(len(fit_part), seed, kind=self.framework["order"], shuffle=t["shuffle"])

        def labelled(part, order, epoch, mix):
            batches = order_batches(train, win.starts[part], self.frames, order, batch, targets=targets[part],
                                    flatten=False)  # fmt: skip
            for i, (x, y) in enumerate(batches):
                yield mix_batch(x, np.eye(n_classes, dtype=np.float32)[y], mix, (seed, epoch, i))

        def loss_fn(net, x, y):
            per_sample = -(y * net(x, y)).sum(dim=-1)  # soft-label cross-entropy (one-hot or mixed)
            return per_sample.sum() if self.framework["loss_reduction"] == "sum" else per_sample.mean()

        return fit(
            self.model, lambda epoch: labelled(fit_part, orders(epoch), epoch, mixup),
            epochs=int(t["epochs"]), device=self.device, loss_fn=loss_fn,
            optimizer=optimizer_for(self.model.parameters(), self.optimizer_settings),
            validation=(lambda: labelled(val_part, np.arange(len(val_part)), 0, 0.0)) if len(val_part) else None,
            on_epoch_end=on_epoch_end,
        )  # fmt: skip

    def head_scale(self) -> float:
        return float(self.model.head.scale)  # ArcFace's fixed scale, AdaCos's buffer

    def head_centres(self) -> np.ndarray:
        return self.model.head.centres.detach().cpu().double().numpy()

    def _embeddings(self, x: np.ndarray) -> np.ndarray:
        from .training import device_for, predictor

        if self._embedder is None:
            device = getattr(self, "device", None) or device_for(self.training.get("gpus", 0.0))
            self.model.to(device)
            self._embedder = predictor(self.model, device, method="embed")
        return self._embedder(x)

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        save_state(self.model, folder / NETWORK_FILE)
        (folder / CLASSES_FILE).write_text(json.dumps(self.classes))
        self.reference.save(folder)

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any]):
        from ..base import TrainingEmbeddings
        from ..families import resolved_params
        from ..frameworks import LayerSettings, detector_framework
        from .margin import build_margin_network
        from .training import seeded

        folder = Path(folder)
        classes = json.loads((folder / CLASSES_FILE).read_text())
        with seeded(0):  # the weights are replaced: keep the global generator as it was
            net = build_margin_network(resolved_params(settings["model"]), int(settings["n_mels"]), len(classes),
                                       LayerSettings.of(detector_framework(settings)))  # fmt: skip
        load_state(net, folder / NETWORK_FILE, what="cached network")
        return cls(settings, net.eval(), TrainingEmbeddings.load(folder), classes)
