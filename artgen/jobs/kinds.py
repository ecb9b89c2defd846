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
import os
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
    "absolute_paths",
    "suggestions",
    "PATH_KINDS",
]

FieldKind = Literal[
    "folder", "outdir", "image", "images", "file", "output", "int", "float", "text", "choice", "bool", "list"
]
PATH_KINDS: tuple[FieldKind, ...] = ("folder", "outdir", "image", "images", "file", "output")


@dataclass(frozen=True)
class FieldSpec:
    """One option in a job's form. ``kind`` picks the widget and the as-you-type checks."""

    name: str
    kind: FieldKind | None = None  # None: inferred from the config field's type and name
    label: str = ""
    choices: tuple[Any, ...] = ()
    optional: bool = False  # an empty entry means "use the engine's choice" (None)
    help: str = ""
    advanced: bool = False  # shown under the form's "advanced" fold


@dataclass(frozen=True)
class JobKind:
    """An engine the runner can call, and what the app needs to offer it."""

    name: str
    title: str
    key: str  # the home screen's key for this action
    config: str  # "module:ConfigClass", a frozen dataclass with artgen.configs.ConfigDict
    engine: str  # "module:function", imported in the child process only
    fields: tuple[FieldSpec | str, ...] = ()  # the form's main options, first; empty: every config field
    # How to show some of the other options, which all come after the main ones, under "advanced".
    advanced: tuple[FieldSpec, ...] = ()
    resumable: bool = False  # a cancelled job can continue from its checkpoint
    uses_gpu: bool = True
    prepare: str | None = None  # "module:function(dict) -> dict", run before queueing
    fresh: tuple[str, ...] = ()  # config keys cleared for "re-run with the same settings"
    description: str = ""
    # "module:function() -> dict": form values that make a picture with one key on a fresh install
    # (a new output name, the bundled sample images), looked up each time the form opens.
    suggest: str | None = None


def _train_fields() -> tuple[FieldSpec | str, ...]:
    from artgen.dcgan.config import AUGMENTATIONS, LR_DECAYS, SIZES

    return (
        FieldSpec("data_dir", "folder", "image folder"),
        FieldSpec("size", "choice", choices=SIZES),
        FieldSpec("epochs", "int", optional=True, help="empty: 20 unless steps is set"),
        FieldSpec("steps", "int", optional=True, help="overrides epochs"),
        "batch_size",
        FieldSpec("width", help="base channel count; smaller trains faster on a CPU"),
        "learning_rate",
        FieldSpec("lr_decay", "choice", "lr decay", choices=LR_DECAYS),
        FieldSpec("augment", "list", choices=AUGMENTATIONS, help=f"comma list: {','.join(AUGMENTATIONS)}"),
        "ema",
        "seed",
        FieldSpec("runs_root", "outdir", "runs folder", help="new run directories go here"),
    )


