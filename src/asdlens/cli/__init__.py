"""The ``asdlens`` command. Thin: each area registers its commands from its own module here.

Heavy libraries (TensorFlow, torch, librosa) are imported inside the commands, so ``asdlens --help`` is quick.
"""

from __future__ import annotations

import typer

from . import bench, data, deploy, diff, evaluate, explain, features, protocol

app = typer.Typer(
    name="asdlens",
    help="Anomalous sound detection toolkit: exact log-mel frontends, a differ, datasets, baselines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (features, diff, data, protocol, evaluate, explain, deploy, bench):
    module.register(app)


def main() -> None:
    """The ``asdlens`` command (also ``python -m asdlens``)."""
    from ..runtime import quiet_tensorflow_import

    # TensorFlow's C++ logging (library-loading absl lines, oneDNN notes) drowns the tables; Python warnings and
    # errors still show.
    quiet_tensorflow_import()
    app()
