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
