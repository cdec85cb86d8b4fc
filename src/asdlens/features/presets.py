"""Named specs: the defaults of librosa, the DCASE 2020 and MIMII baselines, tf.signal, Keras and torchaudio.

Each preset's docstring names where its values come from. ``get_preset(name)`` returns a :class:`MelSpec`.
"""

from __future__ import annotations

from collections.abc import Callable

from .spec import MelSpec

_PRESETS: dict[str, Callable[[], MelSpec]] = {}


def _preset(name: str):
    def register(fn: Callable[[], MelSpec]) -> Callable[[], MelSpec]:
        _PRESETS[name] = fn
        return fn

    return register


@_preset("librosa")
def librosa_default() -> MelSpec:
    """``librosa.feature.melspectrogram(y=y, sr=16000)`` with librosa >= 0.10 defaults.

    n_fft 2048, hop 512 (win_length // 4), Hann periodic, centred with zero padding ("constant", since
    librosa 0.10), power 2, 128 Slaney mels with Slaney area norm, 0 Hz to Nyquist, no log. Sample rate
    16 kHz, the rate of the DCASE and MIMII data (librosa's own default is 22050).
    """
    return MelSpec(sample_rate=16000, n_fft=2048, hop_length=512, center=True, pad_mode="constant")


@_preset("librosa-0.8")
def librosa_08() -> MelSpec:
    """As ``librosa`` but with reflect padding: ``stft(pad_mode="reflect")`` was the default up to librosa 0.9."""
    return MelSpec(sample_rate=16000, n_fft=2048, hop_length=512, center=True, pad_mode="reflect")


@_preset("dcase2020")
def dcase2020() -> MelSpec:
    """The official DCASE 2020 Task 2 baseline (y-kawagu/dcase2020_task2_baseline, ``baseline.yaml`` and
    ``common.file_to_vector_array``): 128 mels, n_fft 1024, hop 512, power 2, librosa 0.6 defaults otherwise
    (centred with reflect padding, Slaney scale and norm, 0-8000 Hz), log ``20 / power * log10(x + eps)`` with
    ``eps = sys.float_info.epsilon``."""
    return MelSpec(
        sample_rate=16000, n_fft=1024, hop_length=512, pad_mode="reflect", n_mels=128, power=2.0, log="dcase"
    )


@_preset("mimii")
def mimii() -> MelSpec:
    """The MIMII baseline (Purohit et al. 2019, arXiv 1909.09347, and the MIMII-hitachi/mimii_baseline code):
    64 mels, otherwise as ``dcase2020`` (n_fft 1024, hop 512, power 2, librosa reflect centring, dcase log)."""
    return MelSpec(
        sample_rate=16000, n_fft=1024, hop_length=512, pad_mode="reflect", n_mels=64, power=2.0, log="dcase"
    )


@_preset("tf.signal")
def tf_signal() -> MelSpec:
    """The seed notebook's TensorFlow code: ``tf.signal.stft(y, frame_length=1024, frame_step=512,
    pad_end=True)``, ``tf.abs`` squared, times ``tf.signal.linear_to_mel_weight_matrix(num_mel_bins=128,
    num_spectrogram_bins=513, sample_rate=16000)`` whose defaults are lower_edge_hertz=125,
    upper_edge_hertz=3800, HTK mel, peak-1 triangles linear in mel, no norm. tf.signal.stft's fft_length is the
    next power of two >= frame_length (1024); its window is ``tf.signal.hann_window`` (periodic) and frames are
    not centred; the end is zero-padded to ``ceil(n / hop)`` frames. The matrix also drops the DC bin, which
    changes no number (the DC bin is below every band). No log."""
    return MelSpec(
        sample_rate=16000,
        n_fft=1024,
        win_length=1024,
        hop_length=512,
        window_position="left",
        center=False,
        pad_end=True,
        power=2.0,
        n_mels=128,
        fmin=125.0,
        fmax=3800.0,
        mel_scale="htk",
        norm=None,
        triangles="mel",
    )


