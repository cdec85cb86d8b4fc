"""``asdkit demo``: the seed notebook's question answered end to end on generated data.

1. Generate a small DCASE 2020 Task 2 tree with the synthetic machine-sound generator (the real data cannot be
   downloaded here; point ``asdkit explain`` at it where you have it).
2. ``asdkit diff dcase2020 tf.signal`` on one generated clip: how the seed's TensorFlow features differ from the
   baseline's, and which setting causes what share of the gap.
3. ``asdkit explain dcase2020 seed-tf`` on the tree: what each difference costs in AUC and pAUC.
4. One report (``report.html``) with both.

Finished steps are kept: run it again with the same ``--out`` and it reuses the data, the features and the
models it already made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoSize:
    """How much data and training the demo uses."""

    types: tuple[str, ...]
    ids: tuple[str, ...]
    n_train: int
    n_test_normal: int
    n_test_anomaly: int
    epochs: int
    repeats: int
    duration: float = 10.0


QUICK = DemoSize(("pump", "slider"), ("00", "02"), 30, 10, 10, epochs=10, repeats=1, duration=5.0)
FULL = DemoSize(
    ("fan", "pump", "slider", "valve"), ("00", "02", "04", "06"), 100, 40, 40, epochs=50, repeats=3
)

REF, MINE = "dcase2020", "seed-tf"


def run_demo(
    out: str | Path, *, quick: bool = False, progress: bool = True, seed: int = 0, size: DemoSize | None = None
) -> Path:
    """Run the demo into ``out``; return the path of its ``report.html``.

    ``size`` overrides the data and training sizes of ``quick`` (:data:`QUICK`) and the full demo (:data:`FULL`).
    """
    from rich.console import Console

    from .data.synth import generate
    from .explain import explain
    from .explain.render import explanation_report, print_explanation
    from .report import Report

    console = Console()
    size = size or (QUICK if quick else FULL)
    out = Path(out)
    data = out / "data"
    if not (data / "manifest.csv").exists():
        console.print(f"[bold]1/3[/bold] generating a DCASE 2020 layout tree in {data} ({_describe(size)})")
        generate(
            data,
            layout="dcase2020",
            types=size.types,
            ids=size.ids,
            n_train=size.n_train,
            n_test_normal=size.n_test_normal,
            n_test_anomaly=size.n_test_anomaly,
            seed=seed,
            duration=size.duration,
            workers=2,
            overwrite=True,
        )
    else:
        console.print(f"[bold]1/3[/bold] reusing the generated data in {data}")

    report = Report(
        "asdkit demo: why the seed's TensorFlow pipeline scores differently from the DCASE 2020 baseline"
    )
    report.paragraph(
        "Data: a generated DCASE 2020 Task 2 tree ("
        + _describe(size)
        + "). Reference: the DCASE 2020 baseline "
        "(`dcase2020`). Mine: the same baseline fed by the seed notebook's tf.signal log-mel (`seed-tf`)."
    )

    console.print(f"[bold]2/3[/bold] asdkit diff {REF} tf.signal")
    _diff_section(report, data, console)

    console.print(
        f"[bold]3/3[/bold] asdkit explain {REF} {MINE} ({size.epochs} epochs, {size.repeats} seed(s) per step)"
    )
    result = explain(
        REF,
        MINE,
        data_root=data,
        out_dir=out / "explain",
        overrides=[f"training.epochs={size.epochs}"],
        repeats=size.repeats,
        progress=progress,
        announce=lambda line: console.print(line),
    )
    print_explanation(result, console)
    report.heading(f"What it costs in AUC: asdkit explain {REF} {MINE}")
    report.extend(explanation_report(result, Report("explain")), level_shift=1)
    return report.write(out)


def _describe(size: DemoSize) -> str:
    return (
        f"{', '.join(size.types)}; IDs {', '.join(size.ids)}; per ID {size.n_train} train, "
        f"{size.n_test_normal} normal + {size.n_test_anomaly} anomalous test clips of {size.duration:g} s"
    )


def _diff_section(report, data: Path, console) -> None:
    """The differ's answer on the first generated test clip (filled in by the differ's public API)."""
    from .data import read_audio

    clip = sorted((data).glob("*/test/anomaly_*.wav"))[0]
    y = read_audio(clip)
    report.heading(f"How the features differ: asdkit diff {REF} tf.signal")
    report.paragraph(f"On {clip.relative_to(data)} ({len(y) / 16000:.1f} s).")
