"""``artgen jobs``: past and present jobs of the studio, with their outputs."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from artgen.cli.common import console, positive_int, result_console
from artgen.errors import InputError

if TYPE_CHECKING:
    from artgen.jobs.store import HistoryStore

NAME = "jobs"
HELP = "list the jobs of the studio and the command line, and their outputs"
DESCRIPTION = (
    "List the jobs run from the terminal studio or the command line (newest first): kind, state,\n"
    "when, how long, and where the outputs are; a job whose process is gone reads as interrupted.\n"
    "Give a job id for its settings, the command that runs it again, and its log. The history\n"
    "lives in $ARTGEN_DATA_DIR/jobs.sqlite (default ~/.local/share/artgen); engine commands add\n"
    "their runs unless given --no-history."
)
EXAMPLES = (
    "Examples:\n"
    "  artgen jobs                       the 20 newest jobs\n"
    "  artgen jobs -n 100                more of them\n"
    "  artgen jobs 20261123-101500-3f2a  one job's settings, outputs and log"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", nargs="?", metavar="JOB_ID", help="show one job in detail")
    parser.add_argument("-n", "--limit", type=positive_int, default=20, help="jobs to list (default 20)")


def run(args: argparse.Namespace) -> int:
    from artgen.jobs.format import duration, state_text, where_text
    from artgen.jobs.store import HistoryStore

    store = HistoryStore()
    if store.notice:
        console.print(f"[yellow]{store.notice}[/]", highlight=False)
    if args.job:
        return _show(store, args.job)
    records = store.all(limit=args.limit)
    if not records:
        console.print(f"no jobs yet (history: {store.path}); run 'artgen' to open the studio")
        return 0
    table = Table(box=None, header_style="bold")
    for column in ("id", "kind", "state", "where", "started", "took", "output"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "state"))
    for record in records:
        table.add_row(
            record.id,
            record.kind,
            state_text(record),
            where_text(record),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(record.started or record.created)),
            duration(record.duration()),
            record.output or (record.error or ""),
        )
    result_console().print(table)
    return 0


def _show(store: HistoryStore, job_id: str) -> int:
    from artgen.jobs.format import command_text, duration, state_text

    record = store.get(job_id)
    if record is None:
        raise InputError(f"no job {job_id}; 'artgen jobs' lists them")
    console = result_console()  # a job's details are this command's result: stdout
    heading = Text.assemble((record.id, "bold"), f"  {record.kind}  ", state_text(record))
    console.print(heading.append(f"  took {duration(record.duration())}"), highlight=False)
    if record.placement:
        console.print(f"ran on: {record.placement}", highlight=False)
    if record.error:
        console.print(f"error: {record.error}", highlight=False)
    if command := command_text(record):
        console.print(f"command: {command}", highlight=False)
    for name, path in record.outputs.items():
        console.print(f"{name}: {path}", highlight=False)
    console.print("settings:")
    for key, value in sorted(record.config.items()):
        console.print(f"  {key} = {value!r}", highlight=False)
    lines = store.log(job_id)
    if lines:
        console.print("log:")
        for level, text in lines:
            console.print(f"  [{'yellow' if level == 'warning' else 'dim'}]{text}[/]", highlight=False)
    return 0
