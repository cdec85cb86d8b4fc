"""``frontend: {function: FILE.py:NAME}``: identify first, the spec when one reproduces the function, else the
function itself as the frontend (its own feature entries, one ``frontend`` step of explain)."""

from __future__ import annotations

import numpy as np
import pytest

from asdlens.experiment import Experiment, load_experiment
from asdlens.explain.groups import compose, differing_groups

#: Not a mel spectrogram: frames of 512 samples, their power spectrum through fixed random positive weights, a log.
OPAQUE = """
import numpy as np

W = np.random.default_rng(0).random((257, 24)) ** 4


def projected(y, floor=1e-6):
    n = len(y) // 512 * 512
    power = np.abs(np.fft.rfft(y[:n].reshape(-1, 512) * np.hanning(512), axis=1)) ** 2
    return np.log(power @ W + floor).T  # [24, frames]
"""

#: The asdlens spec itself, called as a user's function with int16 counts and returning [frames, mels].
MEL = """
import numpy as np
from asdlens.features import get_preset, melspectrogram


def counts_mel(y):
    return np.asarray(melspectrogram(np.asarray(y, np.float32) / 32768.0, get_preset("dcase2020"))).T
"""


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _exp(frontend) -> Experiment:
    return Experiment.from_dict({"frontend": frontend, "training": {"epochs": 1}})


@pytest.mark.slow
def test_a_reproduced_function_runs_as_its_spec_and_its_convention_is_detected(tmp_path):
    path = _file(tmp_path, "mel_counts.py", MEL)
    exp = _exp({"function": f"{path}:counts_mel"})
    ff = exp.function
    assert ff.reproduced and (ff.call, ff.input_scale, ff.layout) == ("array", "int16", "frames_mels")
    # the run is the spec's: its feature and model keys are those of the preset written as fields
    assert exp.frontend_key == exp.spec.key() == load_experiment("dcase2020").spec.key()
    section = exp.to_dict()["frontend"]
    assert section["identified"]["uses"] == "spec" and section["identified"]["features"] == exp.spec.key()
    assert "reproduced by a MelSpec" in ff.summary()
    again = Experiment.from_dict(exp.to_dict())  # the written config loads to the same experiment
    assert again == exp
    assert differing_groups(load_experiment("dcase2020", ["training.epochs=1"]), exp) == []


@pytest.mark.slow
def test_an_opaque_function_is_one_frontend_step_with_its_own_key(tmp_path):
    path = _file(tmp_path, "opaque.py", OPAQUE)
    exp = _exp({"function": f"{path}:projected", "arguments": {"floor": 1e-5}})
    ff = exp.function
    assert ff.opaque and ff.n_mels == 24 and exp.spec.n_mels == 24 and ff.layout == "mels_frames"
    assert ff.input_scale == "unit" and exp.frontend_key == ff.key() != exp.spec.key()
    assert exp.to_dict()["frontend"]["identified"]["uses"] == "function"
    ref = load_experiment("dcase2020", ["training.epochs=1"])
    groups = differing_groups(ref, exp)
    assert [g.name for g in groups] == ["frontend"]
    stepped = compose(ref, exp, groups)
    assert stepped.frontend_key == exp.frontend_key and stepped.input_dim == 24 * 5
    # arguments and the source are part of the key; the file's place is not
    other = _exp({"function": f"{path}:projected", "arguments": {"floor": 1e-4}})
    assert other.frontend_key != exp.frontend_key
    moved = _file(tmp_path / "..", f"{tmp_path.name}-moved.py", OPAQUE)
    assert (
        _exp({"function": f"{moved}:projected", "arguments": {"floor": 1e-5}}).frontend_key
        == exp.frontend_key
    )
    edited = _file(tmp_path, "opaque2.py", OPAQUE + "\n# edited\n")
    assert (
        _exp({"function": f"{edited}:projected", "arguments": {"floor": 1e-5}}).frontend_key
        != exp.frontend_key
    )


def test_features_of_an_opaque_function_are_its_output_per_clip(tmp_path):
    import soundfile as sf

    from asdlens.experiment.function_frontend import function_features

    path = _file(tmp_path, "opaque.py", OPAQUE)
    exp = _exp({"function": f"{path}:projected", "input_scale": "unit"})
    y = (0.2 * np.random.default_rng(1).standard_normal(16000)).astype(np.float32)
    sf.write(tmp_path / "clip.wav", y, 16000, subtype="PCM_16")
    ((i, feat, problem),) = function_features([tmp_path / "clip.wav"], exp.function)
    import importlib.util

    spec = importlib.util.spec_from_file_location("opaque_direct", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    clip, _ = sf.read(tmp_path / "clip.wav", dtype="float32")
    assert problem is None and feat.dtype == np.float32
    np.testing.assert_array_equal(feat, module.projected(clip).astype(np.float32))


def test_the_function_is_set_from_the_command_line_and_relative_to_the_yaml(tmp_path):
    _file(tmp_path, "opaque.py", OPAQUE)
    (tmp_path / "mine.yaml").write_text("frontend:\n  function: opaque.py:projected\n  input_scale: unit\n")
    exp = load_experiment(tmp_path / "mine.yaml")
    assert exp.function.function == f"{(tmp_path / 'opaque.py').resolve()}:projected"
    by_set = load_experiment(
        "dcase2020", [f"frontend.function={tmp_path / 'opaque.py'}:projected", "frontend.input_scale=unit"]
    )
    assert by_set.frontend_key == exp.frontend_key
    back = by_set.with_overrides(["frontend.preset=dcase2020"])
    assert back.function is None and back.spec == load_experiment("dcase2020").spec


@pytest.mark.parametrize(
    "source, target, message",
    [
        (None, "nowhere.py:fn", "nowhere.py: no such Python file"),
        (OPAQUE, "{path}:missing", "has no attribute 'missing'"),
        ("def fn(y):\n    return y.sum()\n", "{path}:fn", "returned shape ()"),
        ("def fn(y):\n    raise RuntimeError('boom')\n", "{path}:fn", "RuntimeError: boom"),
        ("import not_a_module_anywhere\n", "{path}:fn", "cannot import"),
    ],
)
def test_errors_name_the_file(tmp_path, source, target, message):
    path = tmp_path / "user.py"
    if source is not None:
        path.write_text(source)
    target = target.format(path=path) if source is not None else str(tmp_path / target)
    with pytest.raises(ValueError, match="frontend.function|user.py|nowhere.py") as caught:
        _exp({"function": target})
    assert message in str(caught.value)
    assert ("user.py" if source is not None else "nowhere.py") in str(caught.value)


def test_bad_fields_beside_a_function_name_the_key(tmp_path):
    path = _file(tmp_path, "opaque.py", OPAQUE)
    with pytest.raises(ValueError, match=r"frontend\.n_mels=64 cannot be set with frontend\.function"):
        _exp({"function": f"{path}:projected", "n_mels": 64})
    with pytest.raises(ValueError, match=r"frontend\.input_scale='volts' is not allowed"):
        _exp({"function": f"{path}:projected", "input_scale": "volts"})
    with pytest.raises(ValueError, match="frontend.function='no-colon' must look like"):
        _exp({"function": "no-colon"})
