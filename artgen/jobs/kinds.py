"""The kinds of job the runner can run, named by module path.

Each kind names its config class and engine function as ``"module:attr"``
strings, imported only when needed: the app imports config classes (light,
no Keras) to fill forms with their defaults, and only the child process
imports the engine. A kind whose module is missing (an engine still being
written, an optional extra not installed) shows as "not available" instead
of breaking the app.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from artgen.errors import InputError

__all__ = [
    "FieldKind",
    "FieldSpec",
    "JobKind",
    "KINDS",
    "register",
    "unregister",
    "get",
    "resolve",
    "available",
    "config_class",
    "form_fields",
    "defaults",
    "build_config",
    "prepare",
    "resume_path",
]

FieldKind = Literal[
    "folder", "outdir", "image", "images", "file", "output", "int", "float", "text", "choice", "bool", "list"
]


@dataclass(frozen=True)
class FieldSpec:
    """One option in a job's form. ``kind`` picks the widget and the as-you-type checks."""

    name: str
    kind: FieldKind | None = None  # None: inferred from the config field's type and name
    label: str = ""
    choices: tuple[Any, ...] = ()
    optional: bool = False  # an empty entry means "use the engine's choice" (None)
    help: str = ""


@dataclass(frozen=True)
class JobKind:
    """An engine the runner can call, and what the app needs to offer it."""

    name: str
    title: str
    key: str  # the home screen's key for this action
    config: str  # "module:ConfigClass", a frozen dataclass with artgen.configs.ConfigDict
    engine: str  # "module:function", imported in the child process only
    fields: tuple[FieldSpec | str, ...] = ()  # the form's main options; empty: every config field
    resumable: bool = False  # a cancelled job can continue from its checkpoint
    uses_gpu: bool = True
    prepare: str | None = None  # "module:function(dict) -> dict", run before queueing
    fresh: tuple[str, ...] = ()  # config keys cleared for "re-run with the same settings"
    description: str = ""


def _train_fields() -> tuple[FieldSpec | str, ...]:
    from artgen.dcgan.config import AUGMENTATIONS, LR_DECAYS, SIZES

    return (
        FieldSpec("data_dir", "folder", "image folder"),
        FieldSpec("size", "choice", choices=SIZES),
        FieldSpec("epochs", "int", optional=True, help="empty: 20 unless steps is set"),
        FieldSpec("steps", "int", optional=True, help="overrides epochs"),
        "batch_size",
        "learning_rate",
        FieldSpec("lr_decay", "choice", "lr decay", choices=LR_DECAYS),
        FieldSpec("augment", "list", choices=AUGMENTATIONS, help=f"comma list: {','.join(AUGMENTATIONS)}"),
        "ema",
        "seed",
        FieldSpec("runs_root", "outdir", "runs folder", help="new run directories go here"),
    )


def _choices(target: str) -> tuple[Any, ...]:
    """A config module's tuple of choices, or none while that engine is not installed."""
    try:
        return tuple(resolve(target))
    except (ImportError, AttributeError):
        return ()


def _builtin_kinds() -> dict[str, JobKind]:
    kinds = [
        JobKind(
            "train",
            "Train a DCGAN",
            "t",
            "artgen.dcgan.config:TrainConfig",
            "artgen.dcgan:train",
            fields=_train_fields(),
            resumable=True,
            prepare="artgen.jobs.prepare:fix_run_dir",
            fresh=("run_dir",),
            description="train a DCGAN on a folder of images",
        ),
        JobKind(
            "sample",
            "Sample a generator",
            "s",
            "artgen.jobs.sample_job:SampleConfig",
            "artgen.jobs.sample_job:sample_grid",
            fields=(
                FieldSpec("model", "file", optional=True, help=".keras file or run folder; empty: bundled"),
                FieldSpec("out", "output", "output PNG"),
                "count",
                "seed",
                FieldSpec("truncation", "float", optional=True),
                "force",
            ),
            description="draw a grid of images from a generator",
        ),
        JobKind(
            "walk",
            "Latent walk",
            "w",
            "artgen.walk:WalkConfig",
            "artgen.walk:render_walk",
            fields=(
                FieldSpec("out", "output", "output", help=".gif, .webp, .mp4, or a folder for PNG frames"),
                FieldSpec("model", "file", optional=True, help=".keras file or run folder; empty: bundled"),
                "frames",
                "fps",
                "keyframes",
                "seed",
                FieldSpec("interp", "choice", choices=_choices("artgen.walk.config:INTERPS")),
                FieldSpec("ease", "choice", choices=_choices("artgen.walk.config:EASES")),
                FieldSpec("size", "int", optional=True, help="empty: the generator's own size"),
                "force",
            ),
            description="render a looping walk through latent space",
        ),
        JobKind(
            "style",
            "Style transfer",
            "y",
            "artgen.style:StyleConfig",
            "artgen.style:transfer",
            fields=(
                FieldSpec("content", "image", "photo"),
                FieldSpec("styles", "images", "style images", help="one or more, comma separated"),
                FieldSpec("out", "output", optional=True, help="empty: <photo>_<style>.png"),
                "size",
                "iterations",
                FieldSpec("optimizer", "choice", choices=_choices("artgen.style.config:OPTIMIZERS")),
                "content_weight",
                "style_weight",
                "preserve_colors",
                "scales",
                FieldSpec("tile", "choice", choices=_choices("artgen.style.config:TILES")),
                "seed",
                "overwrite",
            ),
            description="paint a photo in the style of a painting",
        ),
        JobKind(
            "toy",
            "Lab: toy GAN",
            "g",
            "artgen.labs.toy_gan:ToyConfig",
            "artgen.labs.toy_gan:train_toy",
            fields=(
                "mean",
                "std",
                FieldSpec("mixture", "text", optional=True),
                "epochs",
                "steps_per_epoch",
                "batch_size",
                "learning_rate",
                "gif",
                "seed",
                FieldSpec("runs_root", "outdir", "runs folder"),
            ),
            description="watch a GAN learn a distribution of numbers",
        ),
        JobKind(
            "classify",
            "Lab: classifier",
            "c",
            "artgen.labs.classify:ClassifyConfig",
            "artgen.labs.classify:train_classifier",
            fields=(
                FieldSpec("data_dir", "folder", "image folder"),
                FieldSpec("output", "output", "model file", optional=True),
                "size",
                "val_split",
                "epochs",
                "batch_size",
                "learning_rate",
                "augment",
                FieldSpec("limit", "int", optional=True),
                "seed",
                FieldSpec("runs_root", "outdir", "runs folder"),
            ),
            description="train a small image classifier on class folders",
        ),
    ]
    return {kind.name: kind for kind in kinds}


