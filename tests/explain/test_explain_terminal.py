"""``asdlens explain``'s terminal output at 80 columns and in a pipe: every number of the ladder whole, each
step's description on its own line (not folded into a column), for both metric sets, with and without seeds."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from asdlens.evaluate import HEADLINE_METRICS
from asdlens.explain import Explanation, Group, Outcome, Step
from asdlens.explain.core import METRICS
from asdlens.explain.render import print_explanation

LONG = Group(
    "frequency_range",
    ("frontend.fmin", "frontend.fmax"),
    {"frontend.fmin": 0.0, "frontend.fmax": 8000.0},
    {"frontend.fmin": 125.0, "frontend.fmax": 3800.0},
)
PADDING = Group(
    "framing",
    ("frontend.center", "frontend.pad_mode", "frontend.pad_end"),
    {"frontend.center": True, "frontend.pad_mode": "reflect", "frontend.pad_end": False},
    {"frontend.center": False, "frontend.pad_mode": "constant", "frontend.pad_end": True},
)
INERT = Group(
    "window_position", ("frontend.window_position",), {"frontend.window_position": "center"},
    {"frontend.window_position": "left"}, inert=True,
)  # fmt: skip


def _explanation(metrics: tuple[str, ...], repeats: int) -> Explanation:
    groups = [PADDING, INERT, LONG]
    steps, previous = [], None
    for i, group in enumerate([None, *groups]):
        value = {m: 0.61234 + 0.0371 * i + 0.001 * k for k, m in enumerate(metrics)}
        if repeats > 1:
            value.update({f"{m}_sd": 0.01234 + 0.0001 * i for m in metrics})
        counters = {"models_trained": 12, "models_cached": 0}
        outcome = Outcome(
            {}, value, counters, list(range(repeats)), metrics, None if metrics == METRICS else "dcase2023"
        )
        change = {} if previous is None else {m: value[m] - previous[m] for m in metrics}
        noise = {m: (i % 2 == 0) if repeats > 1 and i else None for m in metrics}
        interval = {m: [change[m] - 0.0123, change[m] + 0.0456] for m in change} if repeats > 1 else {}
        steps.append(Step(i, group, outcome, change, noise, interval))
        previous = value
    total = {m: steps[-1].outcome.value[m] - steps[0].outcome.value[m] for m in metrics}
    protocol = None if metrics == METRICS else "dcase2023"
    return Explanation("dcase2023-ae-mahalanobis", "my-very-long-pipeline-name", groups, steps, repeats, total,
                       runs=4 * repeats, metrics=metrics, protocol=protocol)  # fmt: skip


@pytest.mark.parametrize("metrics", [METRICS, HEADLINE_METRICS], ids=["auc-pauc", "official"])
@pytest.mark.parametrize("repeats", [1, 3])
def test_every_number_whole_at_80_columns(metrics, repeats):
    exp = _explanation(metrics, repeats)
    out = io.StringIO()
    print_explanation(exp, Console(file=out, width=80, force_terminal=False, color_system=None))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "…" not in text, text
    numbers = set(re.findall(r"[+-]?\d\.\d{4}", text))
    first = metrics[0]
    for step in exp.steps:
        assert f"{step.outcome.value[first]:.4f}" in numbers, (step.name, text)
        if step.index:
            assert f"{step.change[first]:+.4f}" in numbers, (step.name, text)
        if repeats > 1:
            assert f"{step.outcome.value[f'{first}_sd']:.4f}" in numbers, (step.name, text)
    for metric in metrics[1:]:  # the official score's harmonic means move in the sentences below
        for step in exp.steps[1:]:
            assert f"{step.change[metric]:+.4f}" in numbers, (metric, step.name, text)
    # each description whole on one line, after its step's number and name
    assert "3 frequency_range: fmin 0.0→125.0, fmax 8000.0→3800.0" in text, text
    assert "1 framing: center True→False, pad_mode 'reflect'→'constant', pad_end False→True" in text, text
    assert "2 window_position: window_position 'center'→'left' (inert" in text, text
    assert ("beyond" in text and "within" in text) == (repeats > 1), text
    if repeats > 1:  # each step's paired interval of its change, whole, on its description's line
        for step in exp.steps[1:]:
            lo, hi = step.interval[first]
            assert f"Δ{'AUC' if first == 'auc' else 'official'} 95 % CI {lo:+.4f}–{hi:+.4f}" in text, text
