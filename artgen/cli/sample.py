"""``artgen sample OUT.png``: images from a trained generator."""

from __future__ import annotations

import argparse

from artgen.cli.common import EventRenderer, quiet_backend_import, show_result
from artgen.cli.engine import cluster, run_engine
from artgen.cli.history import add_history_flag, recorded
from artgen.cli.options import add_options, typed
from artgen.errors import InputError
from artgen.events import Event, Message, Progress
from artgen.generators.locate import WHICH
from artgen.jobs.sample_job import SampleConfig
from artgen.schema import check_values, option

NAME = "sample"
HELP = "draw images from a trained generator"
DESCRIPTION = (
    "Write a grid of generated images to OUT.png (or one PNG per image with --separate).\n"
    "--model takes a .keras file or a training run directory; without it, the generator\n"
    "bundled with artgen is used. --select keeps the candidates a run's discriminator rates\n"
    "most real, trading variety for quality."
    "\n\n"
    "Cost: loading TensorFlow and the model takes most of it; the bundled 64 px generator draws\n"
    "400-645 images/s on a 2-core CPU (measured as walk frames, docs/benchmarks.md). Not measured\n"
    "on a GPU."
)
_COUNT = option(SampleConfig, "count").default
EXAMPLES = (
    "Examples:\n"
    f"  artgen sample out.png                          {_COUNT} images from the bundled generator\n"
    "  artgen sample --model runs/faces-20261123-101500 -n 16 --seed 7 grid.png\n"
    "  artgen sample --model runs/faces-20261123-101500 --select 0.5 --separate frames/\n"
    "  artgen sample --latents found.npz found.png       the latents artgen project found\n"
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
    add_history_flag(parser)


def run(args: argparse.Namespace) -> int:
    if args.info:
        return _info(args.model)
    given = {key: value for key, value in typed(args, SampleConfig).items() if value is not None}
    check_values(SampleConfig, given)
    if cluster(args) and args.separate is not None:
        raise InputError("--separate is written here only; with --cluster give OUT.png alone")
    from artgen.generators.output import plan_samples, write_samples

    plan = plan_samples(
        args.out,
        model=args.model,
        which=args.which,
        count=args.count,
        seed=args.seed,
        select=args.select,
        columns=args.columns,
        separate=args.separate,
        overwrite=args.overwrite,
        latents=args.latents,
    )
    if cluster(args):  # the studio's sample job: the grid, of the generator found here
        written = run_engine(
            args, "sample", SampleConfig(**{**given, "model": str(plan.model)}), shown=_shown
        )
    else:
        # A grid is a job the studio can run again; one PNG per image alone (--separate) is not.
        keep = args.out is not None
        with (
            quiet_backend_import(args.backend),
            EventRenderer() as render,
            recorded(args, "sample", SampleConfig(**given), keep=keep) as history,
        ):
            written = write_samples(
                plan, on_event=history.relay(lambda event: _shown(event) and render(event))
            )
            history.finished(written)
    for line in written.lines():
        show_result(line)
    return 0


def _shown(event: Event) -> bool:
    """All but what the studio's sample job says for its own view: the grid's 0/1, 1/1 (a flash of
    nothing here) and the lines written, which are this command's result on stdout."""
    if isinstance(event, Message):
        return not event.text.startswith("wrote ")
    return not (isinstance(event, Progress) and event.unit == "grid")


def _info(model: str | None) -> int:
    from artgen import stored
    from artgen.generators.locate import resolve_model

    path = resolve_model(model)
    provenance = path.with_suffix(".json")
    if provenance.exists():
        info = stored.read_json(provenance)
        show_result(str(path))
        for key, value in info.items():
            show_result(f"  {key}: {value}")
    else:
        config = path.parent / "config.json"
        show_result(str(path))
        show_result(f"  config: {config if config.exists() else 'none recorded'}")
    return 0
