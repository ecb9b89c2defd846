"""``artgen toy``: the 1-D GAN lab."""

from __future__ import annotations

import argparse

from artgen.cli import preflight
from artgen.cli.common import show_result
from artgen.cli.engine import run_engine
from artgen.cli.history import add_history_flag
from artgen.cli.options import add_options, typed
from artgen.labs.toy_gan.config import ToyConfig

NAME = "toy"
HELP = "watch a GAN learn a 1-D distribution (about 12 s on a CPU)"
DESCRIPTION = (
    "Train a small GAN whose data are single numbers, so everything it does can be drawn: each\n"
    "epoch plots the real histogram (green), the generated one (red), the discriminator's\n"
    "D(x) along x and its 0.5 threshold. The run directory holds frames/epoch-NNNN.png,\n"
    "final.png, metrics.csv (losses, generated mean and std, distance to the real data),\n"
    "curves.png and, with --gif, training.gif."
    "\n\n"
    "Cost, measured (docs/benchmarks.md): about 12 s with the defaults on a 2-core CPU (12 CPU-s,\n"
    "TensorFlow's import included; 0.9 GB of memory at most). Not measured on a GPU."
)
_DEFAULT = ToyConfig()  # the examples quote its defaults
EXAMPLES = (
    "Examples:\n"
    f"  artgen toy                                 normal({_DEFAULT.mean:g}, {_DEFAULT.std:g}), "
    f"{_DEFAULT.epochs} epochs, into runs/toy-<time>/\n"
    "  artgen toy --mean -3 --std 0.5 --gif\n"
    "  artgen toy --mixture=-2:0.5,3:1 --gif      two peaks (use = when the value starts with -)\n"
    "  artgen toy --mixture 0:1:3,6:0.5:1          two components weighted 3:1"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, ToyConfig)
    add_history_flag(parser)


def run(args: argparse.Namespace) -> int:
    config = ToyConfig(**typed(args, ToyConfig))
    preflight.check(config)
    result = run_engine(args, "toy", config, ("distance", "gen_mean", "gen_std"))
    show_result(f"real      mean {result.real_mean:8.4f}  std {result.real_std:8.4f}")
    show_result(
        f"generated mean {result.gen_mean:8.4f}  std {result.gen_std:8.4f}  distance {result.distance:.4f}"
    )
    if len(result.real_peaks) > 1:  # a mixture: is each peak as wide as the real one?
        for index, (real, fake) in enumerate(zip(result.real_peaks, result.gen_peaks, strict=True), 1):
            show_result(
                f"peak {index}    mean {real[0]:8.4f}  std {real[1]:8.4f}  "
                f"(generated mean {fake[0]:.4f}, std {fake[1]:.4f}, share {fake[2]:.2f})"
            )
    show_result(f"run directory: {result.run_dir}")
    show_result(f"plot: {result.final_png}")
    if result.gif_path is not None:
        show_result(f"animation: {result.gif_path}")
    return 130 if result.stopped else 0