def _train_advanced() -> tuple[FieldSpec, ...]:
    from artgen.dcgan.config import PRECISIONS, STRATEGIES

    return (
        FieldSpec("run_dir", "outdir", optional=True, help="empty: a new folder under the runs folder"),
        FieldSpec("precision", "choice", choices=PRECISIONS),
        FieldSpec("strategy", "choice", choices=STRATEGIES),
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
            advanced=_train_advanced(),
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
                "overwrite",
            ),
            description="draw a grid of images from a generator",
            suggest="artgen.jobs.prepare:suggest_sample",
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
                "overwrite",
            ),
            advanced=(FieldSpec("resample", "choice", choices=_choices("artgen.walk.config:RESAMPLES")),),
            description="render a looping walk through latent space",
            suggest="artgen.jobs.prepare:suggest_walk",
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
            advanced=(
                FieldSpec("init", "choice", choices=_choices("artgen.style.config:INITS")),
                FieldSpec("net", "choice", choices=_choices("artgen.style.config:NETS")),
            ),
            description="paint a photo in the style of a painting",
            suggest="artgen.jobs.prepare:suggest_style",
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
                FieldSpec(
                    "preset",
                    "choice",
                    choices=_choices("artgen.labs.classify.config:PRESETS"),
                    optional=True,
                    help="empty: none; rps: 150 px, 40% validation, flips and strong geometry",
                ),
                FieldSpec("size", "int", optional=True, help="empty: the images' own size, at most 150"),
                FieldSpec("base", "choice", choices=_choices("artgen.labs.classify.config:BASES")),
                "fine_tune",
                "val_split",
                "epochs",
                "batch_size",
                "learning_rate",
                FieldSpec(
                    "augment",
                    "choice",
                    choices=(True, False),
                    optional=True,
                    help="empty: on for the small CNN, off on VGG16 (its features are then computed once)",
                ),
                FieldSpec("flip", "choice", choices=_choices("artgen.labs.classify.config:FLIPS")),
                "rotation",
                "shift",
                "zoom",
                FieldSpec("limit", "int", optional=True),
                "seed",
                FieldSpec("runs_root", "outdir", "runs folder"),
            ),
            description="train an image classifier on class folders (VGG16 transfer or a small CNN)",
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
    """Every option of the kind's config: its main ones first, then the rest marked ``advanced``.

    Kinds, labels, choices and help are filled in from the config dataclass
    (type hints, ``Literal`` choices, ``metadata["help"]``) where the kind
    does not say otherwise, so a new config field shows up in the form by itself.
    """
    cls = config_class(kind)
    hints = typing.get_type_hints(cls)
    known = {field.name: field for field in dataclasses.fields(cls)}
    main = [FieldSpec(spec) if isinstance(spec, str) else spec for spec in kind.fields or tuple(known)]
    listed = {spec.name for spec in main}
    shown = {spec.name: spec for spec in kind.advanced}
    rest = [
        dataclasses.replace(shown.get(name, FieldSpec(name)), advanced=True)
        for name in known
        if name not in listed
    ]
    result = []
    for spec in main + rest:
        if spec.name not in known:
            continue
        hint = hints.get(spec.name, str)
        optional = spec.optional or _is_optional(hint)
        inferred = spec.kind or _infer_kind(spec.name, hint)
        choices = spec.choices or _literal_choices(hint)
        label = spec.label or spec.name.replace("_", " ")
        help_text = spec.help or known[spec.name].metadata.get("help", "")
        spec = dataclasses.replace(
            spec, kind=inferred, label=label, optional=optional, help=help_text, choices=choices
        )
        result.append(spec)
    return result


def _literal_choices(hint: Any) -> tuple[Any, ...]:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)] or [hint]
    return typing.get_args(args[0]) if typing.get_origin(args[0]) is Literal else ()


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
    if name in ("runs_root", "run_dir", "work_dir", "out_dir", "output_dir"):
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


def absolute_paths(kind: JobKind, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with its paths made absolute, so a job's record means the same from any folder."""
    names = {spec.name for spec in form_fields(kind) if spec.kind in PATH_KINDS} | {"run_dir"}
    result = dict(config)
    for name in names & result.keys():
        value = result[name]
        if isinstance(value, str) and value:
            result[name] = os.path.abspath(os.path.expanduser(value))
        elif isinstance(value, (list, tuple)):
            result[name] = [os.path.abspath(os.path.expanduser(str(item))) for item in value]
    return result


def suggestions(kind: JobKind) -> dict[str, Any]:
    """The kind's ``suggest`` hook's values for a fresh form (none without a hook)."""
    if kind.suggest is None:
        return {}
    hook: Callable[[], dict[str, Any]] = resolve(kind.suggest)
    return hook()


def resume_path(config: dict[str, Any]) -> Path | None:
    """The run directory a resumable job continues from, if it left a checkpoint there."""
    run_dir = config.get("run_dir")
    if not run_dir:
        return None
    path = Path(run_dir)
    return path if (path / "checkpoints").is_dir() and any((path / "checkpoints").iterdir()) else None


KINDS: dict[str, JobKind] = _builtin_kinds()
