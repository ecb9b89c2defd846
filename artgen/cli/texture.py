"""``artgen texture STYLE [STYLE ...]``: a tileable texture from the styles alone."""

from __future__ import annotations

import argparse

from artgen.cli import preflight
from artgen.cli.common import show_result
from artgen.cli.engine import run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.style.config import TextureConfig

NAME = "texture"
HELP = "synthesise a seamless texture from one or more paintings"
DESCRIPTION = (
    "Texture synthesis (Gatys et al.): paints a square texture from seeded noise so that its\n"
    "VGG16 feature statistics match the style images' (several are blended as --style-blend\n"
    "says), coarse to fine. Seamless by default: VGG, the smoothness term and the upsampling\n"
    "between scales wrap around the edges, so the texture tiles without a seam; that is what a\n"
    "texture is mostly wanted for (--no-seamless paints an ordinary picture with edges).\n"
    "Writes OUT (default <style>_texture.png here; an existing -o file is never overwritten\n"
    "without --overwrite) and reports the seam: the mean step across the wrap-around edges\n"
    "against the mean step between neighbouring pixels. Ctrl-C stops early and still writes."
    "\n\n"
    "Cost, measured (docs/benchmarks.md): 256 px with the defaults, 53 s on an idle 2-core CPU\n"
    "(91 CPU-s, 46 per core). Not measured on a GPU."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen texture artgen/bundled/styles/starry_night.jpg         256 px tile, 53 s on a 2-core CPU\n"
    "  artgen texture scream.jpg -o tile.png --size 512\n"
    "  artgen texture a.jpg b.jpg --style-blend 0.7,0.3 --seed 3\n"
    "  artgen texture wave.jpg --style-scale 0.5                     finer strokes\n"
    "  artgen style photo.jpg wave.jpg --seamless                    a stylised photo that tiles"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, TextureConfig)
    add_history_flag(parser)


def run(args: argparse.Namespace) -> int:
    config = TextureConfig(**typed(args, TextureConfig))
    preflight.check(config)
    result = run_engine(args, "texture", config, ("style", "tv", "total"))
    width, height = result.size
    show_result(f"wrote {result.out} ({width}x{height}, {result.seconds:.0f}s, {result.seam.describe()})")
    return 130 if result.stopped else 0
