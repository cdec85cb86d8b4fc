"""Bootstrap intervals of a whole evaluation, unit by unit and through the year's means (:mod:`.bootstrap`).

Every unit is resampled on its own (stratified by label, and by domain for DCASE 2021-2025) with the generator of
its name, and replicate ``b`` of every unit makes replicate ``b`` of the whole test set; the means are then taken
replicate by replicate, as the year's rule takes them on the clips:

- DCASE 2020 / MIMII (:func:`id_draws`): AUC and pAUC per machine ID (x SNR); per type (x SNR) the arithmetic mean
  over its IDs; ``overall`` the mean of those and the DCASE 2020 official score ``(mean AUC + mean pAUC) / 2``
  (:func:`asdlens.evaluate.metrics.official_score_2020`).
- DCASE 2021-2025 (:func:`section_draws`): per section the year's official columns
  (:func:`asdlens.evaluate.official.official_columns`, each on the clips the year's rule gives it); per type and
  overall the official score (harmonic mean of the official values, floored at eps) and the harmonic means of
  AUC (source), AUC (target) and pAUC (:data:`asdlens.evaluate.official.HEADLINE_METRICS`).

:func:`difference` pairs two systems' draws of the same clips (the same counts), which gives
``asdlens compare`` and the noise rule of ``explain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..groups import GroupKey
from .bootstrap import BootstrapOptions, Draws, mean_draws, metric_draws, unit_weights
from .domains import ScoreRow, _as_row, evaluator_rule
from .official import HEADLINE_METRICS, official_columns

#: ``{"units": {name: {metric: Draws | None}}, "types": {...}, "overall": {metric: Draws | None}}``
SystemDraws = dict


class IdScores(NamedTuple):
    """The scored test clips of one machine ID (at one SNR): labels 0/1 (None: unlabelled, left out)."""

    machine_type: str
    machine_id: str
    snr: int | None
    labels: Sequence[int | None]
    scores: Sequence[float]


def _mean(parts: list[Draws | None], harmonic: bool, *, skip_undefined: bool) -> Draws | None:
    if skip_undefined:
        parts = [p for p in parts if p is not None]
    if not parts or any(p is None for p in parts):
        return None
    return mean_draws(parts, harmonic=harmonic)


def _unit(name: str, labels, scores, domains, masks: Mapping[str, tuple[str, np.ndarray]], options):
    """Draws of ``masks`` (``column -> (metric, which clips)``) of one unit; None where a class is missing."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    w = unit_weights(name, y, domains, options)
    out: dict[str, Draws | None] = {}
    for column, (metric, keep) in masks.items():
        ys = y[keep]
        if (metric == "pauc" and options.max_fpr is None) or ys.size == 0 or ys.min() == ys.max():
            out[column] = None
            continue
        out[column] = metric_draws(metric, s[keep], ys, w[:, keep], max_fpr=options.max_fpr)
    return out


def id_draws(groups: Iterable[IdScores], options: BootstrapOptions = BootstrapOptions()) -> SystemDraws:
    """:data:`SystemDraws` of a DCASE 2020 / MIMII evaluation (see the module docstring)."""
    units, by_type = {}, {}
    for g in groups:
        keep = [i for i, lab in enumerate(g.labels) if lab is not None]
        labels = [g.labels[i] for i in keep]
        scores = [g.scores[i] for i in keep]
        name = GroupKey(g.machine_type, g.snr, g.machine_id).label
        every = np.ones(len(keep), dtype=bool)
        draws = _unit(name, labels, scores, None, {"auc": ("auc", every), "pauc": ("pauc", every)}, options)
        units[name] = draws
        by_type.setdefault(GroupKey(g.machine_type, g.snr).label, []).append(draws)
    types = {
        t: {m: _mean([u[m] for u in members], False, skip_undefined=True) for m in ("auc", "pauc")}
        for t, members in by_type.items()
    }
    overall = {m: _mean([t[m] for t in types.values()], False, skip_undefined=True) for m in ("auc", "pauc")}
    score = None
    if overall["auc"] is not None and overall["pauc"] is not None:
        score = mean_draws([overall["auc"], overall["pauc"]])
    return {"units": units, "types": types, "overall": {**overall, "official_score_2020": score}}


