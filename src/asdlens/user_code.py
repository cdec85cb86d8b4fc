"""A user's own code as a pipeline part: ``FILE.py:NAME`` or ``module:NAME`` to the callable, and its identity.

A frontend function or a model builder enters a config by this import path. The path of a file is resolved
against a base folder (the YAML file's) when it is relative; the callable's identity for cache keys is the
SHA-256 of its source file plus its name, so editing the file makes new features and models, and moving it does
not. (Helper modules the file imports are not hashed: a change there needs a change of the file or its
arguments to be seen.)
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path


def split_target(target: str) -> tuple[str, str]:
    """``"a/b.py:fn"`` -> ``("a/b.py", "fn")``, or a ValueError saying what the form must be."""
    if not isinstance(target, str):
        raise ValueError(f"{target!r} must be a string FILE.py:NAME or module:NAME")
    module, sep, attr = target.rpartition(":")
    if not sep or not module or not attr or not attr.isidentifier():
        raise ValueError(
            f"{target!r} must look like MODULE:FUNCTION (MODULE a path to a .py file or an importable module)"
        )
    return module, attr


def is_file_target(module: str) -> bool:
    """True when the module part of a target names a ``.py`` file rather than an importable module."""
    return module.endswith(".py") or "/" in module or "\\" in module


def absolute_target(target: str, base: str | Path | None = None) -> str:
    """``target`` with a relative file made absolute against ``base`` (else the working folder); a module
    target is returned unchanged."""
    module, attr = split_target(target)
    if not is_file_target(module):
        return target
    path = Path(module).expanduser()
    if not path.is_absolute():
        path = (Path(base) if base is not None else Path.cwd()) / path
    return f"{path.resolve()}:{attr}"


def _module_of(module: str):
    if is_file_target(module):
        path = Path(module)
        if not path.is_file():
            raise ValueError(f"{path}: no such Python file")
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        name = f"asdlens_user_{path.stem}_{digest}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        try:
            spec.loader.exec_module(loaded)
        except BaseException:
            del sys.modules[name]
            raise
        return loaded
    return importlib.import_module(module)


def load_function(target: str) -> Callable:
    """The callable a ``FILE.py:NAME`` or ``module:NAME`` target names (a file is imported once per process).

    Raises
    ------
    ValueError
        Naming the file or module and the problem: a malformed target, a missing file, an import that fails
        (with the exception it raised), a missing name, or a name that is not callable.
    """
    module_name, attr = split_target(target)
    try:
        module = _module_of(module_name)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - user code failing at import is a user error
        raise ValueError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    fn = getattr(module, attr, None)
    if fn is None:
        raise ValueError(f"{module_name} has no attribute {attr!r}")
    if not callable(fn):
        raise ValueError(f"{module_name}:{attr} is not callable")
    return fn


def source_digest(target: str) -> str:
    """SHA-256 (hex) of the source file a target's code lives in (a module's ``__file__`` for ``module:NAME``).

    Raises
    ------
    ValueError
        The file is missing, or the module cannot be found or has no source file.
    """
    module_name, _ = split_target(target)
    if is_file_target(module_name):
        path = Path(module_name)
        if not path.is_file():
            raise ValueError(f"{path}: no such Python file")
    else:
        try:
            found = importlib.util.find_spec(module_name)
        except (ImportError, ValueError) as exc:
            raise ValueError(f"cannot find module {module_name}: {exc}") from None
        if found is None or not found.origin or not Path(found.origin).is_file():
            raise ValueError(f"module {module_name} has no source file to hash")
        path = Path(found.origin)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
