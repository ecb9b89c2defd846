"""``artgen eval SOURCE DIR``: FD and KID of a generator or an image folder against real images."""

from __future__ import annotations

import argparse
import json

from artgen.cli import preflight
from artgen.cli.common import EventRenderer, note, positive_int, quiet_backend_import, show_result
from artgen.dcgan.config import SIZES
from artgen.generators.locate import WHICH

NAME = "eval"
HELP = "score a generator (or a folder of images) against real images: FD, KID, precision, recall"
DESCRIPTION = (
    "Fréchet distance (FD) and kernel distance (KID, unbiased, ± its standard error) between\n"
    "images from SOURCE and the real images in DIR, on features of the bundled VGG16. Lower is\n"
    "better; 0 is indistinguishable. Precision (the share of generated images that fall among\n"
    "real ones: realism) and recall (the share of real images the generated ones cover:\n"
    "variety) are k-nearest-neighbour manifold figures (k=3) on the same features, 0 to 1,\n"
    "higher is better: sharp but collapsed samples have high precision and low recall.\n"
    "SOURCE is a .keras generator, a training run directory or a folder of images (scores any\n"
    "program's output). The figures compare with each other (same DIR, same -n), not with\n"
    "published Inception FIDs. DIR's features are cached."
    "\n\n"
    "Cost, measured on a 2-core CPU (docs/benchmarks.md): VGG16 features take 32.6 CPU-ms an image,\n"
    "so the default -n 2000 is about 65 CPU-s (33 s of an idle machine) for the scored images, and\n"
    "as much again the first time for DIR's (cached after). Not measured on a GPU."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen eval runs/faces-20261123-101500 faces/\n"
    "  artgen eval runs/faces-20261123-101500 faces/ --which best -n 1000 --json\n"
    "  artgen eval other-gan-samples/ faces/        a folder of images, scored the same way"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="MODEL_OR_RUN_OR_FOLDER", help="what to score")
    parser.add_argument("real", metavar="DIR", help="folder of real images (searched recursively)")
    parser.add_argument(
        "-n", "--count", type=positive_int, default=2000, help="images on each side (default 2000)"
    )
    parser.add_argument(
        "--which", choices=WHICH, help="in a run directory: final, best or latest (default: final)"
    )
    parser.add_argument(
        "--size", type=int, choices=SIZES, help="compare at this size (default: the generator's)"
    )
    parser.add_argument("--seed", type=int, default=0, help="latent seed of the generated images")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from artgen.errors import InputError
    from artgen.generators.evaluate import is_generator

    source = Path(args.source)
    if not source.exists():
        raise InputError(f"{source} does not exist")
    if args.count < 4:
        raise InputError("-n must be at least 4")
    if is_generator(source) or source.suffix:
        preflight.model(args.source, args.which)
    else:
        preflight.images_folder(args.source)
    preflight.images_folder(args.real)
    with quiet_backend_import(args.backend):
        from artgen.generators.evaluate import evaluate

    with EventRenderer() as render:
        report = evaluate(args.source, args.real, args.count, args.size, args.which, args.seed, render)
    if args.json:
        show_result(json.dumps(report.to_dict()))
        return 0
    score = report.score
    note(f"scored {report.source} against {report.real} real images at {report.size} px")
    show_result(
        f"FD {score.fd:.4g}   KID {score.kid:.4g} ± {score.kid_se:.2g}   "
        f"precision {score.precision:.3f}   recall {score.recall:.3f}   ({score.count} images)"
    )
    return 0
