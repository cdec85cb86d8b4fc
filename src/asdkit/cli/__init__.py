"""The ``asdkit`` command. Thin: each area registers its commands from its own module here.

Heavy libraries (TensorFlow, torch, librosa) are imported inside the commands, so ``asdkit --help`` is quick.
"""

from __future__ import annotations

import typer

from . import bench, data, diff, explain, features, protocol

app = typer.Typer(
    name="asdkit",
    help="Anomalous sound detection toolkit: exact log-mel frontends, a differ, datasets, baselines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (features, diff, data, protocol, explain, bench):
    module.register(app)


def main() -> None:
    import os

    # TensorFlow's C++ logging (oneDNN notes, graph attribute warnings) drowns the tables; Python errors still show.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    app()