def _section_masks(protocol: str, y: np.ndarray, d: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
    rule = evaluator_rule(protocol)
    masks = {}
    for column in official_columns(protocol):
        metric, _, domain = column.partition("_")
        if metric == "auc":
            masks[column] = ("auc", rule.auc_mask(y, d, domain))
        else:
            masks[column] = ("pauc", d == domain if domain else np.ones(y.size, dtype=bool))
    return masks


def _headline(protocol: str, sections: list[dict]) -> dict[str, Draws | None]:
    """Official score and headline harmonic means of some sections' draws (None if any value is undefined)."""
    columns = official_columns(protocol)
    out = {"official_score": _mean([s[c] for s in sections for c in columns], True, skip_undefined=False)}
    for metric in HEADLINE_METRICS[1:]:
        which = [c for c in columns if c == metric or (metric == "pauc" and c.startswith("pauc"))]
        out[metric] = _mean([s[c] for s in sections for c in which], True, skip_undefined=False)
    return out


def section_draws(
    rows: Iterable, protocol: str, options: BootstrapOptions = BootstrapOptions()
) -> SystemDraws:
    """:data:`SystemDraws` of a DCASE 2021-2025 evaluation of labelled score rows
    (:class:`~asdlens.evaluate.domains.ScoreRow`: type, section, domain, file name, label, score)."""
    by_unit: dict[tuple[str, str], list[ScoreRow]] = {}
    for raw in rows:
        row = _as_row(raw)
        by_unit.setdefault((row.machine_type, row.section), []).append(row)
    units, by_type = {}, {}
    for (machine_type, section), unit in sorted(by_unit.items()):
        unit.sort(key=lambda r: r.file_name)  # both systems of a pair list the unit's clips in one order
        y = np.array([r.label for r in unit], dtype=np.int64)
        d = np.array([r.domain for r in unit], dtype=object)
        name = f"{machine_type} section {section}"
        draws = _unit(name, y, [r.score for r in unit], d, _section_masks(protocol, y, d), options)
        units[name] = draws
        by_type.setdefault(machine_type, []).append(draws)
    types = {t: _headline(protocol, members) for t, members in by_type.items()}
    return {"units": units, "types": types, "overall": _headline(protocol, list(units.values()))}


def _pairs(a: Mapping, b: Mapping):
    for name in a:
        if name in b:
            yield name, a[name], b[name]


def difference(a: SystemDraws, b: SystemDraws) -> SystemDraws:
    """Paired draws of ``a - b`` (both from the same clips and options), for every number both have."""

    def sub(x, y):
        return None if x is None or y is None else x - y

    out = {
        level: {
            name: {m: sub(v, y[m]) for m, v in x.items() if m in y}
            for name, x, y in _pairs(a[level], b[level])
        }
        for level in ("units", "types")
    }
    out["overall"] = {m: sub(v, b["overall"].get(m)) for m, v in a["overall"].items()}
    return out


def intervals_json(draws: SystemDraws, options: BootstrapOptions) -> dict:
    """What ``results.json`` holds under ``"intervals"``: how they were drawn, then ``[low, high]`` (or None)
    per unit, per type and overall for every number of :data:`SystemDraws`."""

    def pair(d: Draws | None):
        return None if d is None else list(d.interval(options.confidence))

    return {
        **options.to_dict(),
        "units": {n: {m: pair(d) for m, d in v.items()} for n, v in draws["units"].items()},
        "types": {n: {m: pair(d) for m, d in v.items()} for n, v in draws["types"].items()},
        "overall": {m: pair(d) for m, d in draws["overall"].items()},
    }


def seed_mean(runs: Sequence[SystemDraws], options: BootstrapOptions = BootstrapOptions()) -> SystemDraws:
    """The mean over ``K`` seeds' draws of one system on the same clips, with the seeds resampled too.

    Replicate ``b`` is the mean over ``K`` seeds drawn with replacement (the generator of ``options.seed`` and
    ``"seeds"``) of those seeds' replicate ``b`` (the same clip counts for every seed): so its interval holds the
    spread over clips and over seeds. The value is the plain mean over the seeds. One seed gives its own draws.
    """
    if len(runs) == 1:
        return runs[0]
    from .bootstrap import unit_rng

    k = len(runs)
    pick = unit_rng(options, "seeds").integers(0, k, size=(options.n_resamples, k))

    def pool(parts: list[Draws | None]) -> Draws | None:
        if any(p is None for p in parts):
            return None
        stacked = np.stack([p.draws for p in parts])  # [K, B]
        drawn = np.take_along_axis(stacked, pick.T, axis=0)  # [K, B]: replicate b of seed pick[b, j]
        return Draws(float(np.mean([p.value for p in parts])), drawn.mean(axis=0))

    first = runs[0]
    out = {
        level: {n: {m: pool([r[level][n][m] for r in runs]) for m in ms} for n, ms in first[level].items()}
        for level in ("units", "types")
    }
    out["overall"] = {m: pool([r["overall"][m] for r in runs]) for m in first["overall"]}
    return out
