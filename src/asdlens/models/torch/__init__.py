"""The PyTorch implementations of the detector families (``model.framework: torch``).

- :mod:`.layers`: BatchNorm in either running-variance convention and either initialisation;
- :mod:`.autoencoders`: the DCASE 2020-2026 and MIMII autoencoders, with the official DCASE 2023-2026 ``AENet``'s
  parameter names (its checkpoints load strictly);
- :mod:`.margin`: the margin-loss embedding CNN (``margin_cnn``) with ArcFace / sub-cluster AdaCos heads;
- :mod:`.training`: the training loop (streamed batches, Adam in either form, determinism, CUDA);
- :mod:`.checkpoint`: state dicts in and out, with errors naming missing / unexpected keys and shapes;
- :mod:`.families`: the detectors, subclasses of the Keras families sharing their scoring and files.

torch is imported by these modules only; ``import asdlens.models`` does not import it. Module imports of
``torch`` here are absolute, so this package's name does not hide the library.
"""

import os

# OpenMP threads that spin while they wait take the cores other processes need: on a loaded 2-core machine a
# 2-thread torch fit of the autoencoder ran at 1,000 vectors/s spinning and 8,600 waiting passively (11,000 with
# one thread). libgomp reads this when torch loads, so it must be set before ``import torch``; a value the user
# set is kept. It changes no number, only how idle threads wait.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def load_torch():
    """``torch``, imported after this package's settings (for modules outside this package)."""
    import torch

    return torch
