"""The environment variables artgen reads, each with one parser, and the Keras backend of this process.

A variable is a setting like an option, so a bad value is refused the same
way: one line naming the variable and what it accepts (exit 2). The CLI
checks every variable before a command or the studio starts (:func:`check`),
and each place that reads one goes through :func:`read`. Options and
variables that hold the same setting share their parser (``--max-pixels``
and ``$ARTGEN_MAX_PIXELS``, ``--cluster`` and ``$ARTGEN_RAY_ADDRESS``,
``--backend`` and ``$KERAS_BACKEND``). An empty variable counts as unset.

``$KERAS_BACKEND`` and ``$ARTGEN_MAX_PIXELS`` are only defaults, read where a
person starts artgen (:func:`shared_settings`): the value goes into the
config, and a job's child takes it from there, never from a variable.

Importing this module is cheap: the CLI calls it before anything heavy loads.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from artgen.configs import ImageEngineConfig, parse_backend, parse_pixels
from artgen.errors import InputError
from artgen.schema import options

__all__ = [
    "parse_cluster",
    "read",
    "debug",
    "check",
    "shared_settings",
    "use_backend",
]

_ADDRESS = re.compile(r"(?P<client>ray://)?(?P<host>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:(?P<port>\d{1,5}))?")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def parse_cluster(text: str) -> str:
    """A Ray cluster's address (``--cluster``, ``$ARTGEN_RAY_ADDRESS``): ray://HOST:PORT, HOST:PORT, auto."""
    if text == "auto":
        return text
    found = _ADDRESS.fullmatch(text)
    port = found and found["port"]
    if not (found and (0 < int(port) < 65536 if port else found["client"])):  # Ray Client has a default port
        raise InputError(f"{text!r} is not a Ray address: give ray://HOST:PORT, HOST:PORT or auto")
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


# Every variable artgen reads, with its parser (the setting's own, for a variable that gives a setting's
# default). Those it only sets for the libraries of its own process (TF_CPP_MIN_LOG_LEVEL,
# CUDA_VISIBLE_DEVICES, KERAS_BACKEND from a config, ...) are not here.
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


def shared_settings(given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings every engine shares (:class:`artgen.configs.ImageEngineConfig`'s), for the configs a
    person starts from the command line or the studio: each as ``given`` (an option), else as its
    variable says (``$KERAS_BACKEND``), else its field's default."""
    settings = {}
    for opt in options(ImageEngineConfig):
        value = given.get(opt.name)
        if value is None and opt.setting.variable is not None:
            value = read(opt.setting.variable)
        settings[opt.name] = opt.default if value is None else value
    return settings


def use_backend(backend: str) -> None:
    """Make ``backend`` (a config's) the Keras backend of this process: called by the process that runs
    an engine, before Keras is first imported, which reads it from the variable once. Once Keras is
    loaded its backend is fixed, and this changes nothing."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend


def check(given: Collection[str] = ()) -> None:
    """Refuse a bad value of any variable artgen reads, before work starts; ``given``: the shared settings
    given as options (``backend`` for ``--backend``), whose variables they stand in for, unread."""
    unread = {opt.setting.variable for opt in options(ImageEngineConfig) if opt.name in given}
    for name in PARSERS:
        if name not in unread:
            read(name)
