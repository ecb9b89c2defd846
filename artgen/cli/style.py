"""``artgen style CONTENT STYLE [STYLE ...]``: neural style transfer."""

from __future__ import annotations

import argparse
import dataclasses

from artgen.cli.common import (
    EventRenderer,
    StopRequest,
    add_overwrite,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    quiet_backend_import,
    show_result,
)
from artgen.style.config import INITS, LOOPS, NETS, OPTIMIZERS, StyleConfig

NAME = "style"
HELP = "paint a photo in the style of one or more paintings"
DESCRIPTION = (
    "Neural style transfer (Gatys et al.) on bundled ImageNet VGG16 weights, offline.\n"
    "Optimises coarse to fine (--scales sizes, each twice the last) with L-BFGS by default.\n"
    "Writes OUT (default <content>_<style>.png here; an existing -o file is never overwritten\n"
    "without --overwrite). Ctrl-C stops early and still writes the best image so far."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen style assets/samples/chelsea.jpg assets/styles/starry_night.jpg\n"
    "  artgen style photo.jpg scream.jpg -o big.png --size 2048 --scales 5\n"
    "  artgen style photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 --preserve-colors\n"
    "  artgen style photo.jpg wave.jpg --save-every 10      (frames and progress.gif in OUT-frames/)"
)

DEFAULTS = {field.name: field.default for field in dataclasses.fields(StyleConfig)}


def _blend(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of numbers like 0.7,0.3") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.argument_default = argparse.SUPPRESS  # only what the user typed reaches the config
    parser.add_argument("content", metavar="CONTENT", help="the photo to repaint")
    parser.add_argument("styles", metavar="STYLE", nargs="+", help="one or more style images (paintings)")
    parser.add_argument("-o", "--out", metavar="OUT", help="output PNG (default <content>_<style>.png here)")
    add_overwrite(parser, "replace OUT if it exists")
    size = parser.add_argument_group("size and effort")
    size.add_argument(
        "--size", type=positive_int, help=f"output long side in pixels (default {DEFAULTS['size']})"
    )
    size.add_argument(
        "--iterations",
        type=positive_int,
        help=f"optimiser steps at each scale (default {DEFAULTS['iterations']})",
    )
    size.add_argument(
        "--scales",
        type=positive_int,
        help=f"coarse-to-fine sizes, each twice the last (default {DEFAULTS['scales']})",
    )
    size.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        help=f"lbfgs converges in fewer steps (default {DEFAULTS['optimizer']})",
    )
    size.add_argument(
        "--tile",
        action="store_const",
        const="on",
        help="run VGG over overlapping tiles: any size fits, a little slower "
        "(default: only when the whole picture would not fit in memory)",
    )
    size.add_argument("--no-tile", dest="tile", action="store_const", const="off", help="never tile")
    size.add_argument(
        "--tile-size",
        type=positive_int,
        metavar="PX",
        help="tile core in pixels, a multiple of 16 (default: the largest that fits)",
    )
    size.add_argument(
        "--loop",
        choices=LOOPS,
        help="device: iterate inside one compiled loop; host: SciPy/numpy (default auto: the faster here)",
    )
    size.add_argument(
        "--net", choices=NETS, help="vgg16 is bundled; vgg19 needs Keras' download (default vgg16)"
    )
    look = parser.add_argument_group("look")
    look.add_argument(
        "--content-weight",
        type=non_negative_float,
        help=f"keep the photo's shapes (default {DEFAULTS['content_weight']})",
    )
    look.add_argument(
        "--style-weight",
        type=non_negative_float,
        help=f"take on the painting's texture (default {DEFAULTS['style_weight']})",
    )
    look.add_argument(
        "--tv-weight", type=non_negative_float, help=f"smoothness (default {DEFAULTS['tv_weight']})"
    )
    look.add_argument("--init", choices=INITS, help=f"starting picture (default {DEFAULTS['init']})")
    look.add_argument(
        "--style-blend",
        type=_blend,
        metavar="W1,W2",
        help="weights of several styles, e.g. 0.7,0.3 (default equal)",
    )
    look.add_argument(
        "--style-scale",
        type=positive_float,
        help="style image size relative to the output; smaller = finer strokes",
    )
    look.add_argument(
        "--preserve-colors", action="store_true", help="keep the photo's colours (luminance-only transfer)"
    )
    look.add_argument("--seed", type=int, help="seed for --init noise (default 0)")
    output = parser.add_argument_group("progress")
    output.add_argument(
        "--save-every",
        type=non_negative_int,
        metavar="K",
        help="save a frame every K iterations and a progress GIF (default off)",
    )


def config_from_args(args: argparse.Namespace) -> StyleConfig:
    given = {key: value for key, value in vars(args).items() if key in DEFAULTS}
    given["styles"] = tuple(given["styles"])
    return StyleConfig(**given)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    with quiet_backend_import():
        from artgen.style import transfer

    with StopRequest() as stop, EventRenderer(("content", "style", "tv", "total")) as render:
        result = transfer(config, render, stop)
    width, height = result.size
    show_result(f"wrote {result.out} ({width}x{height}, {result.seconds:.0f}s)")
    if result.gif:
        show_result(f"progress: {result.gif}")
    return 130 if result.stopped else 0