@_preset("keras")
def keras_default() -> MelSpec:
    """``keras.layers.MelSpectrogram()`` defaults (Keras 3): fft_length 2048, sequence_stride 512,
    sequence_length = fft_length, Hann periodic, ``keras.ops.stft(center=True)`` with reflect padding,
    mag_exp 2, 128 mel bins from min_freq 20 Hz to max_freq = sampling_rate / 2 at 16 kHz, HTK mel with
    peak-1 triangles linear in mel (its own copy of tf.signal's matrix), power_to_db with ref_power 1,
    min_power 1e-10 and top_db 80. Keras takes top_db over the whole batch; asdlens takes it per clip."""
    return MelSpec(
        sample_rate=16000,
        n_fft=2048,
        hop_length=512,
        center=True,
        pad_mode="reflect",
        power=2.0,
        n_mels=128,
        fmin=20.0,
        fmax=8000.0,
        mel_scale="htk",
        norm=None,
        triangles="mel",
        log="db",
        ref=1.0,
        amin=1e-10,
        top_db=80.0,
    )


@_preset("torchaudio")
def torchaudio_default() -> MelSpec:
    """``torchaudio.transforms.MelSpectrogram()`` defaults (torchaudio 2.x docs): sample_rate 16000, n_fft 400,
    win_length = n_fft, hop_length = win_length // 2, ``torch.hann_window`` (periodic), center=True with
    pad_mode "reflect", power 2, 128 mels from 0 Hz to Nyquist, mel_scale "htk", norm None, triangles linear in
    Hz (``torchaudio.functional.melscale_fbanks``), no log."""
    return MelSpec(
        sample_rate=16000,
        n_fft=400,
        hop_length=200,
        center=True,
        pad_mode="reflect",
        power=2.0,
        n_mels=128,
        mel_scale="htk",
        norm=None,
    )


def list_presets() -> list[str]:
    """Names of the presets, in the order they are defined."""
    return list(_PRESETS)


def get_preset(name: str) -> MelSpec:
    """The preset called ``name``.

    Raises
    ------
    ValueError
        If there is no such preset (the message lists the known names).
    """
    try:
        return _PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join(_PRESETS)}") from None


def preset_source(name: str) -> str:
    """Where the preset's values come from (its docstring, one paragraph)."""
    get_preset(name)
    return " ".join((_PRESETS[name].__doc__ or "").split())


def resolve_spec(spec: MelSpec | str | dict, overrides: dict | None = None) -> MelSpec:
    """A :class:`MelSpec` from a spec, a preset name, a mapping of fields (optionally with ``preset``),
    or a path to a YAML/JSON file holding such a mapping; then ``overrides`` (field -> value) on top.

    Raises
    ------
    ValueError
        For an unknown preset, an unreadable or malformed file, an unknown field or an invalid value.
    """
    from pathlib import Path

    if (
        isinstance(spec, str)
        and spec not in _PRESETS
        and Path(spec).suffix.lower() in (".yaml", ".yml", ".json")
    ):
        spec = _read_spec_file(Path(spec))
    if isinstance(spec, str):
        spec = get_preset(spec)
    elif isinstance(spec, dict):
        data = dict(spec)
        base = get_preset(data.pop("preset")) if "preset" in data else MelSpec()
        spec = MelSpec.from_dict(base.to_dict() | data)
    elif not isinstance(spec, MelSpec):
        raise ValueError(
            f"spec must be a MelSpec, a preset name, a mapping or a spec file; got {type(spec).__name__}"
        )
    if overrides:
        spec = MelSpec.from_dict(spec.to_dict() | dict(overrides))
    return spec


def _read_spec_file(path) -> dict:
    import json

    import yaml

    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read spec file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: a spec file must hold a mapping of MelSpec fields, got {type(data).__name__}"
        )
    return data
