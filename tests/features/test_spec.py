"""MelSpec construction, validation, keys and presets."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

from asdlens.features import MelSpec, get_preset, list_presets, preset_source, resolve_spec


def test_defaults_resolve_like_librosa():
    spec = MelSpec(n_fft=1024)
    assert (spec.win, spec.hop, spec.f_max, spec.n_freqs) == (1024, 256, 8000.0, 513)
    assert spec.eps == sys.float_info.epsilon


def test_key_is_stable_and_follows_resolved_values():
    assert MelSpec().key() == MelSpec().key()
    assert len(MelSpec().key()) == 12
    assert MelSpec(win_length=None).key() == MelSpec(win_length=2048).key()
    assert MelSpec(fmax=None).key() == MelSpec(fmax=8000.0).key()
    assert MelSpec(n_mels=64).key() != MelSpec().key()
    keys = {get_preset(name).key() for name in list_presets()}
    assert len(keys) == len(list_presets())


def test_replace_revalidates():
    spec = get_preset("tf.signal")
    assert dataclasses.replace(spec, n_mels=64).n_mels == 64
    with pytest.raises(ValueError, match="pad_end=True needs center=False"):
        dataclasses.replace(spec, center=True)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"win_length": 4096}, "win_length=4096 is larger than n_fft=2048"),
        ({"fmax": 9000.0}, "above the Nyquist frequency 8000"),
        ({"fmin": 9000.0, "fmax": 8000.0}, "fmin=9000.0 must be below fmax"),
        ({"fmin": -1.0}, "fmin=-1.0 must be >= 0"),
        ({"pad_mode": "edge"}, "pad_mode='edge' is not allowed"),
        ({"mel_scale": "bark"}, "mel_scale='bark' is not allowed"),
        ({"norm": 1}, "norm=1 is not allowed"),
        ({"log": "log10"}, "log='log10' is not allowed"),
        ({"n_fft": 0}, "n_fft=0 must be a positive integer"),
        ({"n_mels": 12.5}, "n_mels=12.5 must be a positive integer"),
        ({"hop_length": 0}, "hop_length=0 must be a positive integer"),
        ({"power": 0.0}, "power=0.0 must be positive"),
        ({"center": "yes"}, "center='yes' must be True or False"),
        ({"ref": "min"}, "ref='min' is not allowed"),
        ({"top_db": -3.0}, "top_db=-3.0 must be >= 0"),
        ({"n_fft": 2, "hop_length": None}, "hop_length resolves to 0"),
    ],
)
def test_invalid_fields_name_the_field(fields, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        MelSpec(**fields)


def test_from_dict_names_unknown_fields_and_coerces_text():
    with pytest.raises(ValueError, match=r"unknown MelSpec field\(s\) \['nfft'\]"):
        MelSpec.from_dict({"nfft": 1024})
    spec = MelSpec.from_dict({"n_fft": "1024", "center": "false", "fmax": "none", "power": "1"})
    assert (spec.n_fft, spec.center, spec.fmax, spec.power) == (1024, False, None, 1.0)
    with pytest.raises(ValueError, match="n_fft='big' must be an integer"):
        MelSpec.from_dict({"n_fft": "big"})


def test_presets_have_sources_and_documented_values():
    assert list_presets() == [
        "librosa",
        "librosa-0.8",
        "dcase2020",
        "mimii",
        "tf.signal",
        "keras",
        "torchaudio",
    ]
    for name in list_presets():
        assert len(preset_source(name)) > 80, name
    dcase = get_preset("dcase2020")
    assert (dcase.n_mels, dcase.n_fft, dcase.hop, dcase.power, dcase.log, dcase.pad_mode) == (
        128,
        1024,
        512,
        2.0,
        "dcase",
        "reflect",
    )
    assert get_preset("mimii") == dataclasses.replace(dcase, n_mels=64)
    tf = get_preset("tf.signal")
    assert (tf.fmin, tf.fmax, tf.mel_scale, tf.norm, tf.triangles, tf.pad_end) == (
        125.0,
        3800.0,
        "htk",
        None,
        "mel",
        True,
    )
    assert get_preset("librosa-0.8") == dataclasses.replace(get_preset("librosa"), pad_mode="reflect")


def test_unknown_preset_lists_known_ones():
    with pytest.raises(ValueError, match="unknown preset 'tf'.*tf.signal"):
        get_preset("tf")


def test_resolve_spec_from_files_and_overrides(tmp_path):
    (tmp_path / "mine.yaml").write_text("preset: dcase2020\nn_mels: 64\n")
    assert resolve_spec(str(tmp_path / "mine.yaml")) == get_preset("mimii")
    (tmp_path / "mine.json").write_text('{"n_fft": 1024, "hop_length": 512}')
    assert resolve_spec(str(tmp_path / "mine.json")).n_fft == 1024
    assert resolve_spec("librosa", {"n_fft": "1024"}).n_fft == 1024
    (tmp_path / "bad.yaml").write_text("n_fft: [1, 2\n")
    with pytest.raises(ValueError, match="bad.yaml: not valid YAML"):
        resolve_spec(str(tmp_path / "bad.yaml"))
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="list.yaml: a spec file must hold a mapping"):
        resolve_spec(str(tmp_path / "list.yaml"))
    with pytest.raises(ValueError, match="missing.yaml: cannot read spec file"):
        resolve_spec(str(tmp_path / "missing.yaml"))


def test_filterbank_is_float64_readonly_and_cached():
    from asdlens.features import mel_filterbank, window

    fb = mel_filterbank(get_preset("dcase2020"))
    assert fb.dtype == np.float64 and fb.shape == (128, 513) and not fb.flags.writeable
    assert mel_filterbank(get_preset("mimii")).shape == (64, 513)
    assert mel_filterbank(get_preset("dcase2020")) is fb  # built once
    w = window(MelSpec(n_fft=1024, win_length=400))
    assert w.shape == (1024,) and w[:313].max() == 0 and w[-312:].max() == 0 and w[313] > 0  # centred
    assert window(MelSpec(n_fft=1024, win_length=400, window_position="left")).shape == (400,)


def test_canonical_key_ignores_settings_that_change_no_number():
    import dataclasses

    import numpy as np

    from asdlens.features import get_preset, melspectrogram

    base = get_preset("tf.signal")  # window fills the frame, no centring, no log
    inert = dataclasses.replace(base, window_position="center", pad_mode="reflect", eps=1e-3, top_db=None)
    assert inert.key() == base.key() and inert.canonical() == base.canonical()
    y = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    np.testing.assert_array_equal(melspectrogram(y, inert), melspectrogram(y, base))
    # a setting that does change numbers changes the key
    assert dataclasses.replace(base, fmax=4000.0).key() != base.key()
    assert (
        dataclasses.replace(base, log="dcase").key() != dataclasses.replace(base, log="dcase", eps=1e-3).key()
    )
