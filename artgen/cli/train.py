"""``artgen train DIR``: train a DCGAN on a folder of images."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from artgen.cli.common import (
    EventRenderer,
    StopRequest,
    console,
    positive_float,
    positive_int,
    quiet_backend_import,
    show_result,
)
from artgen.dcgan.config import (
    AUGMENTATIONS,
    LOSSES,
    LR_DECAYS,
    ON_COLLAPSE,
    PRECISIONS,
    RECIPES,
    SAMPLE_UNITS,
    SIZES,
    STRATEGIES,
    TrainConfig,
)
from artgen.errors import InputError, RunDirError

NAME = "train"
HELP = "train a DCGAN on a folder of images"
DESCRIPTION = (
    "Train a DCGAN on every image below DIR (jpg, png, webp, bmp, gif). Each run writes one\n"
    "directory: config.json, checkpoints/, images/step-NNNNNNNN.png, metrics.csv (losses, FD, KID),\n"
    "loss.png, generator.keras and generator-best.keras (lowest FD). Ctrl-C saves a checkpoint;\n"
    "--resume continues exactly where it stopped."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen train faces/                       64 px, 20 epochs, into runs/faces-<time>/\n"
    "  artgen train emoji/ --size 32 --steps 5000 --augment\n"
    "  artgen train --resume runs/faces-20261123-101500\n"
    "  artgen train --resume runs/faces-20261123-101500 --epochs 40   (train longer)\n"
    "  artgen train faces/ --recipe classic        the recipe of artgen 0.1, exactly"
)

DEFAULTS = {field.name: field.default for field in dataclasses.fields(TrainConfig)}
# What may change when resuming: how long and how often, never what the model is.
RESUME_OVERRIDES = {
    "epochs",
    "steps",
    "checkpoint_every",
    "sample_every",
    "log_every",
    "keep_checkpoints",
    "keep_samples",
    "eval_every",
    "on_collapse",
}


def _augmentations(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown {', '.join(unknown)}; choose from {','.join(AUGMENTATIONS)}"
        )
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.argument_default = argparse.SUPPRESS  # only what the user typed reaches the config
    parser.add_argument(
        "data_dir", nargs="?", metavar="DIR", help="folder of training images (searched recursively)"
    )
    parser.add_argument(
        "--resume", metavar="RUN_DIR", help="continue a stopped run from its newest checkpoint"
    )
    parser.add_argument(
        "--data", metavar="DIR", help="with --resume: where the run's images are now, if they moved"
    )
    model = parser.add_argument_group("model")
    model.add_argument(
        "--size", type=int, choices=SIZES, help=f"image size in pixels (default {DEFAULTS['size']})"
    )
    model.add_argument(
        "--latent-dim", type=positive_int, help=f"latent vector length (default {DEFAULTS['latent_dim']})"
    )
    model.add_argument(
        "--width",
        type=positive_int,
        help=f"base channel count; scales both networks (default {DEFAULTS['width']})",
    )
    schedule = parser.add_argument_group("training")
    schedule.add_argument(
        "--recipe",
        choices=("artgen", *RECIPES),
        help="artgen: the measured best (default); classic: artgen 0.1's recipe, loss for loss",
    )
    schedule.add_argument(
        "--loss", choices=LOSSES, help=f"ns: non-saturating; hinge (default {DEFAULTS['loss']})"
    )
    schedule.add_argument(
        "--epochs", type=positive_int, help="passes over the data (default 20 unless --steps)"
    )
    schedule.add_argument("--steps", type=positive_int, help="train steps (overrides --epochs)")
    schedule.add_argument(
        "--batch-size", type=positive_int, help=f"images per step (default {DEFAULTS['batch_size']})"
    )
    schedule.add_argument(
        "--learning-rate",
        "--lr",
        type=positive_float,
        help=f"Adam learning rate (default {DEFAULTS['learning_rate']})",
    )
    schedule.add_argument(
        "--d-learning-rate",
        "--d-lr",
        type=positive_float,
        help="the discriminator's learning rate, for two time-scale updates (default: --learning-rate)",
    )
    schedule.add_argument("--beta1", type=float, help=f"Adam beta 1 (default {DEFAULTS['beta1']})")
    schedule.add_argument(
        "--lr-decay", choices=LR_DECAYS, help="decay the learning rate to 0 over the run (default none)"
    )
    schedule.add_argument(
        "--label-smoothing",
        type=float,
        help=f"target for real images, 1 = off (default {DEFAULTS['label_smoothing']})",
    )
    schedule.add_argument(
        "--augment",
        type=_augmentations,
        nargs="?",
        const=AUGMENTATIONS,
        metavar="LIST",
        help=f"differentiable augmentation for small datasets; bare --augment = {','.join(AUGMENTATIONS)}",
    )
    schedule.add_argument(
        "--augment-below",
        type=int,
        metavar="N",
        help="without --augment: DiffAugment (all three) for datasets under N images, 0 = never "
        f"(default {DEFAULTS['augment_below']})",
    )
    schedule.add_argument(
        "--spectral-norm",
        action=argparse.BooleanOptionalAction,
        help="spectral normalization in the discriminator, in place of its batch norms "
        f"(default {'on' if DEFAULTS['spectral_norm'] else 'off'})",
    )
    schedule.add_argument(
        "--ema",
        action=argparse.BooleanOptionalAction,
        help="sample from an exponential moving average of the generator (default on)",
    )
    schedule.add_argument("--ema-decay", type=float, help=f"EMA decay (default {DEFAULTS['ema_decay']})")
    schedule.add_argument(
        "--ema-bn",
        action=argparse.BooleanOptionalAction,
        help="measure the EMA generator's batch-norm statistics again before sampling (default on)",
    )
    schedule.add_argument("--seed", type=int, help="same seed and data give the same losses (default 0)")
    device = parser.add_argument_group("devices (see also: artgen --backend jax)")
    device.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="mixed = float16 with loss scaling, bf16 = bfloat16; auto picks the fastest for the device",
    )
    device.add_argument(
        "--xla", action=argparse.BooleanOptionalAction, help="compile the step with XLA (TensorFlow)"
    )
    device.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="data parallelism: mirrored (one machine) or multi-worker (TF_CONFIG)",
    )
    device.add_argument(
        "--devices", type=positive_int, help="replicas for mirrored training (GPUs, or CPU slices)"
    )
    output = parser.add_argument_group("output")
    output.add_argument("--run-dir", help="where this run writes (default runs/<DIR name>-<time>/)")
    output.add_argument(
        "--runs-root", help=f"parent of new run directories (default {DEFAULTS['runs_root']})"
    )
    output.add_argument(
        "--checkpoint-every",
        type=positive_int,
        help=f"steps between checkpoints (default {DEFAULTS['checkpoint_every']})",
    )
    output.add_argument(
        "--sample-every",
        type=positive_int,
        help=f"steps (epochs with --sample-unit epoch) between grids (default {DEFAULTS['sample_every']})",
    )
    output.add_argument("--sample-unit", choices=SAMPLE_UNITS, help="unit of --sample-every (default step)")
    output.add_argument(
        "--keep-samples",
        type=int,
        help=f"newest sample grids kept, plus every 10th; 0 keeps all (default {DEFAULTS['keep_samples']})",
    )
    quality = parser.add_argument_group("quality (FD/KID on VGG16 features; see artgen eval)")
    quality.add_argument(
        "--eval-every",
        type=int,
        help=f"steps between FD/KID evaluations, 0 = off (default {DEFAULTS['eval_every']})",
    )
    quality.add_argument(
        "--eval-samples",
        type=positive_int,
        help=f"generated images per evaluation (default {DEFAULTS['eval_samples']})",
    )
    quality.add_argument(
        "--on-collapse",
        choices=ON_COLLAPSE,
        help="when FD keeps rising or diversity collapses: warn (default), rollback to the best "
        "state with half the learning rate, or stop",
    )
    output.add_argument(
        "--log-every", type=positive_int, help=f"steps between metrics rows (default {DEFAULTS['log_every']})"
    )
    output.add_argument(
        "--samples", type=positive_int, help=f"images in each sample grid (default {DEFAULTS['samples']})"
    )
    output.add_argument("--background", help="colour behind transparent images (default white)")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The run's config: from the typed options, or from RUN_DIR's config.json with --resume."""
    given = {key: value for key, value in vars(args).items() if key in DEFAULTS}
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
    run_dir = Path(resume)
    if not (run_dir / "config.json").is_file():
        raise RunDirError(f"{run_dir} is not an artgen training run (no config.json)")
    from artgen.runs import check_free, read_json

    check_free(run_dir)  # another process training this run is named now, not after start-up
    stored = read_json(run_dir / "config.json")
    if stored.get("engine") != "dcgan":
        raise RunDirError(f"{run_dir} is not a DCGAN training run")
    fixed = sorted(set(given) - RESUME_OVERRIDES - {"run_dir"})
    if fixed:
        names = ", ".join("--" + name.replace("_", "-") for name in fixed)
        raise InputError(f"{names} cannot change when resuming; start a new run instead")
    if "steps" in given or "epochs" in given:
        stored.update(steps=None, epochs=None)
    stored.update(given, run_dir=str(run_dir))
    if getattr(args, "data", None) is not None:
        stored["data_dir"] = str(Path(args.data).resolve())
    elif not Path(stored["data_dir"]).is_dir():
        raise InputError(
            f"this run's images were in {stored['data_dir']}, which is gone; "
            f"if they moved: artgen train --resume {run_dir} --data NEW_DIR"
        )
    return TrainConfig.from_run(stored)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    with quiet_backend_import():
        from artgen.dcgan import train

    with StopRequest() as stop, EventRenderer(("d_loss", "g_loss", "d_real", "d_fake", "fd")) as render:
        result = train(config, render, stop)
    show_result(f"run directory: {result.run_dir}")
    if result.stopped:  # the engine's own message said where it stopped and how to resume
        return 130
    if result.generator_path is None:  # a non-chief worker of a multi-worker run
        console.print("this worker trained its share; the chief (worker 0) wrote the run's files")
        return 0
    show_result(f"generator: {result.generator_path}")
    console.print(f"try: artgen sample --model {result.run_dir} samples.png", highlight=False)
    return 0
