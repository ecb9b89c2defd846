"""What every engine config shares: a JSON round trip, and the settings that hold for a whole process.

Configs are frozen dataclasses stored as ``config.json`` in run directories
and sent to job processes. JSON has lists, not tuples, so ``from_dict``
turns lists back into tuples for fields annotated as tuples. Unknown keys are
an error (a typo in a job's settings must not silently fall back to a
default), except the ``engine`` tag that run directories store beside them,
and so is a value of the wrong type: a JSON value reaches no engine unchecked.

Every engine config is an :class:`EngineConfig` (its Keras backend), and one
whose engine reads images an :class:`ImageEngineConfig` (the largest image
it decodes). These settings are the process's, not the engine's: the process
that runs the engine applies them before it starts (a job's child, the command
line), since Keras loads one backend per process. They travel in the config
like every other setting, never by environment variable.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import math
import os
import types
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from artgen.errors import DamagedFile, InputError
from artgen.schema import option, options, problem, setting, type_problem

__all__ = [
    "ConfigDict",
    "EngineConfig",
    "ImageEngineConfig",
    "BACKENDS",
    "MAX_PIXELS",
    "MAX_PIXELS_RANGE",
    "MAX_SEED",
    "parse_backend",
    "parse_pixels",
    "check_seed",
    "check_range",
]

STORED_TAGS = frozenset({"engine"})
# Settings renamed since a version whose job history or run folders may still hold the old name.
MAX_SEED = 2**32 - 1  # every backend's random generators take a 32-bit seed
# Keras backends artgen runs on, with the package each needs and how to install it
BACKENDS = {
    "tensorflow": ("tensorflow", "pip install tensorflow"),
    "jax": ("jax", "pip install 'artgen[jax]'"),
}
MAX_PIXELS = 64_000_000  # 8k x 8k; larger files are refused as decompression bombs (--max-pixels)
MAX_PIXELS_RANGE = (1_000_000, 2_000_000_000)


def check_seed(seed: int, flag: str = "--seed") -> None:
    """Seeds are 0 to 2^32-1: NumPy refuses negatives, backends truncate larger ones."""
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"{flag} must be between 0 and {MAX_SEED}, not {seed}")


def check_range(value: float, low: float, high: float, flag: str, unit: str = "") -> None:
    """``low <= value <= high`` (NaN and infinities fail) or one line naming the flag and its bounds."""
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"{flag} must be between {low:g} and {high:g}{unit}, not {value:g}")


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


C = TypeVar("C", bound="ConfigDict")


def _is_tuple(annotation: Any) -> bool:
    if typing.get_origin(annotation) is tuple:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_tuple(arg) for arg in typing.get_args(annotation))
    return False


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def _tuple_fields(cls: type) -> frozenset[str]:
    hints = _hints(cls)
    return frozenset(field.name for field in dataclasses.fields(cls) if _is_tuple(hints[field.name]))


class ConfigDict:
    """Mixin for frozen config dataclasses: ``to_dict()`` and ``from_dict()``."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (tuples become lists)."""
        data = dataclasses.asdict(self)  # type: ignore[call-overload]
        for name in _tuple_fields(type(self)):
            if isinstance(data[name], tuple):  # a field may hold a tuple or a number (walk's keyframes)
                data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        known = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known - STORED_TAGS
        if unknown:
            kind = cls.__name__.removesuffix("Config").lower()
            raise InputError(f"unknown {kind} settings: {', '.join(sorted(unknown))}")
        values = {key: value for key, value in data.items() if key in known}
        hints = _hints(cls)
        for name, value in values.items():  # None is the config's own check: "required" or "unset"
            if value is not None and (wrong := type_problem(hints[name], value)):
                raise InputError(f"{option(cls, name).flag} {wrong}")
        for name in _tuple_fields(cls) & values.keys():
            if isinstance(values[name], list):
                values[name] = tuple(values[name])
        return cls(**values)

    @classmethod
    def from_stored(
        cls: type[C], data: dict[str, Any], path: str | os.PathLike[str], may_lack: Collection[str] = ()
    ) -> C:
        """The config a run folder's ``config.json`` holds, or one line naming the file and the fault.

        Every setting must be there (``may_lack``: those that take their
        defaults when absent), of its type and within its bounds,
        so an edited or damaged file is refused before a resumed run has
        rewritten anything, in the file's own names rather than flags.
        """
        hints = _hints(cls)
        may_lack = {*may_lack, *PROCESS_SETTINGS}  # given anew by whatever runs the engine again
        lacking = [opt.name for opt in options(cls) if opt.name not in data and opt.name not in may_lack]
        if lacking:
            more = f" (and {len(lacking) - 1} more)" if len(lacking) > 1 else ""
            raise DamagedFile(f"{path} lacks the setting {lacking[0]}{more}")
        for opt in options(cls):
            if opt.name in data:
                value = data[opt.name]
                wrong = type_problem(hints[opt.name], value) if value is not None else None
                if wrong := wrong or problem(opt, value):
                    raise DamagedFile(f"{path}: {opt.name} {wrong}")
        try:
            return cls.from_dict(data)
        except InputError as exc:  # what the config checks across settings
            raise DamagedFile(f"{path}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class EngineConfig(ConfigDict):
    """The base of every engine's config: the Keras backend its process runs on.

    Keyword-only, so an engine's required fields may follow it, and listed after
    the engine's own options (:func:`artgen.schema.options`).
    """

    backend: str = setting(
        "tensorflow",
        help="Keras backend the engine runs on",
        choices=tuple(BACKENDS),
        parse=parse_backend,
        variable="KERAS_BACKEND",
        advanced=True,
        resumable=True,
    )


@dataclass(frozen=True, kw_only=True)
class ImageEngineConfig(EngineConfig):
    """The base of the config of an engine that reads images: the largest one it decodes, too."""

    max_pixels: int = setting(
        MAX_PIXELS,
        help="largest image read, in pixels; refuses decompression bombs",
        min=MAX_PIXELS_RANGE[0],
        max=MAX_PIXELS_RANGE[1],
        parse=parse_pixels,
        metavar="N",
        variable="ARTGEN_MAX_PIXELS",
        advanced=True,
        resumable=True,
    )


# The settings of the process that runs an engine: a stored config may lack them (a run resumed, a
# model sampled), as whatever runs the engine again gives them anew.
PROCESS_SETTINGS = frozenset(field.name for field in dataclasses.fields(ImageEngineConfig))
