"""The environment variables artgen reads, each with one parser, and the choice of Keras backend.

A variable is a setting like an option, so a bad value is refused the same
way: one line naming the variable and what it accepts (exit 2). The CLI
checks every variable before a command or the studio starts (:func:`check`),
and each place that reads one goes through :func:`read`, so a job's child
process or a library caller meets the same line. Options and variables that
hold the same setting share their parser (``--max-pixels`` and
``$ARTGEN_MAX_PIXELS``, ``--cluster`` and ``$ARTGEN_RAY_ADDRESS``,
``--backend`` and ``$KERAS_BACKEND``). An empty variable counts as unset.

Importing this module is cheap: the CLI calls it before anything heavy loads.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artgen.errors import InputError

__all__ = [
    "BACKENDS",
    "MAX_PIXELS_RANGE",
    "parse_pixels",
    "parse_cluster",
    "parse_backend",
    "read",
    "debug",
    "check",
    "choose_backend",
]

MAX_PIXELS_RANGE = (1_000_000, 2_000_000_000)
# Keras backends artgen runs on, with the package each needs and how to install it
BACKENDS = {
    "tensorflow": ("tensorflow", "pip install tensorflow"),
    "jax": ("jax", "pip install 'artgen[jax]'"),
}
_ADDRESS = re.compile(r"(?P<client>ray://)?(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:(?P<port>\d{1,5}))?")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_pixels(text: str) -> int:
    """The largest image read, in pixels (``--max-pixels``, ``$ARTGEN_MAX_PIXELS``); 64e6 style allowed."""
    low, high = MAX_PIXELS_RANGE
    try:
        value = int(float(text))
    except (ValueError, OverflowError):
        raise InputError(f"{text!r} is not a number of pixels between {low} and {high}") from None
    if not low <= value <= high:
        raise InputError(f"must be between {low} and {high}, not {value}")
    return value


def parse_cluster(text: str) -> str:
    """A Ray cluster's address (``--cluster``, ``$ARTGEN_RAY_ADDRESS``): ray://HOST:PORT, HOST:PORT, auto."""
    if text == "auto":
        return text
    found = _ADDRESS.fullmatch(text)
    port = found and found["port"]
    if not (found and (0 < int(port) < 65536 if port else found["client"])):  # Ray Client has a default port
        raise InputError(f"{text!r} is not a Ray address: give ray://HOST:PORT, HOST:PORT or auto")
    return text


def parse_backend(text: str) -> str:
    """A Keras backend artgen runs on (``--backend``, ``$KERAS_BACKEND``), installed in this environment.

    Checked without importing it: Keras fails on an unknown or missing backend
    only when first imported, deep inside a command, with its own words.
    """
    if text not in BACKENDS:
        raise InputError(f"{text!r} is not a backend artgen runs on: give {' or '.join(BACKENDS)}")
    package, install = BACKENDS[text]
    if importlib.util.find_spec(package) is None:
        raise InputError(f"the {text} backend needs {package}, which is not installed: {install}")
    return text


def _folder(text: str) -> Path:
    """A folder artgen may create: refused when a file stands where it or a folder above it would be."""
    path = Path(text).expanduser()
    for folder in (path, *path.parents):
        try:
            if not (folder.exists() or folder.is_symlink()):
                continue
        except OSError as exc:  # a folder above it that may not be looked into
            raise InputError(f"{folder} cannot be used: {(exc.strerror or str(exc)).lower()}") from None
        if not folder.is_dir():
            raise InputError(f"{folder} is a file, not a folder; give a folder")
        break
    return path


def _base_folder(text: str) -> Path | None:
    """An XDG base folder: one given as a relative path is ignored, as the XDG specification asks."""
    return _folder(text) if Path(text).expanduser().is_absolute() else None


def _flag(text: str) -> bool:
    """On or off: 1, true, yes, on; 0, false, no, off."""
    if text.lower() in _TRUE + _FALSE:
        return text.lower() in _TRUE
    raise InputError(f"{text!r} is not on or off: give 1 or 0")


def _tf_config(text: str) -> dict[str, Any]:
    """TensorFlow's multi-worker description: ``{"cluster": {...}, "task": {"type": ..., "index": N}}``."""
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    task = config.get("task", {}) if isinstance(config, dict) else None
    if not (
        isinstance(config, dict)
        and isinstance(config.get("cluster", {}), dict)
        and isinstance(task, dict)
        and isinstance(task.get("type", ""), str)
        and isinstance(task.get("index", 0), int)
    ):
        raise InputError(
            'not TensorFlow\'s JSON: give an object such as {"cluster": {"worker": ["HOST:PORT", ...]}, '
            '"task": {"type": "worker", "index": 0}}'
        )
    return config


# Every variable artgen reads, with its parser. Those it only sets for its
# children (TF_CPP_MIN_LOG_LEVEL, CUDA_VISIBLE_DEVICES, ...) are not here.
PARSERS: dict[str, Callable[[str], Any]] = {
    "ARTGEN_MAX_PIXELS": parse_pixels,
    "ARTGEN_CACHE_DIR": _folder,
    "ARTGEN_DATA_DIR": _folder,
    "ARTGEN_RAY_ADDRESS": parse_cluster,
    "ARTGEN_DEBUG": _flag,
    "KERAS_BACKEND": parse_backend,
    "KERAS_HOME": _folder,
    "XDG_CACHE_HOME": _base_folder,
    "XDG_DATA_HOME": _base_folder,
    "TF_CONFIG": _tf_config,
}


def read(name: str) -> Any:
    """The parsed value of variable ``name``, None when unset or empty; a bad value is one line."""
    text = os.environ.get(name, "")
    if not text:
        return None
    try:
        return PARSERS[name](text)
    except InputError as exc:
        raise InputError(f"environment variable {name}: {exc}") from None


def debug() -> bool:
    """``$ARTGEN_DEBUG``: tracebacks and native log lines shown; off when it is not a valid flag either."""
    try:
        return bool(read("ARTGEN_DEBUG"))
    except InputError:
        return False


def choose_backend(requested: str | None = None) -> str:
    """The Keras backend for this process and its job children: ``requested`` (``--backend``),
    else ``$KERAS_BACKEND``, else tensorflow; checked before Keras is imported."""
    backend = requested or read("KERAS_BACKEND") or "tensorflow"
    os.environ["KERAS_BACKEND"] = backend  # Keras reads it when an engine first imports it
    return backend


def check(backend: str | None = None) -> None:
    """Refuse a bad value of any variable artgen reads, before work starts; ``backend`` (``--backend``,
    already checked) stands in for ``$KERAS_BACKEND``."""
    choose_backend(backend)
    for name in PARSERS:
        read(name)
