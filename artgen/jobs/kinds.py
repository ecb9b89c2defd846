"""The kinds of job the runner can run.

Each kind names its config class itself (a plain dataclass, cheap to import:
no Keras) and its engine function as a ``"module:function"`` string, imported
only in the child process that runs the job. The form the studio shows for a
kind is generated from its config's settings (:mod:`artgen.schema`): the main
options first, then the ones marked ``advanced``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artgen.dcgan.config import TrainConfig
from artgen.errors import InputError
from artgen.jobs.predict_job import PredictConfig
from artgen.jobs.sample_job import SampleConfig
from artgen.labs.classify.config import ClassifyConfig
from artgen.labs.toy_gan.config import ToyConfig
from artgen.project.config import ProjectConfig
from artgen.schema import PATH_WIDGETS, Option, Widget, options
from artgen.style.config import StyleConfig, TextureConfig
from artgen.walk.config import WalkConfig

__all__ = [
    "FieldKind",
    "FieldSpec",
    "JobKind",
    "KINDS",
    "register",
    "unregister",
    "get",
    "resolve",
    "config_class",
    "form_fields",
    "defaults",
    "missing",
    "build_config",
    "prepare",
    "resume_path",
    "absolute_paths",
    "suggestions",
    "output_fields",
    "PATH_KINDS",
]

FieldKind = Widget
PATH_KINDS = PATH_WIDGETS


@dataclass(frozen=True)
class FieldSpec:
    """One option in a job's form, read from its config field's setting; ``kind`` picks the widget."""

    name: str
    kind: FieldKind
    label: str
    option: Option  # the field's type, default and bounds, for the as-you-type checks
    choices: tuple[Any, ...] = ()
    optional: bool = False  # an empty entry means "use the engine's choice" (None, or an empty text)
    help: str = ""
    advanced: bool = False  # shown under the form's "advanced" fold


@dataclass(frozen=True)
class JobKind:
    """An engine the runner can call, and what the app needs to offer it."""

    name: str
    title: str
    key: str  # the home screen's key for this action
    config: type  # a frozen dataclass with artgen.configs.ConfigDict, its fields declared with artgen.schema
    engine: str  # "module:function", imported in the child process only
    resumable: bool = False  # a cancelled job can continue from its checkpoint
    uses_gpu: bool = True
    prepare: str | None = None  # "module:function(dict) -> dict", run before queueing
    fresh: tuple[str, ...] = ()  # config keys cleared for "re-run with the same settings"
    description: str = ""
    # "module:function(values) -> dict": form values that make a picture with one key on a fresh install
    # (a new output name, the bundled sample images), looked up when the form opens and as it changes.
    suggest: str | None = None


def _builtin_kinds() -> dict[str, JobKind]:
    kinds = [
        JobKind(
            "train",
            "Train a DCGAN",
            "t",
            TrainConfig,
            "artgen.dcgan:train",
            resumable=True,
            prepare="artgen.jobs.prepare:fix_run_dir",
            fresh=("run_dir",),
            description="train a DCGAN on a folder of images",
            suggest="artgen.jobs.prepare:suggest_images",
        ),
        JobKind(
            "sample",
            "Sample a generator",
            "s",
            SampleConfig,
            "artgen.jobs.sample_job:sample_grid",
            description="draw a grid of images from a generator",
            suggest="artgen.jobs.prepare:suggest_sample",
        ),
        JobKind(
            "walk",
            "Latent walk",
            "w",
            WalkConfig,
            "artgen.walk:render_walk",
            description="render a looping walk through latent space",
            suggest="artgen.jobs.prepare:suggest_walk",
        ),
        JobKind(
            "project",
            "Find pictures",
            "f",
            ProjectConfig,
            "artgen.project:project_images",
            description="find the latents nearest pictures, for walks through them",
            suggest="artgen.jobs.prepare:suggest_project",
        ),
        JobKind(
            "style",
            "Style transfer",
            "y",
            StyleConfig,
            "artgen.style:stylise",
            description="paint a photo in the style of a painting",
            suggest="artgen.jobs.prepare:suggest_style",
        ),
        JobKind(
            "texture",
            "Texture",
            "x",
            TextureConfig,
            "artgen.style.texture:synthesise",
            description="synthesise a seamless texture from paintings",
            suggest="artgen.jobs.prepare:suggest_texture",
        ),
        JobKind(
            "toy",
            "Lab: toy GAN",
            "g",
            ToyConfig,
            "artgen.labs.toy_gan:train_toy",
            description="watch a GAN learn a distribution of numbers",
        ),
        JobKind(
            "classify",
            "Lab: classifier",
            "c",
            ClassifyConfig,
            "artgen.labs.classify:train_classifier",
            description="train an image classifier on class folders",
            suggest="artgen.jobs.prepare:suggest_images",
        ),
        JobKind(
            "predict",
            "Lab: classify images",
            "p",
            PredictConfig,
            "artgen.jobs.predict_job:classify_images",
            description="try a classifier you trained on other pictures",
            suggest="artgen.jobs.prepare:suggest_predict",
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
    """Import ``"module:attr"``; a name that is not there is an ImportError, like a module that is not."""
    module, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except AttributeError:
        raise ImportError(f"cannot import name {attr!r} from {module!r}") from None


def config_class(kind: JobKind) -> type:
    return kind.config


def defaults(kind: JobKind) -> dict[str, Any]:
    """Every optional config field's default, read from the dataclass; required fields have none."""
    return {opt.name: opt.default for opt in options(kind.config) if not opt.required}


