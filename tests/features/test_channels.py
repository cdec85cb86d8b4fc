"""ChannelSpec construction, validation, canonical form, keys and field groups."""

from __future__ import annotations

import dataclasses

import pytest

from asdlens.features import CHANNEL_FIELD_GROUPS, ChannelSpec, resolve_channels
from asdlens.features.channels import DEFAULT, POLICIES

#: The default spec's key, hard-coded: it must not change between runs, machines or versions (caches of 2026
#: runs are keyed by it).
DEFAULT_KEY = "f2c773b3d13b"


def test_default_is_the_official_baseline_near_channel_with_a_constant_key():
    assert DEFAULT == ChannelSpec() and DEFAULT.policy == "near"
    assert ChannelSpec().key() == DEFAULT_KEY
    assert ChannelSpec().n_channels == 1 and ChannelSpec().planes == 1 and not ChannelSpec().subtracts


def test_published_defaults_resolve_per_policy():
    magnitude = ChannelSpec("magnitude_subtraction").resolved()
    assert (magnitude.floor, magnitude.transfer, magnitude.over_subtraction) == (0.1, "none", 1.0)
    complex_ = ChannelSpec("complex_subtraction").resolved()
    assert (complex_.floor, complex_.transfer, complex_.transfer_eps) == (0.0, "clip", 1e-12)
    assert ChannelSpec("complex_subtraction").transfer_kind == "complex"
    assert ChannelSpec("magnitude_subtraction").transfer_kind == "magnitude"
    assert ChannelSpec("mean").transfer_kind is None and ChannelSpec("both").planes == 2
    assert ChannelSpec("complex_subtraction", transfer="fitted").needs_transfer
    assert not ChannelSpec("near", transfer="fitted").needs_transfer


def test_settings_that_cannot_change_a_number_do_not_change_the_key():
    near = ChannelSpec().key()
    assert ChannelSpec(floor=0.3, over_subtraction=2.0, transfer="fitted", transfer_eps=1e-3).key() == near
    assert ChannelSpec("magnitude_subtraction").key() == ChannelSpec("magnitude_subtraction", floor=0.1).key()
    assert (
        ChannelSpec("magnitude_subtraction", transfer_eps=1e-3).key()
        == ChannelSpec("magnitude_subtraction").key()
    )  # no gain is estimated
    assert ChannelSpec("complex_subtraction", over_subtraction=2).key() == (
        ChannelSpec("complex_subtraction", over_subtraction=2.0).key()
    )
    assert (
        ChannelSpec("complex_subtraction", transfer_eps=1e-6).key()
        != ChannelSpec("complex_subtraction").key()
    )
    keys = {ChannelSpec(policy).key() for policy in POLICIES}
    assert len(keys) == len(POLICIES)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"policy": "left"}, "policy='left' is not allowed; choose one of \\['near', 'far', 'mean', 'both'"),
        ({"over_subtraction": 0.0}, "over_subtraction=0.0 must be > 0"),
        ({"over_subtraction": "2"}, "over_subtraction='2' must be a finite number"),
        ({"over_subtraction": float("inf")}, "over_subtraction=inf must be a finite number"),
        ({"floor": 1.5}, "floor=1.5 must be between 0 and 1"),
        ({"floor": -0.1}, "floor=-0.1 must be between 0 and 1"),
        ({"floor": True}, "floor=True must be a finite number"),
        (
            {"transfer": "wiener"},
            "transfer='wiener' is not allowed; choose one of \\['none', 'clip', 'fitted'\\]",
        ),
        ({"transfer_eps": 0.0}, "transfer_eps=0.0 must be > 0"),
    ],
)
def test_invalid_fields_name_the_field_and_the_allowed_values(fields, message):
    with pytest.raises(ValueError, match=f"ChannelSpec.{message}"):
        ChannelSpec(**fields)


def test_replace_revalidates():
    with pytest.raises(ValueError, match="floor=2.0"):
        dataclasses.replace(ChannelSpec("magnitude_subtraction"), floor=2.0)


def test_dict_round_trip_coerces_text_and_names_unknown_fields():
    spec = ChannelSpec("complex_subtraction", over_subtraction=1.2, floor=0.05, transfer="fitted")
    assert ChannelSpec.from_dict(spec.to_dict()) == spec
    text = {
        "policy": "magnitude_subtraction",
        "over_subtraction": "2",
        "floor": "null",
        "transfer_eps": "1e-9",
    }
    assert ChannelSpec.from_dict(text) == ChannelSpec("magnitude_subtraction", 2.0, None, None, 1e-9)
    with pytest.raises(ValueError, match="unknown ChannelSpec field\\(s\\) \\['gain'\\]; known fields"):
        ChannelSpec.from_dict({"gain": 1.0})
    with pytest.raises(ValueError, match="ChannelSpec.floor='low' must be a number"):
        ChannelSpec.from_dict({"floor": "low"})
    assert resolve_channels("far") == ChannelSpec("far")
    assert resolve_channels({"policy": "mean"}) == ChannelSpec("mean")
    with pytest.raises(ValueError, match="channels must be a ChannelSpec, a policy name or a mapping"):
        resolve_channels(2)


def test_field_groups_hold_every_field_once_and_name_what_differs():
    grouped = [name for names in CHANNEL_FIELD_GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(ChannelSpec().to_dict()) and len(grouped) == len(set(grouped))
    a = ChannelSpec("complex_subtraction")
    assert a.differing_groups(ChannelSpec("complex_subtraction", floor=0.0)) == []  # 0 is its resolved floor
    b = ChannelSpec("magnitude_subtraction", transfer="clip")
    assert a.differing_groups(b) == [
        "channel_policy",
        "subtraction",
    ]  # floors 0 vs 0.1; transfer clip in both
    assert a.diff_fields(b) == ["policy", "floor"]


def test_channel_count_errors_say_what_was_expected():
    ChannelSpec("near").check_channels(1)
    ChannelSpec("near").check_channels(2)
    ChannelSpec("both").check_channels(2)
    with pytest.raises(
        ValueError, match="policy='far'\\) needs two channels \\[near, far\\]; clip has 1 channel"
    ):
        ChannelSpec("far").check_channels(1, name="clip")
    with pytest.raises(
        ValueError, match="y has 3 channels \\(shape \\(3, 10\\)\\); the channel stage takes 1"
    ):
        ChannelSpec("near").check_channels(3, shape=(3, 10))
