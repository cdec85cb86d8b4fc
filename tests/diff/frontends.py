"""Frontends to identify: real librosa calls (presets and non-presets) and asdlens specs librosa cannot express."""

from __future__ import annotations

import numpy as np
import scipy.signal

from asdlens.features import MelSpec, melspectrogram


def librosa_fn(sr=16000, *, log=None, transpose=False, symmetric=None, **kwargs):
    """``librosa.feature.melspectrogram(y, sr, **kwargs)``, optionally ``power_to_db``'d and transposed."""
    import librosa

    if symmetric:
        kwargs["window"] = scipy.signal.get_window(
            symmetric, kwargs.get("win_length") or kwargs["n_fft"], fftbins=False
        )

    def fn(y):
        out = librosa.feature.melspectrogram(y=y, sr=sr, **kwargs)
        if log == "db":
            out = librosa.power_to_db(out, ref=1.0, amin=1e-10, top_db=80.0)
        elif log == "db_max":
            out = librosa.power_to_db(out, ref=np.max, top_db=None)
        elif log == "dcase":
            out = 20.0 / kwargs.get("power", 2.0) * np.log10(out + np.finfo(float).eps)
        return out.T if transpose else out

    return fn


def spec_fn(spec: MelSpec, *, transpose=False):
    def fn(y):
        out = melspectrogram(y, spec)
        return out.T if transpose else out

    return fn


#: name -> (function factory, the spec it must be identified as, sample rate)
NON_PRESETS = {
    "issue-example": (
        lambda: librosa_fn(
            n_fft=2048, hop_length=256, htk=True, norm=None, fmin=20, fmax=7600, power=1.0, pad_mode="reflect"
        ),
        MelSpec(
            n_fft=2048,
            hop_length=256,
            mel_scale="htk",
            norm=None,
            fmin=20.0,
            fmax=7600.0,
            power=1.0,
            pad_mode="reflect",
        ),
        16000,
    ),
    "speech-hamming": (
        lambda: librosa_fn(n_fft=512, win_length=400, hop_length=160, window="hamming", n_mels=40),
        MelSpec(n_fft=512, win_length=400, hop_length=160, window="hamming", n_mels=40),
        16000,
    ),
    "db-transposed": (
        lambda: librosa_fn(
            n_fft=1024, hop_length=256, n_mels=80, fmin=50, fmax=7000, log="db", transpose=True
        ),
        MelSpec(n_fft=1024, hop_length=256, n_mels=80, fmin=50.0, fmax=7000.0, log="db"),
        16000,
    ),
    "uncentred": (
        lambda: librosa_fn(n_fft=1024, hop_length=512, n_mels=64, center=False),
        MelSpec(n_fft=1024, hop_length=512, n_mels=64, center=False),
        16000,
    ),
    "blackman-symmetric": (
        lambda: librosa_fn(n_fft=2048, hop_length=512, n_mels=96, symmetric="blackman"),
        MelSpec(n_fft=2048, hop_length=512, n_mels=96, window="blackman", periodic=False),
        16000,
    ),
    "dcase-magnitude": (
        lambda: librosa_fn(
            n_fft=4096, hop_length=1024, n_mels=32, power=1.0, log="dcase", pad_mode="reflect"
        ),
        MelSpec(n_fft=4096, hop_length=1024, n_mels=32, power=1.0, log="dcase", pad_mode="reflect"),
        16000,
    ),
    "boxcar-small": (
        lambda: librosa_fn(n_fft=256, hop_length=128, n_mels=24, window="boxcar"),
        MelSpec(n_fft=256, hop_length=128, n_mels=24, window="boxcar"),
        16000,
    ),
    "db-ref-max": (
        lambda: librosa_fn(n_fft=1024, hop_length=320, n_mels=64, fmax=6000, log="db_max"),
        MelSpec(n_fft=1024, hop_length=320, n_mels=64, fmax=6000.0, log="db", ref="max", top_db=None),
        16000,
    ),
    "librosa-22050": (
        lambda: librosa_fn(sr=22050, n_fft=2048, hop_length=512),
        MelSpec(sample_rate=22050, n_fft=2048, hop_length=512),
        22050,
    ),
    "tf-like-400": (
        lambda: spec_fn(_TF_LIKE),
        None,  # filled below
        16000,
    ),
    "ln-slaney-mel-triangles": (
        lambda: spec_fn(_LN),
        None,
        16000,
    ),
}