def form_fields(kind: JobKind) -> list[FieldSpec]:
    """Every option of the kind's config, from its settings: the main ones first, then the advanced."""
    specs = [_field(opt) for opt in options(kind.config)]
    return [spec for spec in specs if not spec.advanced] + [spec for spec in specs if spec.advanced]


def _field(opt: Option) -> FieldSpec:
    setting = opt.setting
    notes = [setting.help] if setting.help else []
    if opt.optional and setting.unset:
        notes.append(f"empty: {setting.unset}")
    if opt.widget in ("images", "list") and not setting.parse:
        notes.append(
            f"comma separated: {','.join(map(str, setting.choices))}"
            if setting.choices
            else "comma separated"
        )
    return FieldSpec(
        opt.name,
        opt.widget,
        opt.label,
        opt,
        choices=setting.choices,
        optional=opt.optional or opt.default == "",
        help="; ".join(notes),
        advanced=setting.advanced,
    )


def missing(kind: JobKind, values: dict[str, Any]) -> list[Option]:
    """The required fields ``values`` leaves empty."""
    return [
        opt for opt in options(kind.config) if opt.required and values.get(opt.name) in (None, "", (), [])
    ]


def build_config(kind: JobKind, values: dict[str, Any]) -> Any:
    """The config for ``values`` (defaults for the rest); raises InputError with the engine's message.

    A required field left out is refused here, in one line, before any job starts.
    """
    empty = missing(kind, values)
    if empty:
        needs = "; ".join(f"{opt.metavar}: {opt.setting.help}" for opt in empty)
        raise InputError(f"{kind.name} needs {needs}")
    return kind.config.from_dict({**defaults(kind), **values})


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


def output_fields(kind: JobKind) -> list[str]:
    """The names of the kind's fields that name a file or folder to write."""
    return [spec.name for spec in form_fields(kind) if spec.kind in ("output", "destination")]


def suggestions(kind: JobKind, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The kind's ``suggest`` hook's values for a form holding ``values`` (none: a fresh form)."""
    if kind.suggest is None:
        return {}
    hook: Callable[[Mapping[str, Any]], dict[str, Any]] = resolve(kind.suggest)
    return hook(values or {})


def resume_path(config: dict[str, Any]) -> Path | None:
    """The run directory a resumable job continues from, if it left a checkpoint there."""
    run_dir = config.get("run_dir")
    if not run_dir:
        return None
    path = Path(run_dir)
    return path if (path / "checkpoints").is_dir() and any((path / "checkpoints").iterdir()) else None


KINDS: dict[str, JobKind] = _builtin_kinds()
