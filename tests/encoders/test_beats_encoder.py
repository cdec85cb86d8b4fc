"""The BEATs encoder: the relative-position and gate formulas against NumPy computations of the published formulas,
one attention and one layer against NumPy, layer selection, determinism, batch invariance, shapes, clip policies."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from asdlens.models.encoders import BASE, TINY, ClipPolicy, EmbeddingOptions, embed_clips  # noqa: E402
from asdlens.models.encoders.beats import BeatsEncoder  # noqa: E402
from asdlens.models.encoders.beats_checkpoint import random_state  # noqa: E402
from asdlens.models.encoders.beats_layers import relative_position_buckets  # noqa: E402


def _model(config=TINY, seed=0) -> BeatsEncoder:
    model = BeatsEncoder(config)
    model.load_state_dict(random_state(config, seed=seed))
    return model.eval()


@pytest.fixture(scope="module")
def tiny():
    return _model()


def _clips(n=3, seconds=2.0, seed=0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((n, int(seconds * 16000))) * 0.1).astype(np.float32)


def t5_bucket(r: int, num_buckets: int, max_distance: int) -> int:
    """The bidirectional relative-position bucket of T5 (Raffel et al. 2020, as WavLM and BEATs use it)."""
    half = num_buckets // 2
    exact = half // 2
    offset = half if r > 0 else 0
    n = abs(r)
    if n < exact:
        return offset + n
    return offset + min(
        half - 1, exact + int(math.log(n / exact) / math.log(max_distance / exact) * (half - exact))
    )


@pytest.mark.parametrize("config", [BASE, TINY])
def test_relative_position_buckets_follow_the_t5_formula(config):
    n = 1200  # past max_distance, so the last bucket of each half is reached
    ours = relative_position_buckets(n, n, config.num_buckets, config.max_distance).numpy()
    rel = np.arange(n)[None, :] - np.arange(n)[:, None]
    expected = np.vectorize(lambda r: t5_bucket(int(r), config.num_buckets, config.max_distance))(rel[:1])
    np.testing.assert_array_equal(ours[:1], expected)  # row 0 holds every offset 0..n-1
    np.testing.assert_array_equal(ours[-1:], np.vectorize(lambda r: t5_bucket(int(r), config.num_buckets, config.max_distance))(rel[-1:]))  # fmt: skip
    half = config.num_buckets // 2
    assert ours[0, 0] == 0 and ours[5, 4] == 1 and ours[4, 5] == half + 1  # key before / after the query
    # Every bucket is reached but ``half`` (offset 0 counts as "not after the query"): one table row is unused.
    assert set(np.unique(ours).tolist()) == set(range(config.num_buckets)) - {half}
    assert ours[0, config.max_distance] == config.num_buckets - 1  # distance max_distance: the last bucket


def test_gate_is_the_wavlm_gated_relative_position():
    # WavLM (Chen et al. 2022, eq. 3): r = d + g_update d + (1 - g_update) w g_reset d, with the gates sigmoids of
    # the query's projections. In BEATs' parameters the projections are the two sums of 4 outputs of
    # grep_linear, w is grep_a (per head), and g_update is 1 - sigmoid(first sum).
    attention = _model().encoder.layers[1].self_attn
    rng = np.random.default_rng(3)
    with torch.no_grad():
        attention.grep_a.copy_(torch.tensor([0.5, 1.0, 1.5, 3.0]).view(1, 4, 1, 1))
        attention.grep_linear.bias.copy_(torch.from_numpy(rng.standard_normal(8).astype(np.float32)))
    q = rng.standard_normal((2, 4, 5, TINY.head_dim)).astype(np.float32)
    d = rng.standard_normal((4, 5, 5)).astype(np.float32)
    W = attention.grep_linear.weight.detach().numpy().astype(np.float64)
    b = attention.grep_linear.bias.detach().numpy().astype(np.float64)
    z = q.astype(np.float64) @ W.T + b  # [2, 4, 5, 8]
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    g_update = 1 - sigmoid(z[..., :4].sum(-1))
    g_reset = sigmoid(z[..., 4:].sum(-1))
    w = np.array([0.5, 1.0, 1.5, 3.0])[None, :, None]
    scale = 1 + g_update + (1 - g_update) * w * g_reset  # r = scale * d, per query
    expected = scale[..., None] * d[None]
    with torch.no_grad():
        ours = (attention.gate(torch.from_numpy(q)) * torch.from_numpy(d)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def _layer_norm(x, weight, bias, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps) * weight + bias


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _numpy_attention(p, x, bias, heads):
    """softmax(q k^T / sqrt(d) + gate * bias) v, out_proj: the attention of the paper in float64 NumPy."""
    batch, tokens, dim = x.shape
    head = dim // heads

    def proj(name, v):
        return v @ p[f"{name}.weight"].T + p[f"{name}.bias"]

    def split(v):
        return v.reshape(batch, tokens, heads, head).transpose(0, 2, 1, 3)

    q, k, v = split(proj("q_proj", x)), split(proj("k_proj", x)), split(proj("v_proj", x))
    z = (q @ p["grep_linear.weight"].T + p["grep_linear.bias"]).reshape(batch, heads, tokens, 2, 4).sum(-1)
    g = 1 / (1 + np.exp(-z))
    gate = g[..., :1] * (g[..., 1:] * p["grep_a"] - 1) + 2
    logits = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + gate * bias[None]
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    out = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, dim)
    return proj("out_proj", out)


def test_one_post_ln_deep_norm_layer_equals_numpy():
    model = _model(seed=4)
    layer = model.encoder.layers[0]
    p = {k: v.detach().numpy().astype(np.float64) for k, v in layer.state_dict().items()}
    table = p["self_attn.relative_attention_bias.weight"]
    buckets = np.vectorize(lambda r: t5_bucket(int(r), TINY.num_buckets, TINY.max_distance))(
        np.arange(9)[None, :] - np.arange(9)[:, None]
    )
    bias = table[buckets].transpose(2, 0, 1)  # [heads, 9, 9]
    x = np.random.default_rng(5).standard_normal((2, 9, TINY.encoder_embed_dim))
    attn = {k[len("self_attn.") :]: v for k, v in p.items() if k.startswith("self_attn.")}
    alpha = (2 * TINY.encoder_layers) ** 0.25  # DeepNorm
    h = _layer_norm(alpha * x + _numpy_attention(attn, x, bias, TINY.encoder_attention_heads),
                    p["self_attn_layer_norm.weight"], p["self_attn_layer_norm.bias"])  # fmt: skip
    ffn = _gelu(h @ p["fc1.weight"].T + p["fc1.bias"]) @ p["fc2.weight"].T + p["fc2.bias"]
    expected = _layer_norm(alpha * h + ffn, p["final_layer_norm.weight"], p["final_layer_norm.bias"])
    with torch.no_grad():
        t_bias = layer.self_attn.position_bias(9)
        ours = layer(torch.from_numpy(x).float(), t_bias).numpy()
    np.testing.assert_allclose(t_bias.numpy(), bias, rtol=0, atol=1e-7)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_shapes_and_frequency_tokens(tiny):
    clips = _clips(2, seconds=3.0)
    frames = 1 + (48000 - 400) // 160  # 298 fbank frames -> 18 patch rows of 16 frames
    with torch.no_grad():
        grid = tiny(torch.from_numpy(clips))
    assert grid.shape == (2, frames // 16, 128 // 16, TINY.encoder_embed_dim)
    kept = embed_clips(tiny, clips, options=EmbeddingOptions(frequency="keep"))
    mean = embed_clips(tiny, clips)
    assert kept.shape == (2, 18, 8, 32) and mean.shape == (2, 18, 32)
    np.testing.assert_allclose(kept.mean(axis=2), mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(kept, grid.numpy(), rtol=1e-6, atol=1e-6)


def test_tokens_are_time_major_patches(tiny):
    # A change after the first 16 fbank frames leaves the first patch row's embedding before the transformer alone.
    clips = _clips(1, seconds=1.0)
    later = clips.copy()
    later[0, 8000:] += 0.5
    with torch.no_grad():
        a = tiny.patch_embedding(tiny.fbank(torch.from_numpy(clips))[:, None])
        b = tiny.patch_embedding(tiny.fbank(torch.from_numpy(later))[:, None])
    assert torch.equal(a[..., :2, :], b[..., :2, :]) and not torch.equal(a[..., -1, :], b[..., -1, :])


def test_layer_selection(tiny):
    clips = _clips(1)
    outs = {k: embed_clips(tiny, clips, options=EmbeddingOptions(layer=k)) for k in (1, 2, "last")}
    assert not np.allclose(outs[1], outs[2], atol=1e-3)
    np.testing.assert_array_equal(outs[2], outs["last"])  # post-LN: the last layer's output is the model's
    preln = _model(dataclasses.replace(TINY, deep_norm=False, layer_norm_first=True))
    with torch.no_grad():
        last, top = preln(torch.from_numpy(clips)), preln(torch.from_numpy(clips), layer=2)
        torch.testing.assert_close(last, preln.encoder.layer_norm(top))  # pre-LN: "last" adds the final norm
    for bad in (0, 3, -1, "first", True):
        with pytest.raises(ValueError, match="encoder.layer="):
            tiny(torch.from_numpy(clips), layer=bad)


def test_same_machine_runs_are_identical():
    clips = _clips(2)
    a = embed_clips(_model(), clips)
    b = embed_clips(_model(), clips)
    np.testing.assert_array_equal(a, b)
    model = _model()
    model.train()  # no dropout anywhere: train mode changes nothing
    np.testing.assert_array_equal(embed_clips(model, clips), a)


def test_batch_equals_single_clips(tiny):
    clips = _clips(4)
    together = embed_clips(tiny, clips, options=EmbeddingOptions(batch_size=4))
    for i in range(4):
        alone = embed_clips(tiny, clips[i : i + 1], options=EmbeddingOptions(batch_size=1))
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-5, atol=1e-5)


def test_clip_policies(tiny):
    rng = np.random.default_rng(2)
    clip = (rng.standard_normal(25 * 16000) * 0.1).astype(np.float32)

    def rows(n):
        return (1 + (n - 400) // 160) // 16

    whole = embed_clips(tiny, [clip])[0]
    windows = embed_clips(tiny, [clip], options=EmbeddingOptions(clip=ClipPolicy("windows", 10.0)))[0]
    fixed = embed_clips(tiny, [clip[:160000]], options=EmbeddingOptions(clip=ClipPolicy("fixed", 12.0)))[0]
    assert whole.shape[0] == rows(400000) == 156
    assert windows.shape[0] == 2 * rows(160000) + rows(80000) == 62 + 62 + 31
    assert fixed.shape[0] == rows(192000)  # tiled up to 12 s
    first = embed_clips(tiny, [clip[:160000]])[0]
    np.testing.assert_allclose(
        windows[:62], first, rtol=1e-5, atol=1e-5
    )  # the first window is the first 10 s
    np.testing.assert_array_equal(
        embed_clips(tiny, [clip[:160000]], options=EmbeddingOptions(clip=ClipPolicy("fixed", 10.0)))[0], first
    )
    # A remainder too short for one patch row is dropped; a whole clip that short is an error.
    short_tail = np.concatenate([clip[:160000], clip[:1000]])
    assert (
        embed_clips(tiny, [short_tail], options=EmbeddingOptions(clip=ClipPolicy("windows", 10.0)))[0].shape[
            0
        ]
        == 62
    )
    with pytest.raises(ValueError, match=r"needs at least 2800 samples"):
        embed_clips(tiny, [clip[:2799]])
    # Clips of different lengths in one call: one array each.
    lengths = [a.shape[0] for a in embed_clips(tiny, [clip[:32000], clip[:48000], clip[:32000]])]
    assert lengths == [rows(32000), rows(48000), rows(32000)]


def test_options_and_inputs_are_validated(tiny):
    with pytest.raises(ValueError, match="encoder.frequency='sum'"):
        EmbeddingOptions(frequency="sum")
    with pytest.raises(ValueError, match="encoder.batch_size=0"):
        EmbeddingOptions(batch_size=0)
    with pytest.raises(ValueError, match="encoder.clip.mode='chunks'"):
        ClipPolicy("chunks")
    with pytest.raises(ValueError, match="encoder.clip.seconds=None must be a positive number"):
        ClipPolicy("windows")
    with pytest.raises(ValueError, match="encoder.clip.seconds=5.0 is only used"):
        ClipPolicy("whole", 5.0)
    with pytest.raises(ValueError, match=r"encoder.layer=0 must be 'last' or a layer number"):
        EmbeddingOptions(layer=0)
    with pytest.raises(ValueError, match=r"clips must be \[n_clips, samples\]"):
        embed_clips(tiny, _clips(1)[0])
    with pytest.raises(ValueError, match=r"BeatsEncoder takes audio \[batch, samples\]"):
        tiny(torch.zeros(16000))
    with pytest.raises(ValueError, match="BEATs takes 16000 Hz audio; got sample_rate=22050"):
        embed_clips(tiny, _clips(1), sample_rate=22050)
    bad = _clips(1)
    bad[0, 5] = np.nan
    with pytest.raises(ValueError, match=r"clips\[0\] has 1 non-finite value"):
        embed_clips(tiny, bad)
