"""``artgen train DIR``: train a DCGAN on a folder of images."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from artgen.cli import preflight
from artgen.cli.common import note, show_result
from artgen.cli.engine import run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.dcgan.config import DEFAULT_EPOCHS, RESUMABLE, TrainConfig
from artgen.errors import InputError, RunDirError

NAME = "train"
HELP = "train a DCGAN on a folder of images"
DESCRIPTION = (
    "Train a DCGAN on every image below DIR (jpg, png, webp, bmp, gif). Each run writes one\n"
    "directory: config.json, checkpoints/, images/step-NNNNNNNN.png, metrics.csv (losses, FD, KID),\n"
    "loss.png, generator.keras and generator-best.keras (lowest FD). Ctrl-C saves a checkpoint;\n"
    "--resume continues exactly where it stopped."
    "\n\n"
    "Cost, measured on a 2-core CPU (docs/benchmarks.md): a step of the defaults takes 55-70 CPU-ms\n"
    "at 32 px and 230 CPU-ms at 64 px, about 30 and 115 ms of an idle machine's time. On an NVIDIA\n"
    "H100 (JAX, width 64, batch 64) the whole loop ran about 9,500 img/s; the current defaults are\n"
    "not yet measured on a GPU."
)
_DEFAULT = TrainConfig(data_dir="faces/")  # the examples quote its defaults
EXAMPLES = (
    "Examples:\n"
    f"  artgen train faces/                       {_DEFAULT.size} px, {DEFAULT_EPOCHS} epochs, "
    "into runs/faces-<time>/\n"
    "  artgen train emoji/ --size 32 --steps 5000 --augment\n"
    "  artgen train --resume runs/faces-20261123-101500\n"
    "  artgen train --resume runs/faces-20261123-101500 --epochs 40   (train longer)\n"
    "  artgen train faces/ --recipe classic        the recipe of artgen 0.1, exactly"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """TrainConfig's options, plus --resume and --data, which are about a run rather than a setting."""
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        default=argparse.SUPPRESS,
        help="continue a stopped run from its newest checkpoint",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="with --resume: where the run's images are now, if they moved",
    )
    add_options(parser, TrainConfig, nargs={"data_dir": "?"})
    add_history_flag(parser)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The run's config: from the typed options, or from RUN_DIR's config.json with --resume."""
    given = typed(args, TrainConfig)
    resume = getattr(args, "resume", None)
    if resume is None:
        if getattr(args, "data_dir", None) is None:
            raise InputError("give a folder of images (artgen train DIR) or --resume RUN_DIR")
        if getattr(args, "data", None) is not None:
            raise InputError("--data only moves a resumed run's images; for a new run give DIR")
        run_dir = given.get("run_dir")
        if run_dir is not None and (Path(run_dir) / "config.json").exists():
            raise RunDirError(
                f"{run_dir} already holds a training run; continue it with: artgen train --resume {run_dir}"
                " (or choose another --run-dir)"
            )
        return TrainConfig.with_recipe(**given)
    if getattr(args, "data_dir", None) is not None:
        raise InputError("give either DIR or --resume RUN_DIR, not both (--data DIR moves a run's images)")
    from artgen import runs, stored

    run_dir = Path(resume)
    if run_dir.is_dir():
        runs.check_free(run_dir)  # another process training this run is named now, not after start-up
    path = run_dir / "config.json"
    if not path.is_file():
        raise _not_a_run(run_dir)
    settings = stored.read_json(path)
    if settings.get("engine") != "dcgan":
        raise RunDirError(f"{run_dir} is not a DCGAN training run")
    config = TrainConfig.from_run(settings, path)  # all of it checked before anything is written
    fixed = sorted(set(given) - RESUMABLE)
    if fixed:
        names = ", ".join("--" + name.replace("_", "-") for name in fixed)
        raise InputError(f"{names} cannot change when resuming; start a new run instead")
    changes = {**given, "run_dir": str(run_dir)}
    if "steps" in given or "epochs" in given:
        changes = {"steps": None, "epochs": None, **changes}
    if getattr(args, "data", None) is not None:
        changes["data_dir"] = str(Path(args.data).resolve())
    elif not Path(config.data_dir).is_dir():
        raise InputError(
            f"this run's images were in {config.data_dir}, which is gone; "
            f"if they moved: artgen train --resume {run_dir} --data NEW_DIR"
        )
    return dataclasses.replace(config, **changes)


def _not_a_run(run_dir: Path) -> RunDirError:
    """Why ``--resume`` cannot continue a folder without config.json, and how to start a run there."""
    from artgen import runs

    if not run_dir.exists():
        return RunDirError(f"{run_dir} does not exist")
    if not run_dir.is_dir() or not runs.holds_no_run(run_dir):
        return RunDirError(f"{run_dir} is not an artgen training run (no config.json)")
    if not any(run_dir.iterdir()):
        return RunDirError(
            f"{run_dir} is not an artgen training run (no config.json); "
            f"start one there with: artgen {NAME} DIR --run-dir {run_dir}"
        )
    # A lock or a temporary and no config.json: killed as it started. Its lock says what started it.
    command = (runs.lock_holder(run_dir) or {}).get("command")
    whole = isinstance(command, str) and len(command) < 200  # the lock keeps 200 characters of it
    if not whole or not command.startswith(f"artgen {NAME} ") or "--resume" in command:
        command = f"artgen {NAME} DIR"
    if "--run-dir" not in command:
        command += f" --run-dir {run_dir}"
    return RunDirError(
        f"{run_dir} has no steps yet (it was stopped as it started); start it again with: {command}"
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    preflight.check(config)
    result = run_engine(args, "train", config, ("d_loss", "g_loss", "d_real", "d_fake", "fd"))
    show_result(f"run directory: {result.run_dir}")
    if result.stopped:  # the engine's own message said where it stopped and how to resume
        return 130
    if result.generator_path is None:  # a non-chief worker of a multi-worker run
        note("this worker trained its share; the chief (worker 0) wrote the run's files")
        return 0
    show_result(f"generator: {result.generator_path}")
    note(f"try: artgen sample --model {result.run_dir} samples.png")
    return 0
