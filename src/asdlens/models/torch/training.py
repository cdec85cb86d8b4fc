"""The torch training loop of every torch detector: streamed batches, Adam in either form, determinism, CUDA.

What the loop does is what the official DCASE 2023-2026 baseline's ``DCASE2023T2AE.train`` does
(nttcslab/dcase2023_task2_baseline_ae ``networks/dcase2023t2_ae/dcase2023t2_ae.py`` at 9b64dc4): per epoch,
``model.train()``, for each batch ``zero_grad``, forward, loss, ``backward``, ``step``, a batch of a single
sample skipped (BatchNorm cannot normalise it in training); then the validation loss with ``model.eval()`` under
``no_grad``. The logged losses are the sample-weighted means over the epoch's batches (Keras's ``loss`` and
``val_loss``).

Adam: ``adam_eps_on: v_hat`` is ``torch.optim.Adam`` itself (``lr``, ``betas``, ``eps``, ``weight_decay``);
``v`` is :class:`KerasFormAdam`, Keras 3's update (``keras/src/optimizers/adam.py``: epsilon added to
``sqrt(v)``, the bias corrections folded into the step size) with torch's coupled weight decay.

Determinism: :func:`prepare` turns on ``torch.use_deterministic_algorithms(True)`` (the official ``train.py``
assigns ``torch.use_deterministic_algorithms = True``, which replaces the function and turns nothing on), fixes
the math threads (:func:`torch_threads`), and the initial weights are drawn inside ``torch.random.fork_rng``
after ``torch.manual_seed(seed)``, so a fit's numbers do not depend on what the process ran before. torch's CPU
reductions split their work by thread, so the thread count changes the last bits (a 16-step fit of the
autoencoder moved weights by 3e-3 between 1 and 2 threads): a torch fit or scoring pass uses the thread budget
its process was *given* (``ASDLENS_THREADS``, which the engine's local and Ray workers set to the run's
``--threads``) and one thread in a process that was given none (the inline executor, a library call), so the
same run gives the same bytes inline, on local workers and on Ray at the default ``--threads 1``. On the CPU, a
fit is then bit-identical run to run for the same machine, thread count and torch version. On a GPU (``training.gpus > 0`` and CUDA present) the same flag makes cuBLAS and cuDNN
pick deterministic kernels (``CUBLAS_WORKSPACE_CONFIG=:4096:8`` is set for it): runs repeat on the same GPU
model, driver and torch, but their last bits differ from the CPU's and from another GPU model's.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

from ..frameworks import OptimizerSettings


def device_for(gpus: float) -> torch.device:
    """CUDA when the fit asks for a GPU and one is present, else the CPU."""
    if gpus and gpus > 0 and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def torch_threads() -> int:
    """The math threads of torch work here: the process's given budget (``ASDLENS_THREADS``), else 1."""
    from ...runtime import THREADS_ENV, thread_budget

    return thread_budget() if os.environ.get(THREADS_ENV) else 1


def prepare(device: torch.device) -> None:
    """Deterministic algorithms and the threads of :func:`torch_threads` (see the module docstring)."""
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(torch_threads())


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """torch's global generator seeded with ``seed`` inside, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


class KerasFormAdam(torch.optim.Optimizer):
    """Adam as Keras 3 updates (epsilon on ``sqrt(v)``), with torch Adam's coupled ``weight_decay``.

    Per step ``t``: ``m += (g - m)(1 - b1)``; ``v += (g^2 - v)(1 - b2)``;
    ``w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad if not group["weight_decay"] else p.grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["m"], state["v"]
                m.add_(g.sub(m), alpha=1 - b1)
                v.add_(g.square().sub_(v), alpha=1 - b2)
                alpha = group["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
                p.sub_(m.mul(alpha).div_(v.sqrt().add_(group["eps"])))


def optimizer_for(params, settings: OptimizerSettings) -> torch.optim.Optimizer:
    """``torch.optim.Adam`` (``eps_on: v_hat``) or :class:`KerasFormAdam` (``v``) with ``settings``."""
    betas = (settings.beta1, settings.beta2)
    if settings.eps_on == "v_hat":
        return torch.optim.Adam(params, lr=settings.lr, betas=betas, eps=settings.eps,
                                weight_decay=settings.weight_decay)  # fmt: skip
    return KerasFormAdam(
        params, lr=settings.lr, betas=betas, eps=settings.eps, weight_decay=settings.weight_decay
    )


def mse_loss(reduction: str) -> Callable:
    """The autoencoders' loss ``loss(net, x, y)``: the squared error of every value of the batch's
    reconstruction, its ``mean`` or ``sum``."""

    def loss(net, x, _y):
        out = net(x)
        return torch.nn.functional.mse_loss(out, x.view(out.shape), reduction=reduction)

    return loss


Batch = tuple[np.ndarray, np.ndarray | None]


def _tensor(a: np.ndarray | None, device: torch.device):
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a)).to(device, non_blocking=True)


def run_epoch(net, batches: Iterable[Batch], loss_fn, device, optimizer=None) -> float:
    """One pass over ``batches`` (train when ``optimizer`` is given, else evaluate); the sample-weighted mean
    loss (a batch of one sample is skipped in training). ``loss_fn(net, x, y)`` computes a batch's loss."""
    total, count = 0.0, 0
    for x_np, y_np in batches:
        if optimizer is not None and len(x_np) <= 1:
            continue
        x, y = _tensor(x_np, device), _tensor(y_np, device)
        if optimizer is None:
            with torch.no_grad():
                loss = loss_fn(net, x, y)
        else:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net, x, y)
            loss.backward()
            optimizer.step()
        total += float(loss.detach()) * len(x_np)
        count += len(x_np)
    return total / max(count, 1)


def fit(net, train: Callable[[int], Iterable[Batch]], *, epochs: int, optimizer, loss_fn, device,
        validation: Callable[[], Iterable[Batch]] | None = None,
        on_epoch_end: Callable[[int, dict], None] | None = None) -> dict[str, list[float]]:  # fmt: skip
    """Train ``net`` for ``epochs`` epochs; ``train(epoch)`` gives epoch ``epoch``'s batches (from 1).

    Returns the history ``{"loss": [...], "val_loss": [...]}`` (``val_loss`` with ``validation``), as Keras's.
    ``on_epoch_end(epoch, logs)`` is called with the epoch counted from 0, as Keras's callbacks are.
    """
    history: dict[str, list[float]] = {"loss": []}
    for epoch in range(1, int(epochs) + 1):
        net.train()
        logs = {"loss": run_epoch(net, train(epoch), loss_fn, device, optimizer)}
        if validation is not None:
            net.eval()
            logs["val_loss"] = run_epoch(net, validation(), loss_fn, device)
        for k, v in logs.items():
            history.setdefault(k, []).append(v)
        if on_epoch_end is not None:
            on_epoch_end(epoch - 1, dict(logs))
    net.eval()
    return history


def predictor(net, device, *, method: str = "forward") -> Callable[[np.ndarray], np.ndarray]:
    """``f(x) -> y`` in inference mode on float32 NumPy arrays (``method``: ``forward`` or ``code``)."""
    fn = getattr(net, method)
    prepare(device)

    def call(x: np.ndarray) -> np.ndarray:
        net.eval()
        with torch.no_grad():
            out = fn(_tensor(np.asarray(x, dtype=np.float32), device))
        return out.detach().cpu().numpy()

    return call
