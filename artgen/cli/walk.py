"""``artgen walk OUT``: a looping animation through a generator's latent space."""

from __future__ import annotations

import argparse
from pathlib import Path

from artgen.cli.common import (
    EventRenderer,
    StopRequest,
    add_overwrite,
    console,
    positive_float,
    positive_int,
    quiet_backend_import,
    show_result,
)
from artgen.errors import InputError
from artgen.generators.locate import WHICH
from artgen.walk.config import EASES, INTERPS, RESAMPLES, WalkConfig, parse_grid

NAME = "walk"
HELP = "render a looping walk through a generator's latent space"
DESCRIPTION = (
    "Pick --keyframes random latents from --seed and glide between them, returning to the first,\n"
    "so the animation loops without a jump. OUT's extension picks the format: .gif, .webp, .mp4\n"
    "(needs pip install 'artgen[video]'), or a folder name for numbered PNG frames.\n"
    "--model takes a .keras file or a training run directory; without it, the bundled generator."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen walk --frames 120 walk.gif                 5 s at 24 fps from the bundled generator\n"
    "  artgen walk --model runs/faces-20261123-101500 --seed 7 --ease smooth faces.mp4\n"
    "  artgen walk --grid 3x3 --size 128 --keyframes 6 mosaic.webp\n"
    "  artgen walk --frames 240 frames/                  frame-00000.png ... frame-00239.png"
)

DEFAULTS = WalkConfig(out="walk.gif")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="output .gif, .webp, .mp4, or a folder for PNG frames")
    parser.add_argument("--model", help="generator .keras file or run directory (default: bundled)")
    parser.add_argument(
        "--which",
        choices=WHICH,
        help="in a run directory: final generator, best (lowest FD) or latest checkpoint "
        "(default: final, else latest)",
    )
    parser.add_argument(
        "--frames", type=int, default=DEFAULTS.frames, help="frames in the loop (default %(default)s)"
    )
    parser.add_argument(
        "--fps", type=positive_float, default=DEFAULTS.fps, help="frames per second (default %(default)s)"
    )
    parser.add_argument(
        "--keyframes",
        type=int,
        default=DEFAULTS.keyframes,
        help="random latents visited (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULTS.seed, help="seed of the keyframes (default %(default)s)"
    )
    parser.add_argument(
        "--interp",
        choices=INTERPS,
        default=DEFAULTS.interp,
        help="path between keyframes (default %(default)s)",
    )
    parser.add_argument(
        "--ease",
        choices=EASES,
        default=DEFAULTS.ease,
        help="smooth: slow down at each keyframe (default %(default)s)",
    )
    parser.add_argument(
        "--size", type=positive_int, help="frame side in px per walk (default: the generator's)"
    )
    parser.add_argument(
        "--resample",
        choices=RESAMPLES,
        default=DEFAULTS.resample,
        help="upscaling filter; auto: nearest for whole multiples, else lanczos (default %(default)s)",
    )
    parser.add_argument(
        "--grid",
        type=_grid,
        default=DEFAULTS.grid,
        metavar="RxC",
        help="independent walks side by side, e.g. 3x3",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULTS.batch_size,
        help="images per generator call (default %(default)s)",
    )
    add_overwrite(parser, "replace OUT if it exists")


def _grid(text: str) -> tuple[int, int]:
    from artgen.errors import InputError

    try:
        return parse_grid(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    model = args.model
    if args.model is not None:
        from artgen.generators.locate import describe, resolve_model

        resolved = resolve_model(args.model, args.which)
        if Path(args.model).is_dir():  # a run holds several generators: say which one
            console.print(f"using {describe(resolved)}", highlight=False)
        model = str(resolved)
    elif args.which is not None:
        raise InputError("--which needs --model RUN_DIR (a training run directory)")
    config = WalkConfig(
        out=args.out,
        model=model,
        frames=args.frames,
        fps=args.fps,
        keyframes=args.keyframes,
        seed=args.seed,
        interp=args.interp,
        ease=args.ease,
        size=args.size,
        resample=args.resample,
        grid=args.grid,
        batch_size=args.batch_size,
        overwrite=args.overwrite,
    )
    with quiet_backend_import():
        from artgen.walk.engine import render_walk

    with EventRenderer() as renderer, StopRequest() as stop:
        result = render_walk(config, on_event=renderer, should_stop=stop)
    if result.stopped:
        return 130
    show_result(f"wrote {result.out} ({result.frames} frames at {config.fps:g} fps)")
    return 0
