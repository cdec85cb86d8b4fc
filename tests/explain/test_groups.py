"""Which groups differ between two experiments, and the configs between them."""

import dataclasses

import pytest

from asdlens.experiment import load_experiment
from asdlens.explain import GROUP_ORDER, compose, config_id, differing_groups


@pytest.fixture(scope="module")
def pair():
    return load_experiment("dcase2020"), load_experiment("seed-tf")


def test_seed_tf_differs_in_the_frontend_groups_only(pair):
    ref, mine = pair
    groups = differing_groups(ref, mine)
    assert [g.name for g in groups] == [
        "framing",
        "window",
        "mel_scale",
        "frequency_range",
        "filter_norm",
        "triangle_domain",
    ]
    inert = {g.name: g.inert for g in groups}
    # the window fills the 1024-sample frame in both, so where tf.signal puts it cannot change a number
    assert inert.pop("window") is True and not any(inert.values())
    freq = next(g for g in groups if g.name == "frequency_range")
    assert freq.mine == {"frontend.fmin": 125.0, "frontend.fmax": 3800.0}


def test_compose_walks_from_ref_to_mine(pair):
    ref, mine = pair
    groups = differing_groups(ref, mine)
    assert config_id(compose(ref, mine, [])) == config_id(ref)
    assert config_id(compose(ref, mine, groups)) == config_id(mine)
    half = compose(ref, mine, groups[:1])
    assert half.spec.center is False and half.spec.pad_end is True and half.spec.mel_scale == "slaney"


def test_section_groups_and_order():
    ref = load_experiment("dcase2020")
    mine = load_experiment(
        "dcase2020", ["training.epochs=3", "frames=4", "metric.max_fpr=0.2", "frontend.n_mels=64"]
    )
    groups = differing_groups(ref, mine)
    assert [g.name for g in groups] == ["n_mels", "frames", "training", "metric"]
    reordered = differing_groups(ref, mine, order=["metric", "training"])
    assert [g.name for g in reordered] == ["metric", "training", "n_mels", "frames"]
    assert config_id(compose(ref, mine, groups)) == config_id(mine)
    assert compose(ref, mine, groups).input_dim == 64 * 4
    with pytest.raises(ValueError, match="unknown group.*'dropout'"):
        differing_groups(ref, mine, order=["dropout"])


def test_equal_experiments_have_nothing_to_explain():
    ref = load_experiment("dcase2020")
    assert differing_groups(ref, load_experiment("seed-tf-fixed")) == []
    renamed = dataclasses.replace(ref, name="other", description="same numbers")
    assert differing_groups(ref, renamed) == []
    assert set(GROUP_ORDER) >= {"framing", "frames", "model", "training", "scoring", "metric"}