def register(kind: JobKind) -> None:
    """Add (or replace) a kind, e.g. a fake engine in tests."""
    KINDS[kind.name] = kind


def unregister(name: str) -> None:
    KINDS.pop(name, None)


def get(name: str) -> JobKind:
    try:
        return KINDS[name]
    except KeyError:
        raise InputError(f"unknown job kind {name!r}; choose from {', '.join(KINDS)}") from None


def resolve(target: str) -> Any:
    """Import ``"module:attr"``."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def available(kind: JobKind) -> bool:
    """Whether the kind's config can be imported (its engine is part of this installation)."""
    try:
        config_class(kind)
    except (ImportError, AttributeError):
        return False
    return True


def config_class(kind: JobKind) -> type:
    return resolve(kind.config)


def defaults(kind: JobKind) -> dict[str, Any]:
    """Every config field's default, read from the dataclass (so each default is written once)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(config_class(kind)):
        if field.default is not dataclasses.MISSING:
            values[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            values[field.name] = field.default_factory()
        else:
            values[field.name] = None
    return values


def form_fields(kind: JobKind) -> list[FieldSpec]:
    """The form's fields with kinds, labels and choices filled in."""
    cls = config_class(kind)
    hints = typing.get_type_hints(cls)
    known = {field.name: field for field in dataclasses.fields(cls)}
    specs = kind.fields or tuple(name for name in known if name not in ("run_dir",))
    result = []
    for spec in specs:
        spec = FieldSpec(spec) if isinstance(spec, str) else spec
        if spec.name not in known:
            continue
        hint = hints.get(spec.name, str)
        optional = spec.optional or _is_optional(hint)
        inferred = spec.kind or _infer_kind(spec.name, hint)
        label = spec.label or spec.name.replace("_", " ")
        help_text = spec.help or known[spec.name].metadata.get("help", "")
        spec = dataclasses.replace(spec, kind=inferred, label=label, optional=optional, help=help_text)
        result.append(spec)
    return result


def _is_optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _infer_kind(name: str, hint: Any) -> FieldKind:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    base = args[0] if args and typing.get_origin(hint) is not tuple else hint
    if typing.get_origin(base) is Literal:
        return "choice"
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base is float:
        return "float"
    if typing.get_origin(base) in (tuple, list):
        return "list"
    if name in ("runs_root", "out_dir", "output_dir"):
        return "outdir"
    if name.endswith("_dir") or name in ("folder", "data"):
        return "folder"
    if name in ("content", "style", "image", "content_image", "style_image", "photo", "painting"):
        return "image"
    if name in ("out", "output") or name.startswith("out_"):
        return "output"
    if name in ("model", "generator", "checkpoint"):
        return "file"
    return "text"


def build_config(kind: JobKind, values: dict[str, Any]) -> Any:
    """The config for ``values`` (defaults for the rest); raises InputError with the engine's message."""
    return config_class(kind).from_dict({**defaults(kind), **values})


def prepare(kind: JobKind, config: dict[str, Any]) -> dict[str, Any]:
    """The config as it will run: the kind's ``prepare`` hook applied, e.g. a fixed run directory."""
    if kind.prepare is None:
        return dict(config)
    hook: Callable[[dict[str, Any]], dict[str, Any]] = resolve(kind.prepare)
    return hook(dict(config))


def resume_path(config: dict[str, Any]) -> Path | None:
    """The run directory a resumable job continues from, if it left a checkpoint there."""
    run_dir = config.get("run_dir")
    if not run_dir:
        return None
    path = Path(run_dir)
    return path if (path / "checkpoints").is_dir() and any((path / "checkpoints").iterdir()) else None


KINDS: dict[str, JobKind] = _builtin_kinds()