_TF_LIKE = MelSpec(
    n_fft=512,
    win_length=400,
    hop_length=160,
    window_position="left",
    center=False,
    pad_end=True,
    n_mels=40,
    fmin=80.0,
    fmax=7600.0,
    mel_scale="htk",
    norm=None,
    triangles="mel",
)
_LN = MelSpec(
    n_fft=1024, hop_length=256, n_mels=64, fmin=30.0, fmax=8000.0, triangles="mel", log="ln", eps=1e-6
)
NON_PRESETS["tf-like-400"] = (NON_PRESETS["tf-like-400"][0], _TF_LIKE, 16000)
NON_PRESETS["ln-slaney-mel-triangles"] = (NON_PRESETS["ln-slaney-mel-triangles"][0], _LN, 16000)


def equivalent_diff(expected: MelSpec, found: MelSpec) -> list[str]:
    """Differing fields, ignoring those that cannot change a number for these specs."""
    out = []
    e, f = expected.resolved(), found.resolved()
    for name in e.diff_fields(f):
        if name == "window_position" and e.win == e.n_fft and f.win == f.n_fft:
            continue
        if name == "pad_mode" and not e.center and not f.center:
            continue
        if name in ("ref", "amin", "top_db") and e.log != "db" and f.log != "db":
            continue
        if name == "eps" and e.log not in ("dcase", "ln"):
            continue
        if name == "dtype":
            continue
        out.append(name)
    return out


def seed_tf_signal(y):
    """The seed notebook's TensorFlow code as written (float32), ``[n_mels, frames]``."""
    import tensorflow as tf

    matrix = tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=128, num_spectrogram_bins=513, sample_rate=16000
    )
    audio = tf.abs(tf.signal.stft(tf.constant(y), frame_length=1024, frame_step=512, pad_end=True))
    return tf.tensordot(tf.square(audio), matrix, axes=1).numpy().T


def keras_layer():
    """``keras.layers.MelSpectrogram()`` as shipped (dB, float32); returns ``[n_mels, frames]``."""
    import keras

    layer = keras.layers.MelSpectrogram()
    return lambda y: np.asarray(layer(y))


def torchaudio_formula(y):
    """torchaudio's ``MelSpectrogram()`` by its documented formula (torchaudio itself is not installable here):
    real ``torch.stft(n_fft=400, hop 200, hann, center, reflect)`` squared, times librosa's HTK, norm-None
    filterbank (what ``melscale_fbanks`` builds with its defaults)."""
    import librosa
    import torch

    spec = torch.stft(
        torch.from_numpy(y),
        n_fft=400,
        hop_length=200,
        window=torch.hann_window(400),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )
    power = (spec.abs() ** 2).numpy()
    return librosa.filters.mel(sr=16000, n_fft=400, n_mels=128, htk=True, norm=None) @ power


#: preset -> function factory using the real library the preset names (slow ones import TensorFlow)
PRESET_FUNCTIONS = {
    "librosa": lambda: librosa_fn(n_fft=2048, hop_length=512),
    "librosa-0.8": lambda: librosa_fn(n_fft=2048, hop_length=512, pad_mode="reflect"),
    "dcase2020": lambda: librosa_fn(n_fft=1024, hop_length=512, n_mels=128, pad_mode="reflect", log="dcase"),
    "mimii": lambda: librosa_fn(n_fft=1024, hop_length=512, n_mels=64, pad_mode="reflect", log="dcase"),
    "tf.signal": lambda: seed_tf_signal,
    "keras": keras_layer,
    "torchaudio": lambda: torchaudio_formula,
}
