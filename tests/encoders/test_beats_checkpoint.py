"""Strict loading of BEATs checkpoints: a random-weight file in the official format loads and embeds; every kind of
wrong file gives a ``ValueError`` that names the file and the problem."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from asdlens.models.encoders import TINY, BeatsConfig, embed_clips, load_beats  # noqa: E402
from asdlens.models.encoders.beats import BeatsEncoder  # noqa: E402
from asdlens.models.encoders.beats_checkpoint import (  # noqa: E402
    checkpoint_sha256,
    random_state,
    write_random_checkpoint,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("beats") / "tiny.pt"
    return path, write_random_checkpoint(path, "tiny", seed=0)


def _save(path, data):
    torch.save(data, path)
    return path


def _official(config=TINY, seed=0):
    return {"cfg": config.to_cfg(), "model": random_state(config, seed=seed)}


def test_random_checkpoint_loads_strictly_and_embeds(tiny):
    path, digest = tiny
    assert digest == checkpoint_sha256(path) and len(digest) == 64
    data = torch.load(path, map_location="cpu", weights_only=True)
    assert set(data) == {"cfg", "model"} and BeatsConfig.from_cfg(data["cfg"]) == TINY
    # 10 top-level tensors + 20 per layer, under the official names
    assert len(data["model"]) == 10 + 20 * TINY.encoder_layers
    for key in ("patch_embedding.weight", "post_extract_proj.bias", "encoder.pos_conv.0.weight_g",
                "encoder.layers.1.self_attn.grep_a", "encoder.layers.1.self_attn.relative_attention_bias.weight"):  # fmt: skip
        assert key in data["model"]
    assert data["model"]["encoder.pos_conv.0.weight_g"].shape == (1, 1, TINY.conv_pos)
    model = load_beats(path)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    out = embed_clips(model, np.random.default_rng(0).standard_normal((2, 48000)).astype(np.float32) * 0.1)
    assert (
        out.shape == (2, (1 + (48000 - 400) // 160) // 16, TINY.encoder_embed_dim) and out.dtype == np.float32
    )
    assert np.isfinite(out).all() and out.std() > 0.1


def test_random_checkpoints_are_reproducible(tmp_path, tiny):
    assert write_random_checkpoint(tmp_path / "again.pt", "tiny", seed=0) == tiny[1]
    assert write_random_checkpoint(tmp_path / "other.pt", "tiny", seed=1) != tiny[1]
    with pytest.raises(ValueError, match="unknown BEATs size 'huge'"):
        write_random_checkpoint(tmp_path / "x.pt", "huge")


def test_a_missing_file_says_where_checkpoints_are(tmp_path):
    with pytest.raises(ValueError, match=r"nope\.pt: no such checkpoint file .*microsoft/unilm"):
        load_beats(tmp_path / "nope.pt")


def test_a_truncated_or_foreign_file_is_not_a_checkpoint(tmp_path, tiny):
    data = tiny[0].read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.pt: not a readable torch checkpoint"):
        load_beats(tmp_path / "cut.pt")
    (tmp_path / "text.pt").write_text("BEATs weights\n")
    with pytest.raises(ValueError, match=r"text\.pt: not a readable torch checkpoint"):
        load_beats(tmp_path / "text.pt")


def test_pickled_objects_are_refused_not_unpickled(tmp_path):
    path = _save(tmp_path / "namespace.pt", {**_official(), "args": argparse.Namespace(lr=1)})
    with pytest.raises(
        ValueError,
        match=r"namespace\.pt: the file holds a pickled argparse.Namespace object.*weights_only=True",
    ):
        load_beats(path)


def test_a_state_dict_of_another_model_or_a_dict_without_cfg(tmp_path):
    bare = _save(tmp_path / "bare.pt", torch.nn.Linear(3, 2).state_dict())
    with pytest.raises(
        ValueError, match=r"bare\.pt: not a BEATs checkpoint.*'cfg' and 'model'.*bare state dict"
    ):
        load_beats(bare)
    no_cfg = _save(tmp_path / "nocfg.pt", {"model": random_state(TINY)})
    with pytest.raises(ValueError, match=r"nocfg\.pt: not a BEATs checkpoint.*keys \['model'\]"):
        load_beats(no_cfg)
    listed = _save(tmp_path / "list.pt", [torch.zeros(2)])
    with pytest.raises(ValueError, match=r"list\.pt: not a BEATs checkpoint.*got a list"):
        load_beats(listed)


def test_a_cfg_of_another_model_lists_its_keys(tmp_path):
    wav2vec = {
        "extractor_mode": "default",
        "encoder_layers": 12,
        "encoder_embed_dim": 768,
        "conv_feature_layers": "[]",
    }
    path = _save(tmp_path / "w2v.pt", {"cfg": wav2vec, "model": {}})
    with pytest.raises(ValueError, match=r"w2v\.pt: 'cfg' is not a BEATs config: unknown key\(s\) \['conv_feature_layers', 'extractor_mode'\]; missing key\(s\)"):  # fmt: skip
        load_beats(path)
    cfg = TINY.to_cfg()
    del cfg["max_distance"]
    path = _save(tmp_path / "short.pt", {"cfg": cfg, "model": random_state(TINY)})
    with pytest.raises(ValueError, match=r"short\.pt: .*missing key\(s\) \['max_distance'\]"):
        load_beats(path)
    path = _save(tmp_path / "relu.pt", {"cfg": {**TINY.to_cfg(), "activation_fn": "relu"}, "model": {}})
    with pytest.raises(ValueError, match=r"relu\.pt: BEATs cfg activation_fn='relu' is not supported"):
        load_beats(path)


def test_missing_unexpected_and_misshaped_weights_are_listed(tmp_path):
    data = _official()
    del data["model"]["encoder.layers.0.fc1.bias"]
    data["model"]["encoder.layers.0.adapter.weight"] = torch.zeros(3)
    data["model"]["encoder.layers.1.fc2.weight"] = torch.zeros(5, 5)
    path = _save(tmp_path / "edited.pt", data)
    with pytest.raises(ValueError) as caught:
        load_beats(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: the state dict does not fit its BEATs cfg")
    assert "missing key(s) ['encoder.layers.0.fc1.bias']" in message
    assert "unexpected key(s) ['encoder.layers.0.adapter.weight']" in message
    assert "encoder.layers.1.fc2.weight: (5, 5) in the file, (32, 64) expected" in message


def test_a_cfg_that_does_not_match_its_weights(tmp_path):
    path = _save(tmp_path / "wider.pt", {"cfg": dataclasses.replace(TINY, encoder_ffn_embed_dim=48).to_cfg(),
                                         "model": random_state(TINY)})  # fmt: skip
    with pytest.raises(ValueError, match=r"mismatched shape\(s\) \['encoder.layers.0.fc1.bias: \(64,\) in the file, \(48,\) expected"):  # fmt: skip
        load_beats(path)


def test_unequal_tables_and_non_finite_weights(tmp_path):
    data = _official()
    data["model"]["encoder.layers.1.self_attn.relative_attention_bias.weight"] += 1.0
    with pytest.raises(ValueError, match=r"tables\.pt: the relative-position tables of .*layers\.1.* differ"):
        load_beats(_save(tmp_path / "tables.pt", data))
    data = _official()
    data["model"]["encoder.layers.0.fc1.weight"][0, 0] = float("nan")
    with pytest.raises(
        ValueError, match=r"nan\.pt: non-float or non-finite values in \['encoder.layers.0.fc1.weight'\]"
    ):
        load_beats(_save(tmp_path / "nan.pt", data))


def test_a_fine_tuned_checkpoint_loads_its_predictor_and_ignores_it(tmp_path):
    config = dataclasses.replace(TINY, finetuned_model=True, predictor_class=5)
    cfg = config.to_cfg()
    assert {"finetuned_model", "predictor_class", "predictor_dropout"} <= set(cfg)
    path = _save(
        tmp_path / "ft.pt", {"cfg": cfg, "model": random_state(config), "label_dict": {0: "/m/09x0r"}}
    )
    model = load_beats(path)
    assert model.predictor.weight.shape == (5, 32)
    # The encoder part is the same function of the same weights as the pre-trained layout.
    plain = BeatsEncoder(TINY)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("predictor.")})
    clips = np.random.default_rng(1).standard_normal((1, 16000)).astype(np.float32) * 0.1
    np.testing.assert_array_equal(embed_clips(model, clips), embed_clips(plain, clips))


@pytest.mark.slow
def test_base_size_checkpoint_loads_and_embeds_a_ten_second_clip(tmp_path):
    path = tmp_path / "base.pt"
    digest = write_random_checkpoint(path, "base", seed=0)
    assert path.stat().st_size > 300e6 and digest == checkpoint_sha256(path)
    model = load_beats(path)
    assert sum(p.numel() for p in model.parameters()) > 85e6
    out = embed_clips(model, np.random.default_rng(0).standard_normal((1, 160000)).astype(np.float32) * 0.1)
    assert out.shape == (1, 62, 768) and np.isfinite(out).all()
