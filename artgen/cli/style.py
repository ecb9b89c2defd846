"""``artgen style CONTENT STYLE [STYLE ...]``: neural style transfer."""

from __future__ import annotations

import argparse

from artgen.cli.common import EventRenderer, StopRequest, quiet_backend_import, show_result
from artgen.cli.options import add_options, typed
from artgen.style.config import StyleConfig

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
    "  artgen style photo.jpg wave.jpg --save-every 10      (frames and progress.gif in OUT-frames/)\n"
    "  artgen style photo.jpg wave.jpg --seamless --init noise   (a picture that tiles; see artgen texture)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, StyleConfig)


def config_from_args(args: argparse.Namespace) -> StyleConfig:
    return StyleConfig(**typed(args, StyleConfig))


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    with quiet_backend_import():
        from artgen.style import stylise

    with StopRequest() as stop, EventRenderer(("content", "style", "tv", "total")) as render:
        result = stylise(config, render, stop)
    width, height = result.size
    show_result(f"wrote {result.out} ({width}x{height}, {result.seconds:.0f}s)")
    if result.gif:
        show_result(f"progress: {result.gif}")
    return 130 if result.stopped else 0
