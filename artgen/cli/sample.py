"""``artgen sample OUT.png``: images from a trained generator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from artgen.cli.common import console, quiet_backend_import, show_result
from artgen.cli.options import add_options, typed
from artgen.dcgan.locate import WHICH
from artgen.errors import InputError
from artgen.events import Event, Message
from artgen.jobs.sample_job import SampleConfig
from artgen.schema import check_values, option

NAME = "sample"
HELP = "draw images from a trained generator"
DESCRIPTION = (
    "Write a grid of generated images to OUT.png (or one PNG per image with --separate).\n"
    "--model takes a .keras file or a training run directory; without it, the generator\n"
    "bundled with artgen is used."
)
_COUNT = option(SampleConfig, "count").default
EXAMPLES = (
    "Examples:\n"
    f"  artgen sample out.png                          {_COUNT} images from the bundled generator\n"
    "  artgen sample --model runs/faces-20261123-101500 -n 16 --seed 7 grid.png\n"
    "  artgen sample --truncation 1.5 --separate frames/\n"
    "  artgen sample --info                           what the bundled generator is"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, SampleConfig, nargs={"out": "?"}, defaults=True)
    parser.add_argument(
        "--which",
        choices=WHICH,
        help="in a run directory: final generator, best (lowest FD) or latest checkpoint "
        "(default: final, else latest)",
    )
    parser.add_argument("--separate", metavar="DIR", help="also write one PNG per image into DIR")
    parser.add_argument("--info", action="store_true", help="show the model's provenance and exit")


def run(args: argparse.Namespace) -> int:
    if args.info:
        return _info(args.model)
    if args.out is None and args.separate is None:
        raise InputError("give OUT.png, --separate DIR, or both")
    check_values(
        SampleConfig, {key: value for key, value in typed(args, SampleConfig).items() if value is not None}
    )
    if args.columns is not None and args.columns > args.count:
        raise InputError(f"--columns {args.columns} is more than the {args.count} images (-n)")
    out = Path(args.out) if args.out else None
    if out is not None:
        if out.suffix.lower() != ".png":
            raise InputError(f"{out} must end in .png")
        if out.exists() and not args.overwrite:
            raise InputError(f"{out} exists; pass --overwrite to replace it")
    from artgen.runs import usable_dir

    folder = Path(args.separate) if args.separate else None
    for parent in ([out.parent] if out else []) + ([folder] if folder else []):
        usable_dir(parent)  # a file in the way is refused before the model loads
    separate = [folder / f"{args.seed:04d}-{index:05d}.png" for index in range(args.count)] if folder else []
    taken = [path for path in separate if path.exists()]
    if taken and not args.overwrite:
        more = f" and {len(taken) - 1} more" if len(taken) > 1 else ""
        raise InputError(f"{taken[0]}{more} exist; pass --overwrite to replace them, or another folder")
    from artgen.dcgan.locate import describe, resolve_model

    model = resolve_model(args.model, args.which)
    with quiet_backend_import():
        from artgen import images
        from artgen.dcgan import sampling

    pictures = sampling.sample(model, args.count, args.seed, args.truncation, on_event=_show_warning)
    if args.model is not None and Path(args.model).is_dir():  # a run holds several generators
        console.print(f"using {describe(model)}", highlight=False)  # once it loaded: no claim before an error
    if out is not None:
        images.save_png(out, images.grid(pictures, args.columns))
        show_result(f"wrote {out} ({len(pictures)} images, {pictures.shape[1]} px)")
    if folder is not None:
        for path, picture in zip(separate, pictures, strict=True):
            images.save_png(path, picture)  # atomic: a kill leaves whole files only
        show_result(f"wrote {len(pictures)} images to {folder}/")
    return 0


def _show_warning(event: Event) -> None:
    """Loading a run can warn (a damaged checkpoint skipped); say so above the result."""
    if isinstance(event, Message) and event.level == "warning":
        console.print(f"[yellow]{event.text}[/]", highlight=False, soft_wrap=True)


def _info(model: str | None) -> int:
    from artgen.dcgan.locate import resolve_model

    path = resolve_model(model)
    provenance = path.with_suffix(".json")
    if provenance.exists():
        info = json.loads(provenance.read_text())
        show_result(str(path))
        for key, value in info.items():
            show_result(f"  {key}: {value}")
    else:
        config = path.parent / "config.json"
        show_result(str(path))
        show_result(f"  config: {config if config.exists() else 'none recorded'}")
    return 0
