"""``artgen project IMAGE... -o latents.npz``: find pictures in a generator's latent space."""

from __future__ import annotations

import argparse
from pathlib import Path

from artgen.cli import preflight
from artgen.cli.common import note, show_result
from artgen.cli.engine import run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.errors import InputError
from artgen.generators.locate import WHICH
from artgen.project.config import ProjectConfig

NAME = "project"
HELP = "find the latents whose generated pictures are nearest given pictures"
DESCRIPTION = (
    "For each IMAGE, search the generator's latent space for the latent whose picture is nearest\n"
    "it: the random latents nearest it are the starts, each optimised with Adam against a\n"
    "perceptual distance (VGG16's features, as LPIPS compares them) plus a pixel term, as the\n"
    "StyleGAN projectors do. Writes OUT.npz, the latents with the generator they belong to\n"
    "(artgen walk --keyframes and artgen sample --latents read it, with that generator only),\n"
    "and OUT.png, each picture beside its reconstruction. A picture the generator was trained on\n"
    "(or one like them) comes back closest; anything else comes back as the nearest thing the\n"
    "generator can draw.\n"
    "--model takes a .keras file or a training run directory; without it, the bundled generator."
    "\n\n"
    "Cost, measured on a 2-core CPU (docs/benchmarks.md): with the defaults, about 26 CPU-s a\n"
    "picture for the bundled 64 px generator (13 s of an idle machine), and 6 CPU-s at 32 px.\n"
    "Not measured on a GPU."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen project smile.png heart.png -o faces.npz       latents of the bundled generator\n"
    "  artgen project --model runs/faces-20261123-101500 photos/*.jpg -o found.npz\n"
    "  artgen walk --keyframes faces.npz walk.gif            a loop through the pictures found\n"
    "  artgen sample --latents faces.npz found.png           the reconstructions again"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, ProjectConfig)
    parser.add_argument(
        "--which",
        choices=WHICH,
        help="in a run directory: final generator, best (lowest FD) or latest checkpoint "
        "(default: final, else latest)",
    )
    add_history_flag(parser)


def run(args: argparse.Namespace) -> int:
    values = typed(args, ProjectConfig)
    model = values.get("model")
    if model is not None:
        from artgen.generators.locate import describe, resolve_model

        resolved = resolve_model(model, args.which)
        if Path(model).is_dir():  # a run holds several generators: say which one
            note(f"using {describe(resolved)}")
        values["model"] = str(resolved)
    elif args.which is not None:
        raise InputError("--which needs --model RUN_DIR (a training run directory)")
    config = ProjectConfig(**values)
    preflight.check(config)
    result = run_engine(args, "project", config, ("distance",))
    if result.stopped:
        return 130
    spread = f"mean perceptual distance {sum(result.distances) / len(result.distances):.3f}"
    show_result(f"wrote {result.out} ({result.count} latents, {spread})")
    show_result(f"wrote {result.picture} (each picture beside its reconstruction)")
    return 0
