"""``artgen style CONTENT STYLE [STYLE ...]``: neural style transfer."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from artgen.cli import preflight
from artgen.cli.common import quiet_backend_import, show_result
from artgen.cli.engine import run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.style.config import StyleConfig

if TYPE_CHECKING:
    from artgen.style.batch import BatchResult

NAME = "style"
HELP = "paint a photo in the style of one or more paintings"
DESCRIPTION = (
    "Neural style transfer (Gatys et al.) on bundled ImageNet VGG16 weights, offline.\n"
    "By default Magenta's arbitrary-style network (bundled) paints the picture in one pass and\n"
    "L-BFGS polishes it against VGG16's features at full size. --init content optimises from\n"
    "the photo instead, coarse to fine (--scales sizes, each twice the last), as clips and\n"
    "--seamless do. --method fast keeps the one-pass picture: about a second on a CPU, any\n"
    "painting as the style, --strength for how much.\n"
    "Writes OUT (default <content>_<style>.png here; an existing -o file is never overwritten\n"
    "without --overwrite). Ctrl-C stops early and still writes the best image so far.\n"
    "\n"
    "Regions: --mask paints only a mask's white part and keeps the photo elsewhere, edges\n"
    "feathered (--mask-feather). Give --mask once per style, in the styles' order, or one\n"
    "colour mask for several styles: black keeps the photo, and each other colour is a\n"
    "style's region, taken in reading order (the colour met first, scanning left to right\n"
    "and top to bottom, is the first style's) or as named by --mask-colors.\n"
    "\n"
    "Batches: a folder as CONTENT paints every photo in it (sub-folders too) into the folder\n"
    "-o (default <folder>_<style>/ here; an existing non-empty one needs --overwrite), the\n"
    "styles' targets computed once. A photo that cannot be painted is skipped and reported\n"
    "(OUT/batch.json lists them); the exit status is then 1, and 2 if none could be painted.\n"
    "Ctrl-C stops after writing the current photo's best picture (exit 130).\n"
    "\n"
    "CONTENT may be an animation (GIF, WebP, MP4/MOV/WebM, or a folder of frames with --sequence):\n"
    "the same kind is written at its frame rate, each frame starting from the last one's result so\n"
    "the painting does not flicker; the flicker figure is printed and written to OUT.json."
    "\n\n"
    "Cost, measured (docs/benchmarks.md), the whole command at 384 px on a 2-core CPU: 78-113\n"
    "CPU-s with the defaults; 199-275 with --init content, for the same quality; 9-13 with\n"
    "--method fast, most of it importing TensorFlow. On a GPU, an NVIDIA H100 (JAX), the\n"
    "optimisation from the photo took 73 s at 512 px, mostly compiling, before the device loop\n"
    "existed: not yet measured again."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen style artgen/bundled/samples/chelsea.jpg artgen/bundled/styles/starry_night.jpg\n"
    "  artgen style photo.jpg scream.jpg -o big.png --size 2048 --scales 5\n"
    "  artgen style photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 --preserve-colors\n"
    "  artgen style photo.jpg wave.jpg --save-every 10      (frames and progress.gif in OUT-frames/)\n"
    "  artgen style photo.jpg wave.jpg --seamless           (a picture that tiles; see artgen texture)\n"
    "  artgen style photo.jpg starry.jpg --method fast      (one pass, about a second)\n"
    "  artgen style photo.jpg starry.jpg --method fast --strength 0.5\n"
    "  artgen style photo.jpg starry.jpg --init content   (from the photo: about 2.5x the time)\n"
    "  artgen style clip.mp4 starry.jpg --method fast --size 512     (every frame in one pass)\n"
    "  artgen style photo.jpg starry.jpg --mask sky.png     (only the sky; the rest stays the photo)\n"
    "  artgen style photo.jpg a.jpg b.jpg --mask left.png --mask right.png\n"
    "  artgen style photo.jpg a.jpg b.jpg --mask regions.png --mask-colors red,blue\n"
    "  artgen style holiday/ starry.jpg -o holiday-starry/   (every photo in holiday/)\n"
    "  artgen style clip.gif starry_night.jpg --size 256    (writes clip_starry_night.gif)\n"
    "  artgen style holiday.mp4 scream.jpg -o holiday_scream.mp4 --frame-iterations 20\n"
    "  artgen style frames/ wave.jpg --sequence -o painted/  (a folder of frames, in name order)\n"
    "  artgen style clip.webp wave.jpg --temporal-weight 0   (every frame on its own: flickers)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, StyleConfig)
    add_history_flag(parser)


def config_from_args(args: argparse.Namespace) -> StyleConfig:
    return StyleConfig(**typed(args, StyleConfig))


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    preflight.check(config)
    result = run_engine(args, "style", config, ("content", "style", "tv", "total", "flicker"))
    with quiet_backend_import(config.backend):  # loaded already by the engine, or by the cluster job's result
        from artgen.style.batch import BatchResult
        from artgen.style.sequence import SequenceResult

    if isinstance(result, BatchResult):
        return _show_batch(result)
    width, height = result.size
    if isinstance(result, SequenceResult):
        if not result.frame_count:
            return 130
        flicker = f", flicker {result.flicker:.2f}" if result.flicker is not None else ""
        if result.warped_flicker is not None:
            flicker += f" ({result.warped_flicker:.2f} along the flow)"
        show_result(
            f"wrote {result.out} ({result.frame_count} frames, {width}x{height}, {result.seconds:.0f}s"
            f"{flicker}; figures in {result.stats})"
        )
        return 130 if result.stopped else 0
    seam = f", {result.seam.describe()}" if result.seam else ""
    seconds = f"{result.seconds:.1f}" if result.seconds < 10 else f"{result.seconds:.0f}"
    show_result(f"wrote {result.out} ({width}x{height}, {seconds}s{seam})")
    if result.gif:
        show_result(f"progress: {result.gif}")
    return 130 if result.stopped else 0


def _show_batch(result: BatchResult) -> int:
    """The batch's summary; exit 1 if a photo failed (the rest were written), 130 if stopped."""
    show_result(
        f"wrote {len(result.written)} of {result.photos} photos to {result.out} ({result.seconds:.0f}s)"
    )
    if result.failed:
        names = ", ".join(f"{Path(photo).name} ({reason})" for photo, reason in result.failed[:3])
        more = f" and {len(result.failed) - 3} more" if len(result.failed) > 3 else ""
        show_result(f"failed {len(result.failed)}: {names}{more}; see {result.report}")
    if result.stopped:
        return 130
    return 1 if result.failed else 0
